"""cert-manager and a private certificate authority, for the gateway's TLS.

cert-manager v1.21.1 (chart `oci://quay.io/jetstack/charts/cert-manager`, versioned with
its release tag; CRDs only with `crds.enabled`, which defaults to false:
cert-manager/cert-manager@v1.21.1 deploy/charts/cert-manager/values.yaml:109). The chain is
the one cert-manager documents for a private CA: a self-signed ClusterIssuer signs a CA
Certificate, whose Secret a CA ClusterIssuer signs with. A ClusterIssuer reads its Secret
from the cluster resource namespace, which the chart sets to its own (pkg/issuer/helper.go,
templates/deployment.yaml), so the CA lives in cert-manager's namespace; the leaf
Certificate lives beside the Gateway that uses its Secret.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from workloads.placement import CPU_POOL_RELEASE_TIMEOUT, Placement
from workloads.wire import wire

CHART = "oci://quay.io/jetstack/charts/cert-manager"
VERSION = "v1.21.1"
NAMESPACE = "cert-manager"
API = "cert-manager.io/v1"
SELF_SIGNED = "llm-infra-self-signed"
CA_ISSUER = "llm-infra-ca"
CA_SECRET = "llm-infra-ca"
KEY = {"algorithm": "ECDSA", "size": 256}
CA_DURATION = "87600h"  # ten years; cert-manager renews it a third before
LEAF_DURATION = "2160h"  # 90 days, cert-manager's default, renewed 30 days before
SMALL = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}}
COMPONENTS = ("webhook", "cainjector", "startupapicheck")


def cert_manager_values(placement: Mapping[str, Any]) -> dict[str, Any]:
    """The chart's values (values.yaml at v1.21.1): its CRDs, and every component on the
    CPU pool with requests (the chart sets none, so the scheduler would not count them)."""
    return {
        "crds": {"enabled": True, "keep": True},
        **placement,
        "resources": SMALL,
        **{component: {**placement, "resources": SMALL} for component in COMPONENTS},
    }


def ca_certificate_spec() -> dict[str, Any]:
    return {
        "isCA": True,
        "commonName": "llm-infra private CA",
        "secretName": CA_SECRET,
        "duration": CA_DURATION,
        "privateKey": KEY,
        "issuerRef": {"name": SELF_SIGNED, "kind": "ClusterIssuer", "group": "cert-manager.io"},
    }


def leaf_certificate_spec(hostname: str, secret_name: str) -> dict[str, Any]:
    return {
        "secretName": secret_name,
        "dnsNames": [hostname],
        "duration": LEAF_DURATION,
        "privateKey": KEY,
        "issuerRef": {"name": CA_ISSUER, "kind": "ClusterIssuer", "group": "cert-manager.io"},
    }


@dataclass(frozen=True)
class PrivateCa:
    issuer: k8s.apiextensions.CustomResource
    """The CA ClusterIssuer; a Certificate it signs waits for it."""
    release: k8s.helm.v3.Release


class CertManager(pulumi.ComponentResource):
    """cert-manager (Helm chart pinned, its CRDs included) and a private CA. Creates: the
    release (`-release`) on the CPU pool; the self-signed ClusterIssuer, the CA Certificate
    (Secret `llm-infra-ca` in cert-manager's namespace) and the CA ClusterIssuer
    (`ca.issuer`). `certificate()` adds a leaf Certificate it signs."""

    def __init__(
        self,
        name: str,
        *,
        kubernetes_provider: k8s.Provider,
        namespace: k8s.core.v1.Namespace,
        placement: Placement,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:CertManager", name, None, opts)
        self._name = name
        self._provider = kubernetes_provider

        def after(*resources: pulumi.Resource) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(
                parent=self, provider=kubernetes_provider, depends_on=list(resources)
            )

        release = k8s.helm.v3.Release(
            f"{name}-release",
            name="cert-manager",
            chart=CHART,
            version=VERSION,
            namespace=NAMESPACE,
            values=wire(cert_manager_values(placement.pod_fields())),
            atomic=True,
            timeout=CPU_POOL_RELEASE_TIMEOUT,
            opts=after(namespace, *placement.ready),
        )
        self_signed = k8s.apiextensions.CustomResource(
            f"{name}-self-signed",
            api_version=API,
            kind="ClusterIssuer",
            metadata={"name": SELF_SIGNED},
            spec={"selfSigned": {}},
            opts=after(release),
        )
        ca = k8s.apiextensions.CustomResource(
            f"{name}-ca",
            api_version=API,
            kind="Certificate",
            metadata={"name": CA_SECRET, "namespace": NAMESPACE},
            spec=wire(ca_certificate_spec()),
            opts=after(self_signed),
        )
        issuer = k8s.apiextensions.CustomResource(
            f"{name}-ca-issuer",
            api_version=API,
            kind="ClusterIssuer",
            metadata={"name": CA_ISSUER},
            spec={"ca": {"secretName": CA_SECRET}},
            opts=after(ca),
        )
        self.ca = PrivateCa(issuer=issuer, release=release)
        self.register_outputs({})

    def certificate(
        self,
        name: str,
        *,
        namespace: str,
        hostname: str,
        secret_name: str,
        after: Sequence[pulumi.Resource] = (),
    ) -> k8s.apiextensions.CustomResource:
        return k8s.apiextensions.CustomResource(
            f"{self._name}-{name}",
            api_version=API,
            kind="Certificate",
            metadata={"name": secret_name, "namespace": namespace},
            spec=wire(leaf_certificate_spec(hostname, secret_name)),
            opts=pulumi.ResourceOptions(
                parent=self, provider=self._provider, depends_on=[self.ca.issuer, *after]
            ),
        )
