"""The gateway's name in DNS: a private zone on the stack's network, and what external-dns
needs to publish records in it, and only in it, as a cloud identity of its own.

Each cloud builds its zone and identity (components/<cloud>/dns.py) and returns a
`DnsPublisher`; the workloads install external-dns from it (workloads/external_dns.py).
external-dns runs in the gateway's namespace under one fixed ServiceAccount, so the cloud
identity can be bound to exactly that account before the chart exists.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

NAMESPACE = "envoy-gateway-system"
"""external-dns runs beside the proxies' Service it reads (Envoy Gateway's namespace)."""
SERVICE_ACCOUNT = "external-dns"


@dataclass(frozen=True)
class DnsPublisher:
    """How external-dns (kubernetes-sigs/external-dns, chart 1.21.1) writes into one zone."""

    domain: str
    """The zone's name, e.g. `prod.example.internal`; external-dns touches nothing else."""
    zone_id: pulumi.Input[str]
    provider: str
    """external-dns `--provider` (`aws`, `google`, `azure-private-dns`)."""
    args: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Provider flags, without the leading `--` (the chart's `extraArgs`)."""
    env: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    service_account_labels: Mapping[str, str] = field(default_factory=dict)
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    config_files: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Files external-dns reads from /etc/kubernetes (Azure's `azure.json`)."""


def zone_resource_name(domain: str) -> str:
    """`prod.example.internal` → `dns-prod-example-internal` (a resource name)."""
    return "dns-" + domain.replace(".", "-")
