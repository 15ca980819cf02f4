"""`llm-infra plan`: load a stack file, validate it, run the real program under mocks."""

from dataclasses import asdict
from pathlib import Path

from infra.config import StackConfig, load_stack_config
from infra.cost import estimate_cost
from infra.offline.convert import default_provider_records, plain, to_record
from infra.offline.mocks import MockContext, PlanMocks
from infra.offline.record import PlanRecord
from infra.offline.runner import Capture, program_body, run_under_mocks
from infra.offline.stackfile import StackValues, find_project, load_stack
from infra.sizing import size_model, sizing_record, stack_load_estimates


def plan_stack(stack: str, project_dir: Path | None = None) -> PlanRecord:
    """Raises StackFileError or ConfigError (bad input), ProgramError (the program failed)."""
    return plan_with_config(stack, project_dir)[1]


def plan_with_config(stack: str, project_dir: Path | None = None) -> tuple[StackConfig, PlanRecord]:
    project = find_project((project_dir or Path.cwd()).resolve())
    values = load_stack(project, stack)
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
