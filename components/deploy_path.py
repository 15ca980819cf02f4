"""Where `pulumi up` runs: a component that records the deploy path in the stack itself.

The deploy pack's `deploy-reaches-the-api` rule reads it beside the cluster's endpoint
settings (infra/truth/reach.py). Its properties are both its inputs (what the offline plan
records) and its registered outputs (what the engine hands a stack policy for a component
resource), so the rule sees the same values under `llm-infra check` and `pulumi up`. A
runner the stack creates inside its network is a child of it.
"""

from collections.abc import Sequence

import pulumi

from components.enums import DeployRunner

TYPE = "llm-infra:deploy:DeployPath"


class DeployPath(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        runner: DeployRunner,
        runner_cidrs: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"runner": runner.value, "runnerCidrs": list(runner_cidrs)}
        super().__init__(TYPE, name, props, opts)
        self.runner = runner
        self.register_outputs(props)
