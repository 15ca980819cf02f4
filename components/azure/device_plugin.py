"""The NVIDIA device plugin on AKS: the driver comes with the node pool, the plugin does not."""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

# The chart, its pin and its values are cloud-neutral; they live with the EKS plugin.
from components.aws.device_plugin import (
    CHART,
    CHART_REPOSITORY,
    CHART_VERSION,
    NAMESPACE,
    device_plugin_values,
)


@dataclass(frozen=True)
class DevicePluginArgs:
    chart_version: str = CHART_VERSION


class NvidiaDevicePlugin(pulumi.ComponentResource):
    """The NVIDIA device plugin DaemonSet (Helm chart pinned). AKS GPU pools install the
    NVIDIA driver (`gpu_profile.driver: Install`) but do not advertise `nvidia.com/gpu`
    without this plugin.

    Creates: the Helm release (`-release`) in kube-system, scheduled only on nodes labelled
    `llm-infra.io/gpu` and tolerating `nvidia.com/gpu=present:NoSchedule`.
    """

    def __init__(
        self,
        name: str,
        args: DevicePluginArgs,
        *,
        kubernetes_provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:azure:NvidiaDevicePlugin", name, None, opts)
        k8s.helm.v3.Release(
            f"{name}-release",
            name=CHART,
            chart=CHART,
            version=args.chart_version,
            repository_opts={"repo": CHART_REPOSITORY},
            namespace=NAMESPACE,
            values=device_plugin_values(),
            atomic=True,
            opts=pulumi.ResourceOptions(parent=self, provider=kubernetes_provider),
        )
        self.register_outputs({})
