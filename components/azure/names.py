"""Azure names that must be globally unique, derived deterministically from the stack."""

import hashlib
import re


def global_name(prefix: str, *parts: str, max_length: int = 24, hyphens: bool = False) -> str:
    """`prefix` plus readable stack parts plus a stable hash, within `max_length`.

    Storage accounts take 3-24 lowercase letters and digits; key vaults 3-24 letters,
    digits and hyphens. The hash keeps two stacks (or two projects) apart.
    """
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()[:8]
    allowed = r"[^a-z0-9-]" if hyphens else r"[^a-z0-9]"
    readable = re.sub(allowed, "", "-".join(parts).lower() if hyphens else "".join(parts).lower())
    readable = re.sub(r"-+", "-", readable)
    sep = "-" if hyphens else ""
    room = max_length - len(prefix) - len(digest) - 2 * len(sep)
    readable = readable[: max(room, 0)].strip("-")
    return sep.join(p for p in (prefix, readable, digest) if p)
