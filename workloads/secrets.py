"""Secrets the workloads read, made from Pulumi secrets: never a literal in a pod spec."""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from workloads.wire import wire


@dataclass(frozen=True)
class SecretArgs:
    namespace: str
    secret_name: str


class KubernetesSecret(pulumi.ComponentResource):
    """An Opaque Secret (`-secret`) whose values are Pulumi secrets; pods read it through
    `secretKeyRef`, so the value never appears in a workload's spec or the plan."""

    secret_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: SecretArgs,
        *,
        values: Mapping[str, pulumi.Input[str]],
        kubernetes_provider: k8s.Provider,
        namespace: k8s.core.v1.Namespace,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:KubernetesSecret", name, None, opts)
        secret = k8s.core.v1.Secret(
            f"{name}-secret",
            metadata=wire({"name": args.secret_name, "namespace": args.namespace}),
            type="Opaque",
            string_data=wire({key: pulumi.Output.secret(value) for key, value in values.items()}),
            opts=pulumi.ResourceOptions(
                parent=self, provider=kubernetes_provider, depends_on=[namespace]
            ),
        )
        self.secret_name = secret.metadata.name
        self.register_outputs({"secret_name": self.secret_name})
