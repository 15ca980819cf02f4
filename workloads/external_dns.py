"""external-dns: keeps the gateway's name in the stack's private zone pointing at the
gateway's load balancer.

Pinned: chart `external-dns` 1.21.1 from https://kubernetes-sigs.github.io/external-dns/
(app v0.21.0: kubernetes-sigs/external-dns@external-dns-helm-chart-1.21.1
charts/external-dns/Chart.yaml). What it reads and how far it reaches:
- the `service` source, narrowed to LoadBalancer Services (`--service-type-filter`, so it
  watches Services only: source/service.go:123-157 at v0.21.0) in the gateway's namespace
  (`namespaced` + `sourceNamespace`: a Role there, no ClusterRole:
  templates/clusterrole.yaml:1-31);
- the name comes from the proxies' Service annotation
  `external-dns.alpha.kubernetes.io/hostname` (source/annotations/annotations.go:22), its
  target from the Service's load balancer status (docs/sources/service.md:42-50);
- `policy: sync` removes a record it owns when the name changes; TXT ownership records
  (`registry: txt`, `txtOwnerId`) keep it away from records it did not write;
- the chart's own security context is non-root 65532 with a read-only root file system
  (values.yaml:92-123); it sets no requests, so they are set here.
"""

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.dns import NAMESPACE, SERVICE_ACCOUNT, DnsPublisher
from workloads.placement import CPU_POOL_RELEASE_TIMEOUT, Placement
from workloads.wire import wire

CHART = "external-dns"
CHART_REPOSITORY = "https://kubernetes-sigs.github.io/external-dns/"
CHART_VERSION = "1.21.1"
HOSTNAME_ANNOTATION = "external-dns.alpha.kubernetes.io/hostname"
CONFIG_MAP = "external-dns-config"
CONFIG_DIR = "/etc/kubernetes"
RESOURCES = {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}


def external_dns_values(
    publisher: DnsPublisher, owner: str, placement: Mapping[str, Any]
) -> dict[str, Any]:
    """The chart's values (charts/external-dns/values.yaml at chart 1.21.1)."""
    values: dict[str, Any] = {
        "fullnameOverride": CHART,
        "provider": {"name": publisher.provider},
        "sources": ["service"],
        "namespaced": True,
        "sourceNamespace": NAMESPACE,
        "domainFilters": [publisher.domain],
        "policy": "sync",
        "registry": "txt",
        "txtOwnerId": owner,
        "serviceAccount": {
            "create": True,
            "name": SERVICE_ACCOUNT,
            "annotations": dict(publisher.service_account_annotations),
            "labels": dict(publisher.service_account_labels),
        },
        "podLabels": dict(publisher.pod_labels),
        "env": [{"name": k, "value": v} for k, v in publisher.env.items()],
        "extraArgs": {"service-type-filter": "LoadBalancer", **publisher.args},
        "resources": RESOURCES,
        **placement,
    }
    if publisher.config_files:
        values["extraVolumes"] = [{"name": "config", "configMap": {"name": CONFIG_MAP}}]
        values["extraVolumeMounts"] = [
            {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}
        ]
    return values


class ExternalDns(pulumi.ComponentResource):
    """Creates: with config files (Azure), their ConfigMap (`-config`); the Helm release
    (`-release`) in the gateway's namespace, on the CPU pool."""

    def __init__(
        self,
        name: str,
        publisher: DnsPublisher,
        *,
        owner: str,
        kubernetes_provider: k8s.Provider,
        namespace: k8s.core.v1.Namespace,
        placement: Placement,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:ExternalDns", name, None, opts)
        after: list[pulumi.Resource] = [namespace, *placement.ready]
        if publisher.config_files:
            # no secret in it: with workload identity the file names tenant, subscription
            # and resource group only (provider/azure/config.go:38-50)
            after.append(
                k8s.core.v1.ConfigMap(
                    f"{name}-config",
                    metadata={"name": CONFIG_MAP, "namespace": NAMESPACE},
                    data=dict(publisher.config_files),
                    opts=pulumi.ResourceOptions(
                        parent=self, provider=kubernetes_provider, depends_on=[namespace]
                    ),
                )
            )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=CHART,
            chart=CHART,
            version=CHART_VERSION,
            repository_opts={"repo": CHART_REPOSITORY},
            namespace=NAMESPACE,
            values=wire(external_dns_values(publisher, owner, placement.pod_fields())),
            atomic=True,
            timeout=CPU_POOL_RELEASE_TIMEOUT,
            opts=pulumi.ResourceOptions(
                parent=self, provider=kubernetes_provider, depends_on=after
            ),
        )
        self.register_outputs({"domain": publisher.domain})
