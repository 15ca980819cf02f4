"""Mocks that answer the program's resources and data sources like the real clouds."""

from typing import Any

import pulumi

from infra.offline.mocks import aws, azure, gcp, kubernetes, random
from infra.offline.mocks.context import MockCallError, MockContext

RESOURCE_OUTPUTS = {
    "aws": aws.resource,
    "gcp": gcp.resource,
    "azure-native": azure.resource,
    "kubernetes": kubernetes.resource,
    "random": random.resource,
}
CALLS = (aws.call, gcp.call, azure.call)


class PlanMocks(pulumi.runtime.Mocks):
    def __init__(self, context: MockContext) -> None:
        self.context = context

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        package = args.typ.split(":")[0]
        if package == "pulumi" or not args.custom:
            # providers and components: no cloud object behind them
            return (
                f"{self.context.digest(args.typ, args.name, length=32)}" if args.custom else "",
                inputs,
            )
        builder = RESOURCE_OUTPUTS.get(package)
        if builder is None:
            return f"{args.name}-{self.context.digest(args.typ, args.name, length=8)}", inputs
        resource_id, outputs = builder(self.context, args.typ, args.name, inputs)
        return resource_id, {**inputs, **outputs}

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        for handler in CALLS:
            result = handler(self.context, args.token, dict(args.args))
            if result is not None:
                return result, []
        raise MockCallError(
            f"the offline plan has no answer for the data source '{args.token}'; "
            "add one in infra/offline/mocks"
        )


__all__ = ["MockCallError", "MockContext", "PlanMocks"]
