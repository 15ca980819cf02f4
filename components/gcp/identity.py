"""GKE Workload Identity: a Google service account for exactly one Kubernetes service account."""

import hashlib
import re
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from components.gcp.bucket import Bucket

SERVICE_ACCOUNT_ANNOTATION = "iam.gke.io/gcp-service-account"
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
# Bucket-level roles: read lists and gets objects; read-write also creates, overwrites and
# deletes them. Neither can change the bucket or its IAM policy.
READ_ROLE = "roles/storage.objectViewer"
READ_WRITE_ROLE = "roles/storage.objectUser"
# Service account ids: 6 to 30 characters, lower-case letters, digits and hyphens,
# starting with a letter and not ending with a hyphen.
ACCOUNT_ID_MIN, ACCOUNT_ID_MAX = 6, 30
_NOT_ALLOWED = re.compile(r"[^a-z0-9-]+")


def account_id(name: str) -> str:
    """A valid service account id for `name`: the name itself when it fits, else a prefix
    and a short hash of the whole name, so two long names never collide."""
    cleaned = _NOT_ALLOWED.sub("-", name.lower()).strip("-")
    if not cleaned[:1].isalpha():
        cleaned = f"sa-{cleaned}"
    if ACCOUNT_ID_MIN <= len(cleaned) <= ACCOUNT_ID_MAX:
        return cleaned
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    head = cleaned[: ACCOUNT_ID_MAX - len(digest) - 1].rstrip("-")
    return f"{head}-{digest}"


def workload_member(workload_pool: str, namespace: str, service_account: str) -> str:
    """The IAM member that stands for one Kubernetes service account of a cluster's pool."""
    return f"serviceAccount:{workload_pool}[{namespace}/{service_account}]"


@dataclass(frozen=True)
class WorkloadIdentityArgs:
    namespace: str
    service_account: str
    account_id: str
    """The Google service account's id (see `account_id`); unique in the project."""
    create_service_account: bool = True
    """Create the annotated ServiceAccount here; off when something else owns it (a Helm
    chart), which then applies `annotations` itself."""


class WorkloadIdentity(pulumi.ComponentResource):
    """A Google service account that one Kubernetes service account acts as.

    Creates: the Google service account (`-account`); a `roles/iam.workloadIdentityUser`
    binding on that account (`-workload-identity-user`) for the member
    `serviceAccount:<workload pool>[<ns>/<sa>]` alone, so no other Kubernetes service
    account, and no one outside the cluster, can impersonate it; with
    `create_service_account`, the ServiceAccount (`-service-account`) annotated with
    `iam.gke.io/gcp-service-account: <email>` (its namespace must exist). Each
    `grant_read` / `grant_read_write` adds a bucket-level IAM binding (`-<bucket>-read`,
    `-<bucket>-read-write`) on that bucket only.
    """

    email: pulumi.Output[str]
    member: pulumi.Output[str]
    annotations: dict[str, pulumi.Output[str]]

    def __init__(
        self,
        name: str,
        args: WorkloadIdentityArgs,
        *,
        workload_pool: pulumi.Input[str],
        kubernetes_provider: k8s.Provider | None = None,
        project: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:gcp:WorkloadIdentity", name, None, opts)
        self._identity_name = name
        child = pulumi.ResourceOptions(parent=self)
        account = gcp.serviceaccount.Account(
            f"{name}-account",
            project=project,
            account_id=args.account_id,
            display_name=f"{args.namespace}/{args.service_account}"[:100],
            description=f"Workload Identity for {args.namespace}/{args.service_account}",
            opts=child,
        )
        gcp.serviceaccount.IAMMember(
            f"{name}-workload-identity-user",
            service_account_id=account.name,
            role=WORKLOAD_IDENTITY_USER,
            member=pulumi.Output.from_input(workload_pool).apply(
                lambda pool: workload_member(pool, args.namespace, args.service_account)
            ),
            opts=child,
        )
        self.email = account.email
        self.member = account.email.apply(lambda email: f"serviceAccount:{email}")
        self.annotations = {SERVICE_ACCOUNT_ANNOTATION: account.email}
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
        self.register_outputs({"email": self.email})

    def grant_read(self, bucket: Bucket) -> gcp.storage.BucketIAMMember:
        """Let the workload list and read the objects of `bucket`."""
        return self._grant(bucket, READ_ROLE, "read")

    def grant_read_write(self, bucket: Bucket) -> gcp.storage.BucketIAMMember:
        """Let the workload read, write and delete the objects of `bucket`."""
        return self._grant(bucket, READ_WRITE_ROLE, "read-write")

    def _grant(self, bucket: Bucket, role: str, access: str) -> gcp.storage.BucketIAMMember:
        return gcp.storage.BucketIAMMember(
            f"{self._identity_name}-{bucket.logical_name}-{access}",
            bucket=bucket.bucket_name,
            role=role,
            member=self.member,
            opts=pulumi.ResourceOptions(parent=self),
        )
