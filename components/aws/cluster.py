"""An EKS control plane with encrypted secrets, logged API, IAM access entries and IRSA."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.aws.bucket import Bucket
from components.aws.identity import WorkloadIdentity, WorkloadIdentityArgs
from components.aws.kms import rotated_key, stateful
from components.aws.kubeconfig import render_kubeconfig
from components.aws.logs import encrypted_log_group
from components.aws.policies import cluster_encryption_policy, service_trust_policy
from components.enums import ControlPlaneLog, EndpointAccess
from components.seam import (
    SeamCluster,
)

EKS_LOG_TYPES = {
    ControlPlaneLog.API: "api",
    ControlPlaneLog.AUDIT: "audit",
    ControlPlaneLog.AUTHENTICATOR: "authenticator",
    ControlPlaneLog.CONTROLLER_MANAGER: "controllerManager",
    ControlPlaneLog.SCHEDULER: "scheduler",
}
CLUSTER_POLICY = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
NODE_POLICIES = {
    "worker": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "cni": "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "ecr": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
}
ADMIN_ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
# Add-ons that run as DaemonSets and so need no nodes to become active; coredns and the
# EBS CSI driver run Deployments and come with ClusterAddons, after the first nodes.
NODELESS_ADDONS = ("vpc-cni", "kube-proxy")
# The VPC CNI enforces NetworkPolicies only with its network policy agent turned on (EKS
# user guide, "cni-network-policy-configure": configuration values
# `{"enableNetworkPolicy": "true"}`, vpc-cni v1.14.0-eksbuild.3 or later).
ADDON_CONFIGURATION = {"vpc-cni": {"enableNetworkPolicy": "true"}}
STORAGE_CLASS = "gp3-encrypted"


def cidr_name(cidr: str) -> str:
    """A CIDR as a resource-name suffix (`10.20.0.0/16` → `10-20-0-0-16`): each rule is
    named by what it admits, so adding a range never renames another."""
    return cidr.replace(".", "-").replace("/", "-").replace(":", "-")


def vpc_config(
    access: EndpointAccess,
    public_access_cidrs: Sequence[str],
    subnet_ids: Sequence[pulumi.Input[str]],
) -> aws.eks.ClusterVpcConfigArgsDict:
    """Where the control plane's network interfaces go and who reaches the API. The
    private endpoint is always on, so nodes never reach the API over the internet."""
    config: aws.eks.ClusterVpcConfigArgsDict = {
        "subnet_ids": list(subnet_ids),
        "endpoint_private_access": True,
        "endpoint_public_access": access.is_public,
    }
    if access.is_public:
        config["public_access_cidrs"] = list(public_access_cidrs)
    return config


@dataclass(frozen=True)
class ClusterArgs:
    cluster_name: str
    """The EKS cluster's name, fixed so its log group can exist before it does."""
    kubernetes_version: str
    region: str
    endpoint_access: EndpointAccess
    public_access_cidrs: tuple[str, ...] = ()
    private_access_cidrs: tuple[str, ...] = ()
    """Networks that reach the private endpoint over HTTPS: the VPC's own range first, then
    those the config adds (a VPN, a peered runner network)."""
    control_plane_logs: tuple[ControlPlaneLog, ...] = tuple(ControlPlaneLog)
    log_retention_days: int = 90
    admin_principals: tuple[str, ...] = ()
    """IAM role or user ARNs given cluster-admin through EKS access entries."""
    keep: bool = False
    """Protect and retain the secrets key and the log group; turn on deletion protection."""
    tags: Mapping[str, str] = field(default_factory=dict)


