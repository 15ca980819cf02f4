"""`llm-infra check --stack prod` against checkov over the same stack's rendered manifests.

They answer different questions — check plans the whole stack (cloud and Kubernetes
resources), sizes and costs it and runs 91 rules (three packs); checkov reads Kubernetes YAML only —
so this measures what a pipeline waits for with each, not the same work.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import median_seconds

ROOT = Path(__file__).resolve().parents[1]
CLI = str(ROOT / ".venv" / "bin" / "llm-infra")
CHECKOV = str(ROOT / ".venv-tools" / "bin" / "checkov")


def main(stack: str = "prod") -> None:
    if not Path(CHECKOV).exists():
        raise SystemExit("checkov is not installed: run `make tools` first")
    with tempfile.TemporaryDirectory() as folder:
        rendered = Path(folder) / "manifests"
        subprocess.run(
            [CLI, "--project-dir", str(ROOT), "render", "--stack", stack, "--out", str(rendered)],
            check=True,
            capture_output=True,
        )
        files = sum(1 for _ in rendered.rglob("*.yaml"))
        check = median_seconds([CLI, "--project-dir", str(ROOT), "check", "--stack", stack])
        checkov = median_seconds(
            [
                CHECKOV,
                "--directory",
                str(rendered),
                "--framework",
                "kubernetes",
                "--quiet",
                "--compact",
            ],
            ok=(0, 1),
        )
    print(f"machine: {os.cpu_count()} cores; median of 3 fresh processes; stack {stack}")
    print(f"  llm-infra check (plan + 91 rules over every resource): {check:6.2f} s")
    print(f"  checkov kubernetes over {files} rendered manifests:    {checkov:6.2f} s")


if __name__ == "__main__":
    main(*sys.argv[1:])
