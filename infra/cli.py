"""`llm-infra`: offline planning (and, as they land, sizing, cost, checks and diffs).

Exit codes: 0 success; 1 the program or the tool failed; 2 bad config or usage.
"""

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from infra.config import ConfigError
from infra.offline.plan import plan_stack
from infra.offline.render import render_markdown, render_table
from infra.offline.runner import ProgramError
from infra.offline.stackfile import StackFileError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llm-infra",
        description="Plan an LLM serving platform offline: no Pulumi CLI, no cloud credentials.",
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
    plan.add_argument("--stack", "-s", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    plan.add_argument(
        "--format", choices=("table", "json", "markdown"), default="table", help="output format"
    )
    plan.add_argument("--out", type=Path, help="write to this file instead of standard output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _plan(args)
    except (ConfigError, StackFileError) as error:
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


def _plan(args: argparse.Namespace) -> int:
    plan = plan_stack(args.stack, args.project_dir)
    renderers = {"json": lambda p: p.to_json(), "table": render_table, "markdown": render_markdown}
    text = renderers[args.format](plan)
    if args.out:
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(text, encoding="utf-8")
        except OSError as error:
            print(f"error: --out {args.out}: {error.strerror}", file=sys.stderr)
            return EXIT_USAGE
    else:
        sys.stdout.write(text)
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
