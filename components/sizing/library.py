"""The built-in model library (models.yaml) and config.json files on disk."""

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from components.jsonfile import JsonFileError, read_json_object
from components.sizing.architecture import ArchitectureError, ModelArchitecture, from_hf_config
from components.sizing.hub import (
    CONFIGS_ENV,
    cached_config,
    config_path,
    fetch_config,
    project_configs,
)

LIBRARY_FILE = Path(__file__).with_name("models.yaml")
_CONFIGS: list[Path] = []


def use_model_configs(folder: Path | None) -> None:
    """Where kept model configs are read from (None: `hub.project_configs()`)."""
    _CONFIGS[:] = [folder] if folder is not None else []


def model_configs() -> Path:
    """`LLM_INFRA_MODEL_CONFIGS`, else the folder set by `use_model_configs`, else the
    project's (`hub.project_configs`)."""
    given = os.environ.get(CONFIGS_ENV)
    if given:
        return Path(given)
    return _CONFIGS[0] if _CONFIGS else project_configs()


def kept_config_path(model_id: str) -> Path:
    return config_path(model_configs(), model_id)


@cache
def _library() -> dict[str, dict[str, Any]]:
    return dict(yaml.safe_load(LIBRARY_FILE.read_text(encoding="utf-8")))


def known_models() -> list[str]:
    return sorted(_library())


def find_model(name: str) -> ModelArchitecture | None:
    """A library model by Hugging Face id or by the part after the slash, any case; else
    a model whose config.json is kept in the project's model-configs folder (hub.py)."""
    wanted = name.lower()
    for model_id, config in _library().items():
        if wanted in (model_id.lower(), model_id.split("/", 1)[1].lower()):
            return from_hf_config(config, model_id)
    kept = cached_config(model_configs(), name)
    return from_hf_config(kept, name) if kept is not None else None


def load_model(name: str) -> ModelArchitecture:
    """A library or kept model, else one fetched from the Hub (and kept)."""
    found = find_model(name)
    if found is not None:
        return found
    if "/" not in name:
        raise ArchitectureError(
            f"{name!r} is not in the built-in model library; give its Hugging Face id "
            f"(<org>/<name>), pass its config.json with --model-config, or use one of: "
            f"{', '.join(known_models())}"
        )
    return from_hf_config(fetch_config(model_configs(), name), name)


def load_config_file(path: Path) -> ModelArchitecture:
    try:
        config = read_json_object(path, "a config.json object")
    except JsonFileError as error:
        raise ArchitectureError(str(error)) from None
    return from_hf_config(config, str(config.get("_name_or_path") or path.parent.name or path.name))
