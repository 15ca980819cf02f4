"""The Kubernetes Cluster Autoscaler: scales node groups, GPU groups from zero and back."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.aws.cluster import Cluster
from components.aws.identity import WorkloadIdentity, WorkloadIdentityArgs
from components.aws.policies import cluster_autoscaler_policy
from components.seam import POOL_LABEL

CHART = "cluster-autoscaler"
CHART_REPOSITORY = "https://kubernetes.github.io/autoscaler"
CHART_VERSION = "9.43.1"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"
# The autoscaler's minor version must match the cluster's. Latest patch per minor on
# registry.k8s.io (kubernetes/k8s.io promotions, checked 2026-11); a minor not listed
# gets its .0 release, which every minor has.
IMAGE_TAGS = {"1.32": "v1.32.5", "1.33": "v1.33.3", "1.34": "v1.34.2"}


def image_tag(kubernetes_version: str) -> str:
    return IMAGE_TAGS.get(kubernetes_version, f"v{kubernetes_version}.0")


@dataclass(frozen=True)
class ClusterAutoscalerArgs:
    cluster_name: str
    region: str
    kubernetes_version: str
    """The autoscaler's minor version must match the cluster's."""
    system_pool: str = "system"
    """The pool the autoscaler itself runs on (never on a GPU node)."""
    scale_down_unneeded_minutes: int = 10
    """How long a node must be unneeded before it is removed."""
    tags: Mapping[str, str] = field(default_factory=dict)


def autoscaler_values(args: ClusterAutoscalerArgs, role_arn: str) -> dict[str, Any]:
    """The chart's values: discovery by tags, least-waste expansion, and scale-down that
    never evicts a busy GPU pod."""
    return {
        "cloudProvider": "aws",
        "awsRegion": args.region,
        "autoDiscovery": {"clusterName": args.cluster_name},
        "image": {"tag": image_tag(args.kubernetes_version)},
        "rbac": {
            "serviceAccount": {
                "create": True,
                "name": SERVICE_ACCOUNT,
                "annotations": {"eks.amazonaws.com/role-arn": role_arn},
            }
        },
        "nodeSelector": {POOL_LABEL: args.system_pool},
        "extraArgs": {
            # Of the groups that fit the pending pods, grow the one that leaves the least
            # idle CPU and memory: for GPU pods, the smallest node with enough GPUs.
            "expander": "least-waste",
            "balance-similar-node-groups": "true",
            "scale-down-unneeded-time": f"{args.scale_down_unneeded_minutes}m",
            "scale-down-delay-after-add": "10m",
            # Only empty-ish nodes go: a node running a model server is well above this.
            "scale-down-utilization-threshold": "0.5",
            # Model servers keep weights on local disk and must not be evicted mid-request.
            "skip-nodes-with-local-storage": "true",
            "skip-nodes-with-system-pods": "true",
            "max-graceful-termination-sec": "600",
        },
        "resources": {
            "requests": {"cpu": "100m", "memory": "300Mi"},
            "limits": {"memory": "600Mi"},
        },
    }


class ClusterAutoscaler(pulumi.ComponentResource):
    """The Cluster Autoscaler (Helm chart pinned) with its own IRSA role.

    Creates: an IRSA role for `kube-system/cluster-autoscaler` (`-identity`) with an
    inline policy that reads Auto Scaling groups and changes only those tagged as this
    cluster's (`-policy`); the Helm release (`-release`) discovering node groups by their
    `k8s.io/cluster-autoscaler/<cluster>` tag, expander least-waste, scale-down settings
    that leave busy GPU nodes alone, running on the system pool (so it waits for `nodes`).
    """

    def __init__(
        self,
        name: str,
        args: ClusterAutoscalerArgs,
        *,
        cluster: Cluster,
        nodes: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:aws:ClusterAutoscaler", name, None, opts)
        identity = WorkloadIdentity(
            f"{name}-identity",
            WorkloadIdentityArgs(
                namespace=NAMESPACE,
                service_account=SERVICE_ACCOUNT,
                create_service_account=False,  # the chart creates it, with these annotations
                tags=args.tags,
            ),
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer_url=cluster.oidc_issuer_url,
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=identity.role_name,
            policy=json.dumps(cluster_autoscaler_policy(args.cluster_name)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_arn = pulumi.Output.all(identity.role_arn, policy.id).apply(lambda v: str(v[0]))
        k8s.helm.v3.Release(
            f"{name}-release",
            name=CHART,
            chart=CHART,
            version=CHART_VERSION,
            repository_opts={"repo": CHART_REPOSITORY},
            namespace=NAMESPACE,
            values=role_arn.apply(lambda arn: autoscaler_values(args, arn)),
            atomic=True,
            # The release waits for the autoscaler's pod, which needs a system node to run on.
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster.kubernetes_provider, depends_on=[nodes]
            ),
        )
        self.register_outputs({"role_arn": identity.role_arn})
