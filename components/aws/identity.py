"""IAM Roles for Service Accounts: a cloud identity for exactly one Kubernetes service account."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.aws.bucket import Bucket
from components.aws.policies import bucket_access_statements, document, irsa_trust_policy

ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"


@dataclass(frozen=True)
class WorkloadIdentityArgs:
    namespace: str
    service_account: str
    create_service_account: bool = True
    """Create the annotated ServiceAccount here; off when something else owns it (an EKS
    add-on, a Helm chart), which then applies `annotations` itself."""
    tags: Mapping[str, str] = field(default_factory=dict)


class WorkloadIdentity(pulumi.ComponentResource):
    """An IAM role that one Kubernetes service account assumes through the cluster's OIDC
    provider (IRSA).

    Creates: the role (`-role`), trusted only for `system:serviceaccount:<ns>:<sa>` with
    audience `sts.amazonaws.com`; with `create_service_account`, the ServiceAccount
    (`-service-account`) annotated with the role's ARN (its namespace must exist). Each
    `grant_read` / `grant_read_write` adds an inline policy (`-<bucket>-read`,
    `-<bucket>-read-write`) scoped to that bucket, its objects and its key.
    """

    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]
    annotations: Mapping[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        args: WorkloadIdentityArgs,
        *,
        oidc_provider_arn: pulumi.Input[str],
        oidc_issuer_url: pulumi.Input[str],
        kubernetes_provider: k8s.Provider | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:aws:WorkloadIdentity", name, None, opts)
        self._identity_name = name
        trust = pulumi.Output.all(oidc_provider_arn, oidc_issuer_url).apply(
            lambda values: json.dumps(
                irsa_trust_policy(values[0], values[1], args.namespace, args.service_account)
            )
        )
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=trust,
            description=f"IRSA for {args.namespace}/{args.service_account}",
            tags={**args.tags, "Name": f"{name}-role"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._role = role
        self.role_arn = role.arn
        self.role_name = role.name
        self.annotations = {ROLE_ARN_ANNOTATION: role.arn}
        if args.create_service_account:
            if kubernetes_provider is None:
                raise ValueError(
                    f"WorkloadIdentity '{name}': create_service_account needs kubernetes_provider"
                )
            k8s.core.v1.ServiceAccount(
                f"{name}-service-account",
                metadata={
                    "name": args.service_account,
                    "namespace": args.namespace,
                    "annotations": dict(self.annotations),
                },
                opts=pulumi.ResourceOptions(parent=self, provider=kubernetes_provider),
            )
        self.register_outputs({"role_arn": self.role_arn})

    def grant_read(self, bucket: Bucket) -> aws.iam.RolePolicy:
        """Let the workload list and read `bucket` (and decrypt with its key)."""
        return self._grant(bucket, write=False)

    def grant_read_write(self, bucket: Bucket) -> aws.iam.RolePolicy:
        """Let the workload read, write and delete objects in `bucket`."""
        return self._grant(bucket, write=True)

    def _grant(self, bucket: Bucket, *, write: bool) -> aws.iam.RolePolicy:
        access = "read-write" if write else "read"
        sid = "".join(part.capitalize() for part in f"{bucket.logical_name}-{access}".split("-"))
        policy = pulumi.Output.all(bucket.bucket_arn, bucket.key_arn).apply(
            lambda arns: json.dumps(
                document(bucket_access_statements(arns[0], arns[1], write=write, sid=sid))
            )
        )
        return aws.iam.RolePolicy(
            f"{self._identity_name}-{bucket.logical_name}-{access}",
            role=self._role.id,
            policy=policy,
            opts=pulumi.ResourceOptions(parent=self),
        )


def chart_service_account_role(
    name: str,
    *,
    namespace: str,
    service_account: str,
    policy: pulumi.Input[str],
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer_url: pulumi.Input[str],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> pulumi.Output[str]:
    """An IRSA role (`<name>-identity`) with one inline policy (`<name>-policy`) for a
    ServiceAccount a Helm chart creates (the chart applies the annotation itself). Returns
    the role's ARN once the policy is attached, for the chart's values."""
    identity = WorkloadIdentity(
        f"{name}-identity",
        WorkloadIdentityArgs(
            namespace=namespace,
            service_account=service_account,
            create_service_account=False,
            tags=tags,
        ),
        oidc_provider_arn=oidc_provider_arn,
        oidc_issuer_url=oidc_issuer_url,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    attached = aws.iam.RolePolicy(
        f"{name}-policy",
        role=identity.role_name,
        policy=policy,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return pulumi.Output.all(identity.role_arn, attached.id).apply(lambda v: str(v[0]))
