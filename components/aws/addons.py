"""EKS managed add-ons that run Deployments, so they wait for the first nodes."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws.cluster import Cluster
from components.aws.identity import WorkloadIdentity, WorkloadIdentityArgs

EBS_CSI_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
EBS_CSI_NAMESPACE = "kube-system"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"  # the name the add-on creates


@dataclass(frozen=True)
class ClusterAddonsArgs:
    tags: Mapping[str, str] = field(default_factory=dict)


class ClusterAddons(pulumi.ComponentResource):
    """CoreDNS and the EBS CSI driver as EKS managed add-ons.

    Creates: the coredns add-on (`-coredns`); an IRSA role for the EBS CSI controller's
    service account with AmazonEBSCSIDriverPolicy (`-ebs-csi` identity,
    `-ebs-csi-policy`); the aws-ebs-csi-driver add-on using that role (`-ebs-csi-driver`),
    which provisions the cluster's encrypted gp3 volumes. Both add-ons wait for `nodes`
    (their pods need somewhere to run); volume claims wait for `storage_driver`.
    """

    storage_driver: aws.eks.Addon
    """The EBS CSI driver add-on: what a volume claim waits for."""

    def __init__(
        self,
        name: str,
        args: ClusterAddonsArgs,
        *,
        cluster: Cluster,
        nodes: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:aws:ClusterAddons", name, None, opts)
        after_nodes = pulumi.ResourceOptions(parent=self, depends_on=list(nodes))

        def addon(
            role: str, addon_name: str, service_account_role_arn: pulumi.Input[str] | None = None
        ) -> aws.eks.Addon:
            return aws.eks.Addon(
                f"{name}-{role}",
                cluster_name=cluster.cluster_name,
                addon_name=addon_name,
                service_account_role_arn=service_account_role_arn,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                tags={**args.tags, "Name": f"{name}-{role}"},
                opts=after_nodes,
            )

        addon("coredns", "coredns")
        identity = WorkloadIdentity(
            f"{name}-ebs-csi",
            WorkloadIdentityArgs(
                namespace=EBS_CSI_NAMESPACE,
                service_account=EBS_CSI_SERVICE_ACCOUNT,
                create_service_account=False,
                tags=args.tags,
            ),
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer_url=cluster.oidc_issuer_url,
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = aws.iam.RolePolicyAttachment(
            f"{name}-ebs-csi-policy",
            role=identity.role_name,
            policy_arn=EBS_CSI_POLICY,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.storage_driver = addon(
            "ebs-csi-driver",
            "aws-ebs-csi-driver",
            service_account_role_arn=pulumi.Output.all(identity.role_arn, policy.id).apply(
                lambda values: str(values[0])
            ),
        )
        self.register_outputs({})
