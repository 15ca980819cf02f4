"""The LeaderWorkerSet controller, for models whose replicas span nodes.

LeaderWorkerSet v0.10.0 (kubernetes-sigs/lws), from its published chart
`oci://registry.k8s.io/lws/charts/lws` at 0.10.0 (site/content/en/docs/installation/
_index.md:59-64). The chart installs the CRDs from its `crds/` directory on the first
install only (charts/lws/README.md:74-101); the CRD names the conversion webhook in
`lws-system` (charts/lws/crds/leaderworkerset.x-k8s.io_leaderworkersets.yaml:11-20), so the
release is `lws` in `lws-system`, as upstream installs it. The controller issues its
webhooks' certificates itself (internalCertManagement, on unless cert-manager is asked
for: templates/manager/configmap.yaml:15-16), so it needs nothing else in the cluster. Its
webhooks fail closed (templates/webhook/webhook.yaml:17,37,70), so groups wait for the
release to be ready.
"""

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from workloads.placement import CPU_POOL_RELEASE_TIMEOUT, Placement
from workloads.wire import wire

CHART = "oci://registry.k8s.io/lws/charts/lws"
VERSION = "0.10.0"
IMAGE_TAG = "v0.10.0"
NAMESPACE = "lws-system"
RELEASE = "lws"


def lws_values(placement: Mapping[str, Any]) -> dict[str, Any]:
    """The chart's values (charts/lws/values.yaml at v0.10.0): the controller image at the
    release's tag (the values file in git says `main`, `Always`: L16-21), requests the
    scheduler counts (the chart asks a whole CPU: L38-41), the seccomp profile the chart's
    pod context lacks (L23-24), and the CPU pool."""
    return {
        "image": {
            "manager": {
                "repository": "registry.k8s.io/lws/lws",
                "tag": IMAGE_TAG,
                "pullPolicy": "IfNotPresent",
            }
        },
        "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"memory": "1Gi"},
        },
        **placement,
    }


class LeaderWorkerSetController(pulumi.ComponentResource):
    """The LeaderWorkerSet controller (Helm chart pinned, its CRDs included). Creates: the
    release (`-release`) in `lws-system` on the CPU pool. Groups depend on `release`."""

    release: k8s.helm.v3.Release

    def __init__(
        self,
        name: str,
        *,
        kubernetes_provider: k8s.Provider,
        namespace: k8s.core.v1.Namespace,
        placement: Placement,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:LeaderWorkerSetController", name, None, opts)
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE,
            chart=CHART,
            version=VERSION,
            namespace=NAMESPACE,
            values=wire(lws_values(placement.pod_fields())),
            atomic=True,
            timeout=CPU_POOL_RELEASE_TIMEOUT,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=kubernetes_provider,
                depends_on=[namespace, *placement.ready],
            ),
        )
        self.register_outputs({"status": self.release.status})
