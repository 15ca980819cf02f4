"""Model configs from the Hugging Face Hub, kept in the project's `model-configs/` folder.

A model outside the built-in library is sized from its own `config.json`. `llm-infra size
--model <id>` and `llm-infra plan`/`check` fetch it once over HTTPS (with `HF_TOKEN` for a
gated model) into `model-configs/<org>/<name>/config.json`, beside a `source.json` naming
the Hub revision it came from. From then on the file is the input: committed with the
stack, it makes every later plan, check and `pulumi up` size the model the same way with
no network, and a config written by hand there works the same.

The Hub's file API is `<endpoint>/<id>/resolve/<revision>/<file>` (huggingface_hub's
`hf_hub_url`; `HF_ENDPOINT` moves it, as for the Hub's own clients) and answers with the
commit it served in `X-Repo-Commit`. `HF_HUB_OFFLINE=1` (the Hub clients' switch) or
`LLM_INFRA_OFFLINE=1` keeps every command off the network.
"""

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from components.sizing.architecture import ArchitectureError

CONFIGS_DIR = "model-configs"
CONFIGS_ENV = "LLM_INFRA_MODEL_CONFIGS"
ENDPOINT_ENV = "HF_ENDPOINT"
DEFAULT_ENDPOINT = "https://huggingface.co"
OFFLINE_ENVS = ("HF_HUB_OFFLINE", "LLM_INFRA_OFFLINE")
TOKEN_ENV = "HF_TOKEN"
REVISION = "main"
TIMEOUT_S = 20
CONFIG_FILE = "config.json"
SOURCE_FILE = "source.json"


class HubError(ArchitectureError):
    """A model config that could not be fetched or read; the message says what to do."""


def offline() -> bool:
    return any(os.environ.get(name, "").lower() in ("1", "true", "yes") for name in OFFLINE_ENVS)


def is_hub_id(name: str) -> bool:
    org, slash, model = name.partition("/")
    return bool(slash and org and model and "/" not in model and ".." not in name)


def config_path(configs: Path, model_id: str) -> Path:
    return configs / model_id / CONFIG_FILE


def cached_config(configs: Path, model_id: str) -> dict[str, Any] | None:
    """The config kept for `model_id`, or None when there is none."""
    if not is_hub_id(model_id):
        return None
    path = config_path(configs, model_id)
    if not path.is_file():
        return None
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise HubError(
            f"{path}: not a readable config.json ({error}); delete it to fetch again"
        ) from None
    if not isinstance(found, dict):
        raise HubError(f"{path}: a config.json is a JSON object; delete it to fetch again")
    return found


def fetch_config(configs: Path, model_id: str) -> dict[str, Any]:
    """`model_id`'s config.json: the kept one, else fetched from the Hub and kept."""
    found = cached_config(configs, model_id)
    if found is not None:
        return found
    path = config_path(configs, model_id)
    if not is_hub_id(model_id):
        raise HubError(f"{model_id!r} is not a Hugging Face id (<org>/<name>)")
    if offline():
        raise HubError(
            f"{model_id}: not in the model library and no config kept at {path}, and the "
            "Hub is switched off (HF_HUB_OFFLINE / LLM_INFRA_OFFLINE); run `llm-infra size "
            f"--model {model_id}` where the Hub is reachable and commit {path}, write the "
            "model's config.json there, or size that file with --model-config"
        )
    endpoint = os.environ.get(ENDPOINT_ENV, DEFAULT_ENDPOINT).rstrip("/")
    url = f"{endpoint}/{model_id}/resolve/{REVISION}/{CONFIG_FILE}"
    body, revision = _get(url, model_id, path)
    try:
        config = json.loads(body)
    except ValueError as error:
        raise HubError(f"{model_id}: {url} is not JSON ({error})") from None
    if not isinstance(config, dict) or not config.get("model_type"):
        raise HubError(f"{model_id}: {url} is not a model config.json (no model_type)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    source = {"model": model_id, "url": url, "revision": revision or REVISION}
    (path.parent / SOURCE_FILE).write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")
    return config


def _get(url: str, model_id: str, path: Path) -> tuple[bytes, str | None]:
    headers = {"User-Agent": "llm-infra"}
    token = os.environ.get(TOKEN_ENV)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return response.read(), response.headers.get("X-Repo-Commit")
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            why = "HF_TOKEN is not allowed to read it" if token else "it is gated and no HF_TOKEN"
            raise HubError(
                f"{model_id}: the Hub refused {url} (HTTP {error.code}): {why}; accept the "
                "model's license on its Hub page and set HF_TOKEN to a token with access, or "
                f"write its config.json to {path}"
            ) from None
        if error.code == 404:
            raise HubError(
                f"{model_id}: the Hub has no such model or no config.json in it ({url}: 404); "
                "check the id, or write its config.json to " + str(path)
            ) from None
        raise HubError(f"{model_id}: {url} answered HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise HubError(
            f"{model_id}: could not reach the Hub ({url}: {reason}); run where it is "
            f"reachable and commit {path}, or write the model's config.json there"
        ) from None


def project_configs(start: Path | None = None) -> Path:
    """The configs folder: `LLM_INFRA_MODEL_CONFIGS`, else `model-configs/` beside the
    nearest Pulumi.yaml at or above `start` (the working directory), else in `start`."""
    given = os.environ.get(CONFIGS_ENV)
    if given:
        return Path(given)
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / "Pulumi.yaml").is_file():
            return directory / CONFIGS_DIR
    return here / CONFIGS_DIR
