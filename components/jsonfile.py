"""Read a JSON object from a file a user named, with an error that says what is wrong."""

import json
from pathlib import Path
from typing import Any


class JsonFileError(ValueError):
    """The file is missing, unreadable, not JSON, or not an object; the message says which."""


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """`what` completes "<path>: not …" when the file holds something other than an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise JsonFileError(f"{path}: cannot be read: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise JsonFileError(f"{path}: not valid JSON (line {error.lineno}): {error.msg}") from None
    if not isinstance(data, dict):
        raise JsonFileError(f"{path}: not {what}")
    return data
