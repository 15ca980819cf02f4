"""What a preflight check found, and what to do about it."""

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # `pulumi up` would fail
    WARNING = "warning"  # it would work, but cost or risk is worth a look
    OK = "ok"
    UNSUPPORTED = "unsupported"  # not checked on this cloud yet


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    message: str
    fix: str = ""
