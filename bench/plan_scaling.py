"""Plan and check time for generated stacks with 4 and with 40 model deployments."""

import copy
import os
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import median_seconds

ROOT = Path(__file__).resolve().parents[1]
CLI = str(ROOT / ".venv" / "bin" / "llm-infra")
LIBRARY = [
    ("meta-llama/Llama-3.1-8B-Instruct", 8192),
    ("Qwen/Qwen2.5-7B-Instruct", 8192),
    ("mistralai/Mistral-7B-Instruct-v0.3", 8192),
    ("google/gemma-2-2b-it", 8192),
]


def stack_with(models: int) -> dict:
    document = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    platform = document["config"]["llm-infra:platform"]
    platform["gpu_pools"] = [
        {"name": "standard", "gpu": "l4", "gpus_per_node": 4, "min_nodes": 1, "max_nodes": models}
    ]
    platform["models"] = [
        {
            "name": f"model-{i}",
            "hf_model_id": LIBRARY[i % len(LIBRARY)][0],
            "pool": "standard",
            "max_model_len_tokens": LIBRARY[i % len(LIBRARY)][1],
            "min_replicas": 1,
            "max_replicas": 2,
        }
        for i in range(models)
    ]
    platform["cost"] = {}
    return copy.deepcopy(document)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "Pulumi.yaml").write_text(
            f"name: llm-infra\nruntime: python\nmain: {ROOT / 'infra'}\n"
        )
        print(f"machine: {os.cpu_count()} cores; median of 3 fresh processes")
        print(f"{'models':>7}  {'plan (s)':>9}  {'check (s)':>10}  resources")
        for models in (4, 40):
            (project / f"Pulumi.m{models}.yaml").write_text(yaml.safe_dump(stack_with(models)))
            base = [CLI, "--project-dir", str(project)]
            plan = median_seconds(
                [
                    *base,
                    "plan",
                    "-s",
                    f"m{models}",
                    "--format",
                    "json",
                    "--out",
                    str(project / "p.json"),
                ]
            )
            check = median_seconds([*base, "check", "-s", f"m{models}"], ok=(0, 1))
            resources = (project / "p.json").read_text().count('"urn":')
            print(f"{models:>7}  {plan:>9.2f}  {check:>10.2f}  {resources}")


if __name__ == "__main__":
    main()
