from infra.config.reference import render
from tests.harness import ROOT


def test_the_committed_reference_matches_the_model():
    committed = (ROOT / "docs" / "CONFIG.md").read_text()
    assert committed == render(), "docs/CONFIG.md is stale: run `make docs`"


def test_every_section_and_environment_default_is_documented():
    text = render()
    for section in (
        "network",
        "cluster",
        "cluster.system_pool",
        "gpu_pools[]",
        "models[]",
        "vector_db",
        "monitoring",
        "cost",
    ):
        assert f"## `llm-infra:platform.{section}`" in text
    assert "by environment: dev: `single` · staging: `single` · prod: `one_per_az`" in text
    assert "| `pool` | string | **required** |" in text
