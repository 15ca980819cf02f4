"""Median wall time of a command over fresh processes."""

import statistics
import subprocess
import time
from collections.abc import Sequence


def median_seconds(command: Sequence[str], runs: int = 3, ok: tuple[int, ...] = (0,)) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if result.returncode not in ok:
            raise SystemExit(
                f"{' '.join(command)} exited {result.returncode}:\n{result.stderr[-2000:]}"
            )
    return statistics.median(times)
