"""`llm-infra`: plan, size and cost a stack offline, with no Pulumi CLI or credentials.

Exit codes: 0 success; 1 the program or the tool failed; 2 bad config or usage.
"""

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import NoCredentialsError, ProfileNotFound

from components.enums import Cloud, Dtype, GpuType, Quantization
from components.jsonfile import JsonFileError, read_json_object
from components.sizing.architecture import ArchitectureError
from components.sizing.library import known_models, load_config_file, load_model
from infra.config import ConfigError, StackConfig, load_stack_config
from infra.cost import estimate_cost
from infra.diff import diff_plans
from infra.offline.plan import plan_stack
from infra.offline.render import render_markdown, render_table
from infra.offline.runner import ProgramError
from infra.offline.stackfile import StackFileError, find_project, load_stack
from infra.policy.check import load_policy_config, run_checks
from infra.policy.runner import PolicyPackError
from infra.preflight.run import (
    failed,
    preflight,
    render_preflight_json,
    render_preflight_table,
)
from infra.render import render_stack
from infra.reports.check import (
    SARIF_SCHEMA,
    render_check_json,
    render_check_markdown,
    render_check_sarif,
    render_check_table,
)
from infra.reports.cost import render_cost_json, render_cost_markdown, render_cost_table
from infra.reports.diff import render_diff_json, render_diff_markdown, render_diff_table
from infra.reports.endpoints import endpoints_of, render_endpoints_json, render_endpoints_table
from infra.reports.size import (
    SizeError,
    SizeRequest,
    render_size_json,
    render_size_table,
    size_report,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llm-infra",
        description="Plan, size and cost an LLM serving platform offline: "
        "no Pulumi CLI, no cloud credentials.",
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=None,
        help="folder with Pulumi.yaml (default: the current folder or a parent)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plan = commands.add_parser(
        "plan",
        help="run the program under mocks and show every resource it would create",
        description="Run the real Pulumi program under mocks and record every resource.",
    )
    _stacks_arguments(plan, ("table", "json", "markdown"))
    plan.set_defaults(handler=_plan)

    check = commands.add_parser(
        "check",
        help="plan + both policy packs + model fit + cost; exit 1 on a mandatory violation",
        description="Plan the stack offline, then run the security and cost policy packs over "
        "it through the analyzer protocol, as `pulumi preview --policy-pack` would.",
    )
    _stacks_arguments(check, ("table", "json", "markdown", "sarif"))
    check.add_argument(
        "--policy-config",
        type=Path,
        help="JSON of policy name to settings or enforcement level "
        '(e.g. {"k8s-probes": "advisory", "cost-max-nodes-per-pool": {"max_nodes": 40}})',
    )
    check.set_defaults(handler=_check)

    cost = commands.add_parser(
        "cost",
        help="monthly cost at min and max scale, and per-model serving cost",
        description="Estimate a stack's monthly cost from the price catalog; every line "
        "names the prices it used and their sources.",
    )
    _stack_arguments(cost, ("table", "json", "markdown"))
    cost.set_defaults(handler=_cost)

    diff = commands.add_parser(
        "diff",
        help="compare two plan records: resources, replacements, cost, model fit, policy",
        description="Compare two `plan --format json` records. Stateful resources a change "
        "destroys (rename, retype or an input that forces replacement) are called out first.",
    )
    diff.add_argument("base", type=Path, help="plan record before the change")
    diff.add_argument("head", type=Path, help="plan record after the change")
    diff.add_argument("--format", choices=("markdown", "table", "json"), default="markdown")
    diff.add_argument("--out", type=Path, help="write to this file instead of standard output")
    diff.add_argument(
        "--fail-on-replace",
        action="store_true",
        help="exit 1 when the change destroys a stateful resource",
    )
    diff.set_defaults(handler=_diff)

    endpoints = commands.add_parser(
        "endpoints",
        help="where clients call the models: the gateway's address, keys and a curl",
        description="From the plan: the gateway's in-cluster URL, how to read its load "
        "balancer's address and the clients' API keys, the models it routes, and a "
        "ready-to-paste curl and OpenAI-client call.",
    )
    _stack_arguments(endpoints, ("table", "json"))
    endpoints.set_defaults(handler=_endpoints)

    preflight = commands.add_parser(
        "preflight",
        help="online, read-only: zones, quotas and versions the stack needs (caller's credentials)",
        description="Check with the cloud's read-only APIs what would make `pulumi up` fail: "
        "instance types not offered in the chosen zones, vCPU quotas below the stack's maximum "
        "scale, an unsupported Kubernetes version. Exit 1 when a finding would fail `up`.",
    )
    _stack_arguments(preflight, ("table", "json"))
    preflight.add_argument("--profile", help="AWS profile (default: the usual credential chain)")
    preflight.set_defaults(handler=_preflight)

    render = commands.add_parser(
        "render",
        help="write every Kubernetes object the stack creates as YAML, one file per object",
        description="Plan the stack offline and write its Kubernetes objects to DIR, one "
        "file each; Helm releases go to DIR/helm with chart, version and values.",
    )
    render.add_argument(
        "--stack", "-s", required=True, help="stack name: reads Pulumi.<stack>.yaml"
    )
    render.add_argument("--out", dest="out_dir", type=Path, required=True, metavar="DIR")
    render.set_defaults(handler=_render, out=None)

    size = commands.add_parser(
        "size",
        help="parameters, memory, KV cache and fit of a model on GPUs",
        description="Size a model: exact parameters, weights, KV cache per token, memory "
        "per GPU, concurrent sequences, and the cheapest GPU setup that serves it. "
        f"Library models: {', '.join(known_models())}.",
    )
    source = size.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--model",
        help="a library model (Hugging Face id or the part after '/'), or any Hugging Face id: "
        "its config.json is fetched from the Hub once (HF_TOKEN for a gated model) and kept "
        "in model-configs/ beside Pulumi.yaml",
    )
    source.add_argument("--model-config", type=Path, help="a Hugging Face config.json")
    size.add_argument("--gpu", type=GpuType, choices=list(GpuType), help="GPU to fit on")
    size.add_argument("--gpus", type=_positive, default=1, help="GPUs per replica (default 1)")
    size.add_argument("--max-model-len", type=_positive, help="context (default: the model's)")
    size.add_argument("--dtype", type=Dtype, choices=list(Dtype), default=Dtype.BFLOAT16)
    size.add_argument("--quantization", type=Quantization, choices=list(Quantization))
    size.add_argument(
        "--gpu-memory-utilization", type=_share, default=0.9, help="share of GPU memory (0.9)"
    )
    size.add_argument(
        "--cloud",
        type=Cloud,
        choices=list(Cloud),
        default=Cloud.AWS,
        help="cloud whose catalog and prices the recommendation uses (default aws)",
    )
    size.add_argument("--format", choices=("table", "json"), default="table")
    size.add_argument("--out", type=Path, help="write to this file instead of standard output")
    size.set_defaults(handler=_size)
    return parser


