"""Run components or whole stacks under the offline plan's mocks and query what they made."""

import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from infra.config import StackConfig, load_stack_config
from infra.offline.convert import default_provider_records, plain, to_record
from infra.offline.mocks import MockContext, PlanMocks
from infra.offline.plan import plan_stack
from infra.offline.record import PlanRecord
from infra.offline.runner import run_under_mocks

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_STACKS = ("dev", "prod", "gcp-prod", "azure-prod")
# Stacks that exist for the tests, in a project directory of their own: the program at
# features no shipped stack uses (a model across nodes).
EXAMPLES = ROOT / "tests" / "stacks"
EXAMPLE_STACKS = ("multinode",)
PROJECT = "llm-infra"


def run_components(
    body: Callable[[], None], *, stack: str = "test", region: str = "us-east-1", cloud: str = "aws"
) -> PlanRecord:
    """Run `body` (which builds components) under mocks; returns everything it registered."""
    capture = run_under_mocks(
        body,
        mocks=PlanMocks(MockContext(project=PROJECT, stack=stack, region=region)),
        project=PROJECT,
        stack=stack,
    )
    records = [to_record(r, PROJECT, stack) for r in capture.registrations]
    records += default_provider_records(records, PROJECT, stack)
    return PlanRecord(
        project=PROJECT,
        stack=stack,
        cloud=cloud,
        environment="test",
        region=region,
        resources=sorted(records, key=lambda r: r.urn),
        outputs=plain(capture.outputs),
    )


def shipped_config_values(stack: str) -> dict[str, Any]:
    """The raw `config:` mapping of a shipped stack file."""
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    return dict(document["config"])


def as_config_strings(values: Mapping[str, Any]) -> dict[str, str]:
    return {k: json.dumps(v) if isinstance(v, (dict, list)) else str(v) for k, v in values.items()}


def load(platform: Mapping[str, Any], **provider_keys: str) -> StackConfig:
    """Validate a platform mapping as the program would; provider keys as `aws_region=...`."""
    values = {"llm-infra:platform": json.dumps(platform)}
    for name, value in provider_keys.items():
        namespace, key = name.split("_", 1)
        namespace = "azure-native" if namespace == "azure" else namespace
        values[f"{namespace}:{key}"] = value
    return load_stack_config(values, source="test")


def minimal_platform(**overrides: Any) -> dict[str, Any]:
    """A small valid AWS dev platform to mutate in tests."""
    platform: dict[str, Any] = {
        "cloud": "aws",
        "environment": "dev",
        "region": "us-east-1",
        "network": {"availability_zones": ["us-east-1a", "us-east-1b"]},
        "cluster": {"public_access_cidrs": ["198.51.100.0/24"]},
        "gpu_pools": [{"name": "standard", "gpu": "l4"}],
        "models": [
            {
                "name": "llama",
                "hf_model_id": "meta-llama/Llama-3.1-8B-Instruct",
                "pool": "standard",
                "max_model_len_tokens": 8192,
            }
        ],
    }
    platform.update(overrides)
    return platform


def write_document(tmp: Path, document: Mapping[str, Any], stack: str = "gen") -> Path:
    """A project directory in `tmp` whose stack `stack` is `document`."""
    (tmp / "Pulumi.yaml").write_text(f"name: {PROJECT}\nruntime: python\nmain: {ROOT / 'infra'}\n")
    (tmp / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(copy.deepcopy(dict(document))))
    return tmp


def plan_document(tmp: Path, document: Mapping[str, Any], stack: str = "gen") -> PlanRecord:
    """The offline plan of a stack file written from `document` into `tmp`."""
    return plan_stack(stack, write_document(tmp, document, stack))


def shipped_document(stack: str) -> dict[str, Any]:
    """A shipped stack file's whole document, to edit in a test."""
    return dict(yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()))
