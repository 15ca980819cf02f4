"""How the plan's models fit their GPUs, in one phrase and one line per model, shared by the
plan, check and diff reports. A model that could not be sized is "not sized", never a fit."""

from collections.abc import Iterable, Mapping
from typing import Any


def not_sized(record: Mapping[str, Any]) -> str | None:
    """Why a sizing record holds no fit (with the fix); None when it was sized."""
    if record.get("not_sized"):
        return str(record["not_sized"])
    if "fits" not in record:
        return "no fit was computed"
    return None


def fit_verdict(records: Iterable[Mapping[str, Any]]) -> str:
    """`yes`, `no (a, b)`, `not sized (c)`, or both of the last two."""
    records = list(records)
    unsized = [str(r["model"]) for r in records if not_sized(r) is not None]
    failing = [
        str(r["model"]) for r in records if not_sized(r) is None and not r.get("fits", False)
    ]
    parts = []
    if failing:
        parts.append(f"no ({', '.join(failing)})")
    if unsized:
        parts.append(f"not sized ({', '.join(unsized)})")
    return "; ".join(parts) or "yes"


def placement(record: Mapping[str, Any]) -> str:
    """`4 × h100 (p5.48xlarge)`, or for a replica across nodes `16 × h100 (2 nodes of
    p5.48xlarge)`: `gpus` is the tensor-parallel size, one node's share."""
    stages = int(record.get("pipeline_parallel") or 1)
    if stages == 1:
        return f"{record['gpus']} × {record['gpu']} ({record['instance_type']})"
    return (
        f"{record['gpus'] * stages} × {record['gpu']} ({stages} nodes of {record['instance_type']})"
    )


def fit_line(record: Mapping[str, Any]) -> str:
    """`llama: fits 1 × l4 (g6.xlarge), 12 sequences of 8192 tokens`, or why not."""
    model = record["model"]
    why = not_sized(record)
    if why is not None:
        return f"{model}: not sized: {why}"
    where = placement(record)
    if not record["fits"]:
        problems = "; ".join(record.get("problems") or []) or "does not fit"
        return f"{model}: DOES NOT FIT {where}: {problems}"
    return (
        f"{model}: fits {where}, {record['max_concurrent_sequences']} sequences of "
        f"{record['max_model_len']} tokens"
    )
