"""The NVIDIA device plugin: advertises `nvidia.com/gpu` on GPU nodes, and only there.

Cloud-neutral: EKS and AKS GPU nodes get their drivers from the AMI / node pool but not
the plugin (GKE installs its own). The type token keeps the cloud in it, because it is
part of every deployed release's URN.
"""

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.enums import Cloud
from components.seam import GPU_LABEL, GPU_TOLERATION

CHART = "nvidia-device-plugin"
CHART_REPOSITORY = "https://nvidia.github.io/k8s-device-plugin"
CHART_VERSION = "0.17.1"
NAMESPACE = "kube-system"


@dataclass(frozen=True)
class DevicePluginArgs:
    cloud: Cloud
    chart_version: str = CHART_VERSION


def device_plugin_values() -> dict[str, Any]:
    """Run on nodes with the llm-infra GPU label, tolerating the GPU taint. The chart's own
    affinity expects Node Feature Discovery labels, which the managed nodes do not carry."""
    return {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": GPU_LABEL, "operator": "Exists"}]}
                    ]
                }
            }
        },
        "tolerations": [GPU_TOLERATION.as_dict()],
        "priorityClassName": "system-node-critical",
    }


class NvidiaDevicePlugin(pulumi.ComponentResource):
    """The NVIDIA device plugin DaemonSet (Helm chart pinned), type
    `llm-infra:<cloud>:NvidiaDevicePlugin`.

    Creates: the Helm release (`-release`) in kube-system, scheduled only on nodes labelled
    `llm-infra.io/gpu` and tolerating `nvidia.com/gpu=present:NoSchedule`.
    """

    release: k8s.helm.v3.Release
    """The plugin's release: GPU pods wait for it (it advertises `nvidia.com/gpu`)."""

    def __init__(
        self,
        name: str,
        args: DevicePluginArgs,
        *,
        kubernetes_provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(f"llm-infra:{args.cloud.value}:NvidiaDevicePlugin", name, None, opts)
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=CHART,
            chart=CHART,
            version=args.chart_version,
            repository_opts={"repo": CHART_REPOSITORY},
            namespace=NAMESPACE,
            values=device_plugin_values(),
            # A DaemonSet on GPU nodes only, which come and go (pools scale from zero): apply
            # it and let it converge; GPU pods wait for their nodes to advertise GPUs anyway.
            skip_await=True,
            opts=pulumi.ResourceOptions(parent=self, provider=kubernetes_provider),
        )
        self.register_outputs({})
