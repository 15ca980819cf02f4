"""`llm-infra plan`: load a stack file, validate it, run the real program under mocks."""

import json
import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from components.sizing.hub import CONFIGS_DIR, CONFIGS_ENV, HubError, fetch_config
from components.sizing.library import find_model, model_configs, use_model_configs
from infra.config import StackConfig, load_stack_config
from infra.cost import estimate_cost
from infra.offline.convert import default_provider_records, plain, to_record
from infra.offline.mocks import MockContext, PlanMocks
from infra.offline.record import PlanRecord
from infra.offline.runner import Capture, program_body, run_under_mocks
from infra.offline.stackfile import StackValues, find_project, load_stack
from infra.sizing import size_model, sizing_record, stack_load_estimates

LOG = logging.getLogger("llm-infra")


def plan_stack(stack: str, project_dir: Path | None = None) -> PlanRecord:
    """Raises StackFileError or ConfigError (bad input), ProgramError (the program failed)."""
    return plan_with_config(stack, project_dir)[1]


def plan_with_config(stack: str, project_dir: Path | None = None) -> tuple[StackConfig, PlanRecord]:
    project = find_project((project_dir or Path.cwd()).resolve())
    values = load_stack(project, stack)
    if not os.environ.get(CONFIGS_ENV):
        use_model_configs(project.root / CONFIGS_DIR)
    fetch_model_configs(values.config)
    config = load_stack_config(values.config, source=values.source)
    capture = run_under_mocks(
        program_body(project.main),
        mocks=PlanMocks(mock_context(project.name, stack, config, values)),
        project=project.name,
        stack=stack,
        config=values.config,
        secret_keys=values.secret_keys,
    )
    return config, build_record(capture, project.name, stack, config)


def fetch_model_configs(config: dict[str, str]) -> None:
    """Fetch and keep the config.json of each model the library does not know (hub.py), so
    the config checks and the plan size it. A model that cannot be fetched is reported on
    stderr, and sized as "not sized" with the reason; a model with an `architecture` is
    sized as that library model and fetches nothing."""
    for model_id in _unknown_models(config):
        try:
            fetch_config(model_configs(), model_id)
        except HubError as error:
            LOG.warning("warning: %s", error)


def _unknown_models(config: dict[str, str]) -> list[str]:
    try:
        platform = json.loads(config.get("llm-infra:platform", "{}"))
    except ValueError:
        return []  # the config checks say what is wrong with it
    models = platform.get("models") if isinstance(platform, dict) else None
    found: list[str] = []
    for model in models if isinstance(models, list) else []:
        if not isinstance(model, dict) or model.get("architecture"):
            continue
        model_id: Any = model.get("hf_model_id")
        if isinstance(model_id, str) and "/" in model_id and not _known(model_id):
            found.append(model_id)
    return found


def _known(model_id: str) -> bool:
    """Whether the sizing has the model already; a kept config it cannot read counts (the
    config checks report what is wrong with it)."""
    try:
        return find_model(model_id) is not None
    except ValueError:
        return True


def mock_context(project: str, stack: str, config: StackConfig, values: StackValues) -> MockContext:
    return MockContext(
        project=project,
        stack=stack,
        region=config.region,
        gcp_project=values.config.get("gcp:project") or MockContext.gcp_project,
    )


def build_record(capture: Capture, project: str, stack: str, config: StackConfig) -> PlanRecord:
    records = [to_record(r, project, stack) for r in capture.registrations]
    records += default_provider_records(records, project, stack)
    loads = stack_load_estimates(config)
    return PlanRecord(
        project=project,
        stack=stack,
        cloud=config.cloud.value,
        environment=config.environment.value,
        region=config.region,
        resources=sorted(records, key=lambda r: r.urn),
        outputs=plain(capture.outputs),
        sizing=[
            sizing_record(size_model(config.cloud, m, config.pool(m.pool)), loads[m.name])
            for m in config.models
        ],
        cost=asdict(estimate_cost(config)),
    )
