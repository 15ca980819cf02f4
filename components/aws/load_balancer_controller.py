"""The AWS Load Balancer Controller: Network Load Balancers for Services, with its own IRSA
role, for the gateway's load balancer.

Pinned: chart 3.5.0 (aws/eks-charts stable/aws-load-balancer-controller/Chart.yaml:
version 3.5.0, appVersion v3.5.0) and its IAM policy, a copy of
kubernetes-sigs/aws-load-balancer-controller@v3.5.0 docs/install/iam_policy.json in
`iam/aws-load-balancer-controller.json` (16 statements; update both together). The
controller builds an NLB for a Service annotated
`service.beta.kubernetes.io/aws-load-balancer-type: external`; the in-tree controller
ignores such a Service (LBC docs, guide/service/nlb.md).
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.aws.cluster import Cluster
from components.aws.identity import chart_service_account_role
from components.seam import CPU_POOL_RELEASE_TIMEOUT

CHART = "aws-load-balancer-controller"
CHART_REPOSITORY = "https://aws.github.io/eks-charts"
CHART_VERSION = "3.5.0"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
POLICY_FILE = Path(__file__).parent / "iam" / "aws-load-balancer-controller.json"


def controller_policy() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(POLICY_FILE.read_text())
    return document


@dataclass(frozen=True)
class LoadBalancerControllerArgs:
    cluster_name: str
    region: str
    node_selector: Mapping[str, str]
    """The CPU pool (the controller's two replicas run there)."""
    tags: Mapping[str, str] = field(default_factory=dict)


def controller_values(
    args: LoadBalancerControllerArgs, vpc_id: str, role_arn: str
) -> dict[str, Any]:
    """The chart's values (stable/aws-load-balancer-controller/values.yaml at 3.5.0)."""
    return {
        "clusterName": args.cluster_name,
        "region": args.region,
        # without it the controller asks the instance metadata service, which IMDSv2's
        # hop limit of 1 keeps from pods
        "vpcId": vpc_id,
        "serviceAccount": {
            "create": True,
            "name": SERVICE_ACCOUNT,
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
        },
        # The Service mutator webhook (failurePolicy Fail) would make the controller the
        # default for every LoadBalancer Service and refuse any Service while it is down
        # (templates/webhook.yaml); Services that want an NLB say so by annotation.
        "enableServiceMutatorWebhook": False,
        # the chart's default (values.yaml:5), said here so the scheduling simulation
        # counts both replicas
        "replicaCount": 2,
        "nodeSelector": dict(args.node_selector),
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": "512Mi"},
        },
    }


class LoadBalancerController(pulumi.ComponentResource):
    """The AWS Load Balancer Controller (Helm chart pinned) with its own IRSA role.

    Creates: an IRSA role for `kube-system/aws-load-balancer-controller` (`-identity`) with
    the controller's published policy inline (`-policy`); the Helm release (`-release`),
    two replicas on the CPU pool (so it waits for `nodes`). `release` is what a Service
    that asks for an NLB waits for.
    """

    def __init__(
        self,
        name: str,
        args: LoadBalancerControllerArgs,
        *,
        cluster: Cluster,
        vpc_id: pulumi.Input[str],
        nodes: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:aws:LoadBalancerController", name, None, opts)
        role_arn = chart_service_account_role(
            name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            policy=json.dumps(controller_policy(), separators=(",", ":")),
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer_url=cluster.oidc_issuer_url,
            tags=args.tags,
            parent=self,
        )
        values = pulumi.Output.all(vpc_id, role_arn).apply(
            lambda v: controller_values(args, str(v[0]), str(v[1]))
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=CHART,
            chart=CHART,
            version=CHART_VERSION,
            repository_opts={"repo": CHART_REPOSITORY},
            namespace=NAMESPACE,
            values=values,
            atomic=True,
            timeout=CPU_POOL_RELEASE_TIMEOUT,
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster.kubernetes_provider, depends_on=list(nodes)
            ),
        )
        self.register_outputs({"role_arn": role_arn})
