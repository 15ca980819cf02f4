"""GCP labels from the stack's tags: lower-case keys and values of at most 63 characters."""

import re
from collections.abc import Mapping

MAX_LENGTH = 63
_INVALID = re.compile(r"[^a-z0-9_-]")


def gcp_labels(tags: Mapping[str, str]) -> dict[str, str]:
    """`tags` as GCP labels. The config checks refuse user tags that are not valid labels;
    this only folds the platform's own (the stack name may hold upper-case letters or dots)
    into the form GCP accepts, so no API call fails on a label."""
    labels = {}
    for key, value in tags.items():
        label_key = _INVALID.sub("_", key.lower())[:MAX_LENGTH]
        if not label_key[:1].isalpha():
            label_key = f"l{label_key}"[:MAX_LENGTH]
        labels[label_key] = _INVALID.sub("_", value.lower())[:MAX_LENGTH]
    return labels
