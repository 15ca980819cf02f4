"""Models outside the library: their config.json fetched from the Hugging Face Hub once,
kept under the project, then read from there with no network. The Hub is a local HTTP
server speaking its file API (`<endpoint>/<id>/resolve/<revision>/<file>`, the commit in
`X-Repo-Commit`, 401 for a gated repo without a token), never the network."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from components.sizing.architecture import from_hf_config
from components.sizing.parameters import count_parameters
from infra.cli import main
from tests.harness import minimal_platform, plan_document

TINY = {
    "model_type": "llama",
    "vocab_size": 32000,
    "hidden_size": 2048,
    "num_hidden_layers": 16,
    "num_attention_heads": 16,
    "num_key_value_heads": 4,
    "intermediate_size": 5632,
    "max_position_embeddings": 8192,
}
TOKEN = "hf_example_token"


class FakeHub(BaseHTTPRequestHandler):
    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:
        FakeHub.seen.append((self.path, self.headers.get("Authorization")))
        files = {
            "/example-org/tiny-llama/resolve/main/config.json": (TINY, None),
            "/example-org/gated-llama/resolve/main/config.json": (TINY, TOKEN),
            "/example-org/not-a-model/resolve/main/config.json": ({"hello": 1}, None),
        }
        found = files.get(self.path)
        if found is None:
            self.send_response(404)
            self.end_headers()
            return
        body, needs = found
        if needs and self.headers.get("Authorization") != f"Bearer {needs}":
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Repo-Commit", "0123abcd")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hub(monkeypatch, tmp_path) -> Iterator[Path]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeHub.seen.clear()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    kept = tmp_path / "model-configs"
    monkeypatch.setenv("LLM_INFRA_MODEL_CONFIGS", str(kept))
    yield kept
    server.shutdown()


def sized(capsys, *args: str) -> tuple[int, Any]:
    code = main(["size", *args, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if code == 0 else None


def test_a_model_outside_the_library_is_fetched_once_then_read_from_the_project(
    hub, capsys, monkeypatch
):
    code, report = sized(capsys, "--model", "example-org/tiny-llama", "--gpu", "l4")
    assert code == 0
    assert report["parameters"] == count_parameters(from_hf_config(TINY, "tiny")).total
    kept = hub / "example-org" / "tiny-llama"
    assert json.loads((kept / "config.json").read_text()) == TINY
    assert json.loads((kept / "source.json").read_text())["revision"] == "0123abcd"
    # from now on the kept file is the input: no network, the same answer
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    asked = len(FakeHub.seen)
    assert sized(capsys, "--model", "example-org/tiny-llama", "--gpu", "l4")[1] == report
    assert len(FakeHub.seen) == asked


def test_a_gated_model_needs_a_token_and_the_error_says_so(hub, capsys, monkeypatch):
    assert main(["size", "--model", "example-org/gated-llama"]) == 2
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "gated" in err and "HF_TOKEN" in err
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert sized(capsys, "--model", "example-org/gated-llama")[0] == 0
    assert FakeHub.seen[-1][1] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("model", "says"),
    [
        ("example-org/missing", "no such model or no config.json"),
        ("example-org/not-a-model", "not a model config.json"),
    ],
)
def test_a_model_the_hub_cannot_give_fails_plainly(hub, capsys, model, says):
    assert main(["size", "--model", model]) == 2
    assert says in capsys.readouterr().err
    assert not (hub / model).exists()


def test_offline_with_nothing_kept_says_where_to_put_the_config(hub, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["size", "--model", "example-org/tiny-llama"]) == 2
    err = capsys.readouterr().err
    assert str(hub / "example-org" / "tiny-llama" / "config.json") in err
    assert "HF_HUB_OFFLINE" in err
    assert FakeHub.seen == []


def test_the_plan_fetches_a_stack_models_config_and_sizes_it(hub, tmp_path, monkeypatch):
    monkeypatch.delenv("LLM_INFRA_MODEL_CONFIGS")  # the plan keeps it beside Pulumi.yaml
    platform = minimal_platform()
    platform["models"][0]["hf_model_id"] = "example-org/tiny-llama"
    project = tmp_path / "project"
    project.mkdir()
    plan = plan_document(project, {"config": {"llm-infra:platform": platform}})
    (record,) = plan.sizing
    assert not record.get("not_sized"), record
    assert record["fits"] is True
    assert (project / "model-configs" / "example-org" / "tiny-llama" / "config.json").is_file()


def test_a_stack_model_that_cannot_be_fetched_is_not_sized_and_says_why(hub, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("LLM_INFRA_MODEL_CONFIGS")
    platform = minimal_platform()
    platform["models"][0]["hf_model_id"] = "example-org/tiny-llama"
    project = tmp_path / "project"
    project.mkdir()
    plan = plan_document(project, {"config": {"llm-infra:platform": platform}})
    (record,) = plan.sizing
    assert "model-configs/example-org/tiny-llama/config.json" in record["not_sized"]
    assert "llm-infra size --model example-org/tiny-llama" in record["not_sized"]
