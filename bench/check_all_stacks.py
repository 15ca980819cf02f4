"""`llm-infra check --all-stacks` (every shipped stack in one process) against four
separate `llm-infra check --stack` calls and against checkov over the same stacks' rendered
manifests, side by side in one run.

As in check_vs_checkov.py the tools do different work: check plans each whole stack
(cloud and Kubernetes resources), sizes and costs it and runs three policy packs over it;
checkov reads Kubernetes YAML only.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import median_seconds

ROOT = Path(__file__).resolve().parents[1]
CLI = str(ROOT / ".venv" / "bin" / "llm-infra")
CHECKOV = str(ROOT / ".venv-tools" / "bin" / "checkov")
STACKS = ("dev", "prod", "gcp-prod", "azure-prod")


def separate_calls() -> float:
    start = time.perf_counter()
    for stack in STACKS:
        subprocess.run(
            [CLI, "--project-dir", str(ROOT), "check", "--stack", stack],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - start


def main() -> None:
    if not Path(CHECKOV).exists():
        raise SystemExit("checkov is not installed: run `make tools` first")
    with tempfile.TemporaryDirectory() as folder:
        directories = []
        for stack in STACKS:
            out = Path(folder) / stack
            subprocess.run(
                [CLI, "--project-dir", str(ROOT), "render", "--stack", stack, "--out", str(out)],
                check=True,
                capture_output=True,
            )
            directories += ["--directory", str(out)]
        files = sum(1 for _ in Path(folder).rglob("*.yaml"))
        together = median_seconds([CLI, "--project-dir", str(ROOT), "check", "--all-stacks"])
        apart = sorted(separate_calls() for _ in range(3))[1]
        checkov = median_seconds(
            [CHECKOV, *directories, "--framework", "kubernetes", "--quiet", "--compact"],
            ok=(0, 1),
        )
    print(f"machine: {os.cpu_count()} cores; median of 3; stacks {', '.join(STACKS)}")
    print(f"  llm-infra check --all-stacks (one process):      {together:6.2f} s")
    print(f"  llm-infra check --stack, four processes:         {apart:6.2f} s")
    print(f"  checkov kubernetes over {files} rendered manifests: {checkov:6.2f} s")
    print(f"  ratio, one call to checkov:                      {together / checkov:6.2f}")


if __name__ == "__main__":
    main()