def _stack_arguments(command: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    command.add_argument(
        "--stack", "-s", required=True, help="stack name: reads Pulumi.<stack>.yaml"
    )
    command.add_argument("--format", choices=formats, default=formats[0], help="output format")
    command.add_argument("--out", type=Path, help="write to this file instead of standard output")


def _stacks_arguments(command: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    """`--stack` as often as wanted, or `--all-stacks`: one process for them all."""
    which = command.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--stack",
        "-s",
        action="append",
        dest="stacks",
        help="stack name: reads Pulumi.<stack>.yaml; repeat it for several stacks",
    )
    which.add_argument(
        "--all-stacks",
        action="store_true",
        help="every stack of the project (each Pulumi.<stack>.yaml beside Pulumi.yaml)",
    )
    command.add_argument("--format", choices=formats, default=formats[0], help="output format")
    command.add_argument("--out", type=Path, help="write to this file instead of standard output")


def _stacks(args: argparse.Namespace) -> list[str]:
    if not args.all_stacks:
        return list(dict.fromkeys(args.stacks))
    found = find_project((args.project_dir or Path.cwd()).resolve()).stacks()
    if not found:
        raise StackFileError("--all-stacks: no Pulumi.<stack>.yaml beside Pulumi.yaml")
    return found


def _several(args: argparse.Namespace) -> bool:
    """Whether the caller asked for stacks in the plural (`--all-stacks`, or `--stack`
    repeated): the JSON output is then a list, however many stacks there are."""
    return bool(args.all_stacks) or len(args.stacks) > 1


def _joined(texts: list[str], output: str, *, several: bool) -> str:
    """One stack's output as it is; several: JSON documents as one list (SARIF: one log of
    every stack's runs), text one after the other."""
    if len(texts) == 1 and not (several and output == "json"):
        return texts[0]
    if output == "json":
        return json.dumps([json.loads(t) for t in texts], indent=2)
    if output == "sarif":
        logs = [json.loads(t) for t in texts]
        runs = [run for log in logs for run in log["runs"]]
        return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}, indent=2)
    return "\n\n".join(t.rstrip("\n") for t in texts) + "\n" if texts else ""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not positive")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.1 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not between 0.1 and 1.0")
    return value


