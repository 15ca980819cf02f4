"""The built-in model library (models.yaml) and config.json files on disk."""

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from components.jsonfile import JsonFileError, read_json_object
from components.sizing.architecture import ArchitectureError, ModelArchitecture, from_hf_config

LIBRARY_FILE = Path(__file__).with_name("models.yaml")


@cache
def _library() -> dict[str, dict[str, Any]]:
    return dict(yaml.safe_load(LIBRARY_FILE.read_text(encoding="utf-8")))


def known_models() -> list[str]:
    return sorted(_library())


def find_model(name: str) -> ModelArchitecture | None:
    """A library model by Hugging Face id or by the part after the slash, any case."""
    wanted = name.lower()
    for model_id, config in _library().items():
        if wanted in (model_id.lower(), model_id.split("/", 1)[1].lower()):
            return from_hf_config(config, model_id)
    return None


def load_model(name: str) -> ModelArchitecture:
    found = find_model(name)
    if found is None:
        raise ArchitectureError(
            f"{name!r} is not in the built-in model library; pass its config.json with "
            f"--model-config, or use one of: {', '.join(known_models())}"
        )
    return found


def load_config_file(path: Path) -> ModelArchitecture:
    try:
        config = read_json_object(path, "a config.json object")
    except JsonFileError as error:
        raise ArchitectureError(str(error)) from None
    return from_hf_config(config, str(config.get("_name_or_path") or path.parent.name or path.name))
