"""The llm-infra Pulumi program: read the config, build the platform, export outputs.

Composition only; every resource comes from a component. `pulumi up -s <stack>` runs
this file, and so does the offline planner (`llm-infra plan`), under mocks.
"""

import pulumi

from infra.deploy_workloads import deploy_workloads
from infra.platforms import build_platform
from infra.program import read_stack_config, read_workload_secrets, stack_tags

config = read_stack_config()
platform = build_platform(config, stack_tags(config, pulumi.get_stack()))
workloads = deploy_workloads(config, platform, read_workload_secrets())

pulumi.export("cloud", config.cloud.value)
pulumi.export("environment", config.environment.value)
pulumi.export("region", config.region)
for group, values in {**platform.outputs, **workloads}.items():
    pulumi.export(group, values)
