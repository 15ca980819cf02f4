"""The platform's namespaces, each with its Pod Security Standards level."""

from dataclasses import dataclass
from enum import StrEnum

import pulumi
import pulumi_kubernetes as k8s

from workloads.labels import MANAGED_BY, PART_OF
from workloads.wire import wire

PSS_VERSION = "latest"


class PodSecurity(StrEnum):
    """Pod Security Standards levels (the admission controller enforces them)."""

    RESTRICTED = "restricted"
    BASELINE = "baseline"
    PRIVILEGED = "privileged"


def pod_security_labels(level: PodSecurity) -> dict[str, str]:
    """Enforce `level`; warn and audit at restricted, so anything below it shows up in
    `kubectl` warnings and the audit log even where it is allowed."""
    labels = {
        "pod-security.kubernetes.io/enforce": level.value,
        "pod-security.kubernetes.io/enforce-version": PSS_VERSION,
    }
    for mode in ("warn", "audit"):
        labels[f"pod-security.kubernetes.io/{mode}"] = PodSecurity.RESTRICTED.value
        labels[f"pod-security.kubernetes.io/{mode}-version"] = PSS_VERSION
    return labels


@dataclass(frozen=True)
class NamespacesArgs:
    serving: str = "llm-serving"
    """Model and embeddings servers (restricted)."""
    serving_root: str | None = None
    """Model servers whose image cannot run as non-root (TGI 3.3.5; see its image contract),
    at baseline with warnings at restricted. None: no such namespace."""
    data: str = "llm-data"
    """Qdrant and its snapshot job (restricted)."""
    monitoring: str = "llm-monitoring"
    """Prometheus, Grafana, the operator (baseline: third-party charts, not all restricted)."""
    autoscaling: str = "keda"
    """KEDA (baseline: third-party chart)."""
    node_agents: str = "llm-node-agents"
    """Node-level agents only: DCGM exporter and node exporter read the host (privileged)."""
    gateway: str | None = None
    """Envoy Gateway, its proxies and the gateway's routes (baseline: third-party chart; the
    proxies run as non-root without a read-only root file system). None: no gateway."""
    ai_gateway: str | None = None
    """Envoy AI Gateway's controller (baseline: third-party chart)."""
    certificates: str | None = None
    """cert-manager, for the gateway's TLS (baseline: third-party chart)."""
    groups: str | None = None
    """The LeaderWorkerSet controller, for replicas across nodes (baseline: third-party
    chart). None: no model spans nodes."""

    def levels(self) -> dict[str, PodSecurity]:
        root = {self.serving_root: PodSecurity.BASELINE} if self.serving_root else {}
        gateway = {
            n: PodSecurity.BASELINE
            for n in (self.gateway, self.ai_gateway, self.certificates, self.groups)
            if n
        }
        return {
            **gateway,
            self.serving: PodSecurity.RESTRICTED,
            **root,
            self.data: PodSecurity.RESTRICTED,
            self.monitoring: PodSecurity.BASELINE,
            self.autoscaling: PodSecurity.BASELINE,
            self.node_agents: PodSecurity.PRIVILEGED,
        }


class Namespaces(pulumi.ComponentResource):
    """Creates one Namespace per role (`-serving`, `-data`, `-monitoring`, `-autoscaling`,
    `-node-agents`, and `-serving-root` when asked), labelled with its Pod Security
    Standards level."""

    def __init__(
        self,
        name: str,
        args: NamespacesArgs,
        *,
        kubernetes_provider: k8s.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:Namespaces", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=kubernetes_provider)
        levels = args.levels()
        roles = {
            "serving": args.serving,
            "data": args.data,
            "monitoring": args.monitoring,
            "autoscaling": args.autoscaling,
            "node-agents": args.node_agents,
        }
        if args.serving_root:
            roles["serving-root"] = args.serving_root
        if args.gateway:
            roles["gateway"] = args.gateway
        if args.ai_gateway:
            roles["ai-gateway"] = args.ai_gateway
        if args.certificates:
            roles["certificates"] = args.certificates
        if args.groups:
            roles["groups"] = args.groups
        self.args = args
        self.roles = dict(roles)
        self.resources: dict[str, k8s.core.v1.Namespace] = {
            role: k8s.core.v1.Namespace(
                f"{name}-{role}",
                metadata=wire(
                    {
                        "name": namespace,
                        "labels": {
                            **pod_security_labels(levels[namespace]),
                            "app.kubernetes.io/part-of": PART_OF,
                            "app.kubernetes.io/managed-by": MANAGED_BY,
                        },
                    }
                ),
                opts=child,
            )
            for role, namespace in roles.items()
        }
        self.register_outputs({role: ns.metadata.name for role, ns in self.resources.items()})

    def namespace(self, role: str) -> k8s.core.v1.Namespace:
        return self.resources[role]

    def named(self, namespace: str) -> k8s.core.v1.Namespace:
        """The namespace of this name (whichever role it has)."""
        (role,) = [r for r, n in self.roles.items() if n == namespace]
        return self.resources[role]
