"""The Kubernetes Cluster Autoscaler: scales node groups, GPU groups from zero and back."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.aws.autoscaler_releases import autoscaler_release
from components.aws.cluster import Cluster
from components.aws.identity import chart_service_account_role
from components.aws.policies import cluster_autoscaler_policy
from components.seam import POOL_LABEL

CHART = "cluster-autoscaler"
CHART_REPOSITORY = "https://kubernetes.github.io/autoscaler"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"


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
        "image": {"tag": autoscaler_release(args.kubernetes_version).image_tag},
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
            # The CPU pool is one node group per zone, so a pod whose volume lives in one
            # zone gets a node there (a multi-zone group's template node carries its first
            # zone only: cloudprovider/aws/aws_manager.go; EKS user guide,
            # "managed-node-groups"); balancing keeps the zones even. Each group has its
            # own launch template, whose id and version EKS puts in node labels (EKS user
            # guide, "managed-node-update-behavior"): ignore them, as the AWS comparator
            # already ignores `eks.amazonaws.com/nodegroup`
            # (processors/nodegroupset/aws_nodegroups.go).
            "balance-similar-node-groups": "true",
            "balancing-ignore-label_1": "eks.amazonaws.com/sourceLaunchTemplateId",
            "balancing-ignore-label_2": "eks.amazonaws.com/sourceLaunchTemplateVersion",
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
    that leave busy GPU nodes alone, running on the CPU pool (so it waits for `nodes`, the
    CPU pool's node groups). Chart version and image come from `AUTOSCALER_RELEASES` by
    the cluster's Kubernetes minor.
    """

    def __init__(
        self,
        name: str,
        args: ClusterAutoscalerArgs,
        *,
        cluster: Cluster,
        nodes: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:aws:ClusterAutoscaler", name, None, opts)
        role_arn = chart_service_account_role(
            name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            policy=json.dumps(cluster_autoscaler_policy(args.cluster_name)),
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer_url=cluster.oidc_issuer_url,
            tags=args.tags,
            parent=self,
        )
        k8s.helm.v3.Release(
            f"{name}-release",
            name=CHART,
            chart=CHART,
            version=autoscaler_release(args.kubernetes_version).chart_version,
            repository_opts={"repo": CHART_REPOSITORY},
            namespace=NAMESPACE,
            values=role_arn.apply(lambda arn: autoscaler_values(args, arn)),
            atomic=True,
            # The release waits for the autoscaler's pod, which needs a system node to run on.
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster.kubernetes_provider, depends_on=list(nodes)
            ),
        )
        self.register_outputs({"role_arn": role_arn})