class Cluster(pulumi.ComponentResource, SeamCluster[Bucket]):
    """An EKS cluster in the network's private subnets; implements the KubernetesCluster seam.

    Creates: the cluster role with AmazonEKSClusterPolicy (`-role`, `-role-cluster`); a
    rotating KMS key for envelope encryption of Kubernetes secrets (`-secrets-key`) that
    the role may use (`-role-secrets-key`); the control-plane log group
    `/aws/eks/<cluster>/cluster` with retention (`-logs`), encrypted with its own
    rotating key (`-logs-key`); the cluster (`-eks`), authentication mode `API`, private
    endpoint always on and public only when config allows it, limited to
    `public_access_cidrs`; for each admin principal an access entry with
    AmazonEKSClusterAdminPolicy (`-admin-<i>`, `-admin-<i>-policy`); the IAM OIDC
    provider for IRSA (`-oidc`); the vpc-cni (network policy enforcement on) and
    kube-proxy managed add-ons (`-vpc-cni`, `-kube-proxy`); the node role with the
    worker, CNI and ECR-read policies (`-node-role`, `-node-role-<policy>`); a Kubernetes
    provider (`-k8s`) from a kubeconfig that uses `aws eks get-token`; the default
    StorageClass, encrypted gp3 (`-gp3`). `bind_workload_identity` / `workload_identity`
    add IRSA roles (`-<name>`); with `read_buckets` / `write_buckets`,
    `bind_workload_identity` adds the role's inline policies on the buckets given to
    `attach_buckets` (`-<name>-<bucket>-read`, `-<name>-<bucket>-read-write`), each naming
    that bucket and its key only.
    """

    cluster_name: pulumi.Output[str]
    kubernetes_version: pulumi.Output[str]
    """The control plane's version, which node groups follow."""
    endpoint: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    secrets_key_arn: pulumi.Output[str]

    STORAGE_CLASS = STORAGE_CLASS
    # NLBs with IP targets, built by the AWS Load Balancer Controller (LBC docs,
    # guide/service/annotations.md at v3.5.0: type external, nlb-target-type, scheme)
    INTERNAL_LB_ANNOTATIONS = {
        "service.beta.kubernetes.io/aws-load-balancer-type": "external",
        "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    }
    PUBLIC_LB_ANNOTATIONS = {
        **INTERNAL_LB_ANNOTATIONS,
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
    }

    def __init__(
        self,
        name: str,
        args: ClusterArgs,
        *,
        subnet_ids: Sequence[pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:aws:Cluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self._component_name = name
        self._buckets: dict[str, Bucket] = {}
        self._tags = dict(args.tags)

        def tags(role: str) -> dict[str, str]:
            return {**args.tags, "Name": f"{name}-{role}"}

        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=json.dumps(service_trust_policy("eks.amazonaws.com")),
            tags=tags("role"),
            opts=child,
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-role-cluster", role=role.name, policy_arn=CLUSTER_POLICY, opts=child
        )
        secrets_key = rotated_key(
            f"{name}-secrets-key",
            description=f"Envelope encryption of Kubernetes secrets in {args.cluster_name}",
            tags=tags("secrets-key"),
            opts=stateful(self, args.keep),
        )
        secrets_key_use = aws.iam.RolePolicy(
            f"{name}-role-secrets-key",
            role=role.id,
            policy=secrets_key.arn.apply(lambda arn: json.dumps(cluster_encryption_policy(arn))),
            opts=child,
        )
        logs = encrypted_log_group(
            f"{name}-logs",
            log_group_name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_days=args.log_retention_days,
            region=args.region,
            keep=args.keep,
            tags=args.tags,
            parent=self,
        )
        cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=role.arn,
            vpc_config=vpc_config(args.endpoint_access, args.public_access_cidrs, subnet_ids),
            encryption_config={"provider": {"key_arn": secrets_key.arn}, "resources": ["secrets"]},
            enabled_cluster_log_types=[EKS_LOG_TYPES[log] for log in args.control_plane_logs],
            access_config={
                "authentication_mode": "API",
                # Whoever runs `pulumi up` installs the in-cluster parts (add-ons, Helm
                # releases), so it needs admin from the first moment.
                "bootstrap_cluster_creator_admin_permissions": True,
            },
            deletion_protection=args.keep,
            tags=tags("eks"),
            # EKS needs its role's policies in place to create the cluster, and creates
            # the log group itself (never expiring, unencrypted) if ours is not there first.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[cluster_policy, secrets_key_use, logs.log_group]
            ),
        )

        # EKS gives the cluster security group no ingress beyond itself: a client elsewhere
        # in the VPC (a runner, a bastion) or on a connected network reaches the private
        # endpoint only through a rule admitting HTTPS from it (EKS user guide,
        # "cluster-endpoint": private access needs 443 from the connected network).
        cluster_security_group = cluster.vpc_config.apply(
            lambda vpc: str(vpc.cluster_security_group_id)
        )
        for cidr in args.private_access_cidrs:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-api-from-{cidr_name(cidr)}",
                security_group_id=cluster_security_group,
                cidr_ipv4=cidr,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description=f"Kubernetes API from {cidr}",
                tags=tags(f"api-from-{cidr_name(cidr)}"),
                opts=child,
            )

        for index, principal in enumerate(args.admin_principals):
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{index}",
                cluster_name=cluster.name,
                principal_arn=principal,
                type="STANDARD",
                tags=tags(f"admin-{index}"),
                opts=child,
            )
            aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{index}-policy",
                cluster_name=cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=ADMIN_ACCESS_POLICY,
                access_scope={"type": "cluster"},
                opts=child,
            )

        issuer = cluster.identities.apply(lambda ids: str(ids[0].oidcs[0].issuer))  # type: ignore[index]
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=["sts.amazonaws.com"],
            tags=tags("oidc"),
            opts=child,
        )
        for addon in NODELESS_ADDONS:
            aws.eks.Addon(
                f"{name}-{addon}",
                cluster_name=cluster.name,
                addon_name=addon,
                configuration_values=(
                    json.dumps(ADDON_CONFIGURATION[addon]) if addon in ADDON_CONFIGURATION else None
                ),
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                tags=tags(addon),
                opts=child,
            )

        node_role = aws.iam.Role(
            f"{name}-node-role",
            assume_role_policy=json.dumps(service_trust_policy("ec2.amazonaws.com")),
            tags=tags("node-role"),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-role-{short}", role=node_role.name, policy_arn=arn, opts=child
            )
            for short, arn in NODE_POLICIES.items()
        ]

        rendered: pulumi.Output[str] = pulumi.Output.all(
            cluster.name, cluster.endpoint, cluster.certificate_authority.data
        ).apply(
            lambda values: render_kubeconfig(
                cluster_name=values[0],
                endpoint=values[1],
                certificate_authority=values[2],
                region=args.region,
            )
        )
        kubeconfig: pulumi.Output[str] = pulumi.Output.secret(rendered)
        provider = k8s.Provider(f"{name}-k8s", kubeconfig=kubeconfig, opts=child)
        storage_class = k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata={
                "name": STORAGE_CLASS,
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true", "fsType": "ext4"},
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )

        self._k8s_provider = provider
        # Claims name this class: they wait for it (and, per cloud, for the driver).
        self.attach_storage_driver(storage_class)
        self._issuer = issuer
        self.cluster_name = cluster.name
        self.kubernetes_version = cluster.version
        self.endpoint = cluster.endpoint
        self.kubeconfig = kubeconfig
        self.oidc_provider_arn = oidc.arn
        self.secrets_key_arn = secrets_key.arn
        self.cluster_security_group_id = cluster.vpc_config.apply(
            lambda vpc: str(vpc.cluster_security_group_id)
        )
        # Node groups read the role through this output, so they also wait for its policies:
        # nodes without them never join.
        self.node_role_arn = pulumi.Output.all(node_role.arn, *[a.id for a in attachments]).apply(
            lambda values: str(values[0])
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "oidc_issuer_url": self._issuer,
                "oidc_provider_arn": self.oidc_provider_arn,
                "kubeconfig": self.kubeconfig,
            }
        )

    # The KubernetesCluster seam (components.seam): shared parts in SeamCluster.
    def workload_identity(
        self,
        name: str,
        *,
        namespace: str,
        service_account: str,
        create_service_account: bool = False,
    ) -> WorkloadIdentity:
        """An IRSA role (`<cluster>-<name>`) for `namespace`/`service_account` on this
        cluster; AWS-specific, as the returned identity has the `grant_*` methods."""
        return WorkloadIdentity(
            f"{self._component_name}-{name}",
            WorkloadIdentityArgs(
                namespace=namespace,
                service_account=service_account,
                create_service_account=create_service_account,
                tags=self._tags,
            ),
            oidc_provider_arn=self.oidc_provider_arn,
            oidc_issuer_url=self._issuer,
            kubernetes_provider=self._k8s_provider,
            opts=pulumi.ResourceOptions(parent=self),
        )