class VerdictError(Exception):
    """Output to emit, then a non-zero exit (e.g. a diff that destroys data)."""

    def __init__(self, text: str, code: int) -> None:
        super().__init__(text)
        self.text, self.code = text, code


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], str] = args.handler
    try:
        return _emit(handler(args), args.out)
    except VerdictError as verdict:
        return _emit(verdict.text, args.out) or verdict.code
    except (ConfigError, StackFileError, ArchitectureError, SizeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ProgramError as error:
        print(f"error: the program failed under the offline plan: {error}", file=sys.stderr)
        _traceback_hint(args.debug, error)
        return EXIT_FAILED
    except Exception as error:  # a bug in llm-infra itself: say so, briefly
        print(f"error: llm-infra failed: {type(error).__name__}: {error}", file=sys.stderr)
        _traceback_hint(args.debug, error)
        return EXIT_FAILED


def _failed_stacks(failures: dict[str, Exception], text: str) -> None:
    """Stacks whose input was wrong, after the others' output: each error on stderr, then
    exit 2 with the good stacks' output still emitted."""
    if not failures:
        return
    for stack, error in failures.items():
        print(f"error: stack '{stack}': {error}", file=sys.stderr)
    raise VerdictError(text, EXIT_USAGE)


def _plan(args: argparse.Namespace) -> str:
    renderers = {"json": lambda p: p.to_json(), "table": render_table, "markdown": render_markdown}
    stacks = _stacks(args)
    plans = []
    failures: dict[str, Exception] = {}
    for stack in stacks:
        try:
            plans.append(plan_stack(stack, args.project_dir))
        except (ConfigError, StackFileError, ArchitectureError) as error:
            if len(stacks) == 1:
                raise
            failures[stack] = error
    text = _joined(
        [renderers[args.format](plan) for plan in plans], args.format, several=_several(args)
    )
    _failed_stacks(failures, text)
    return text


def _check(args: argparse.Namespace) -> str:
    given = load_policy_config(args.policy_config) if args.policy_config else {}
    stacks = _stacks(args)
    failures: dict[str, Exception] = {}
    try:
        reports = run_checks(
            stacks, args.project_dir, given, failures=failures if len(stacks) > 1 else None
        )
    except PolicyPackError as error:
        raise ProgramError(str(error)) from None
    renderers = {
        "table": render_check_table,
        "json": render_check_json,
        "markdown": render_check_markdown,
        "sarif": render_check_sarif,
    }
    text = _joined(
        [renderers[args.format](r) for r in reports], args.format, several=_several(args)
    )
    _failed_stacks(failures, text)
    if not all(report.passed for report in reports):
        raise VerdictError(text, EXIT_FAILED)
    return text


def _endpoints(args: argparse.Namespace) -> str:
    found = endpoints_of(plan_stack(args.stack, args.project_dir))
    return {"table": render_endpoints_table, "json": render_endpoints_json}[args.format](found)


def _render(args: argparse.Namespace) -> str:
    return render_stack(args.stack, args.project_dir, args.out_dir)


def _cost(args: argparse.Namespace) -> str:
    report = estimate_cost(_stack_config(args))
    renderers = {
        "json": render_cost_json,
        "table": render_cost_table,
        "markdown": render_cost_markdown,
    }
    return renderers[args.format](report)


def _diff(args: argparse.Namespace) -> str:
    base, head = _read_record(args.base), _read_record(args.head)
    result = diff_plans(base, head)
    renderers = {
        "markdown": lambda d: render_diff_markdown(d, head),
        "table": render_diff_table,
        "json": render_diff_json,
    }
    text = renderers[args.format](result)
    if args.fail_on_replace and result.replacements:
        raise VerdictError(text, EXIT_FAILED)
    return text


def _preflight(args: argparse.Namespace) -> str:
    config = _stack_config(args)

    def session() -> Any:
        try:
            return boto3.Session(profile_name=args.profile, region_name=config.region)
        except ProfileNotFound as error:
            raise StackFileError(f"--profile: {error}") from None

    try:
        findings = preflight(config, session)
    except NoCredentialsError:
        raise StackFileError(
            "no AWS credentials found: preflight reads your account's zones and quotas; "
            "configure credentials (aws configure, AWS_PROFILE, or SSO) or pass --profile"
        ) from None
    text = (
        render_preflight_json(args.stack, findings)
        if args.format == "json"
        else render_preflight_table(args.stack, findings)
    )
    if failed(findings):
        raise VerdictError(text, EXIT_FAILED)
    return text


def _stack_config(args: argparse.Namespace) -> StackConfig:
    project = find_project((args.project_dir or Path.cwd()).resolve())
    values = load_stack(project, args.stack)
    return load_stack_config(values.config, source=values.source)


def _read_record(path: Path) -> dict[str, Any]:
    what = "a plan record; make one with `llm-infra plan --format json`"
    try:
        record = read_json_object(path, what)
    except JsonFileError as error:
        raise StackFileError(str(error)) from None
    if "resources" not in record:
        raise StackFileError(f"{path}: not {what}")
    return record


def _size(args: argparse.Namespace) -> str:
    arch = load_config_file(args.model_config) if args.model_config else load_model(args.model)
    request = SizeRequest(
        arch=arch,
        gpu=args.gpu,
        gpus=args.gpus,
        max_model_len=args.max_model_len,
        dtype=args.dtype,
        quantization=args.quantization,
        gpu_memory_utilization=args.gpu_memory_utilization,
        cloud=args.cloud,
    )
    report = size_report(request)
    return render_size_json(report) if args.format == "json" else render_size_table(report)


def _emit(text: str, out: Path | None) -> int:
    if out is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"error: --out {out}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _traceback_hint(debug: bool, error: BaseException) -> None:
    if debug or os.environ.get("LLM_INFRA_DEBUG"):
        traceback.print_exception(error)
    else:
        print("(run with --debug for the traceback)", file=sys.stderr)


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
