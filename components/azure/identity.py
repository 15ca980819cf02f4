"""Workload Identity: a user-assigned managed identity for exactly one service account."""

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import authorization, managedidentity

from components.azure.roles import (
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    STORAGE_BLOB_DATA_READER,
    role_assignment,
)
from components.azure.storage import Container

CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id"
USE_LABEL = "azure.workload.identity/use"
# The audience Entra ID expects in federated service-account tokens.
TOKEN_AUDIENCE = "api://AzureADTokenExchange"


def subject(namespace: str, service_account: str) -> str:
    return f"system:serviceaccount:{namespace}:{service_account}"


@dataclass(frozen=True)
class WorkloadIdentityArgs:
    location: str
    namespace: str
    service_account: str
    create_service_account: bool = True
    """Create the annotated ServiceAccount here; off when something else owns it (a Helm
    chart), which then applies `annotations` itself."""
    tags: Mapping[str, str] = field(default_factory=dict)


class WorkloadIdentity(pulumi.ComponentResource):
    """A user-assigned managed identity that one Kubernetes service account acts as
    through the cluster's OIDC issuer.

    Creates: the identity (`-identity`); its federated credential (`-federation`) trusting
    the issuer for `system:serviceaccount:<ns>:<sa>` with audience
    `api://AzureADTokenExchange`; with `create_service_account`, the ServiceAccount
    (`-service-account`) annotated `azure.workload.identity/client-id`. Pods using it
    carry the label `azure.workload.identity/use: "true"` (`labels`), which makes the
    AKS webhook inject the token. Each `grant_read` / `grant_read_write` adds a role
    assignment (`-<container>-read`, `-<container>-read-write`: Storage Blob Data Reader /
    Contributor) scoped to that container.
    """

    client_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    annotations: Mapping[str, pulumi.Output[str]]
    labels: Mapping[str, str]

    def __init__(
        self,
        name: str,
        args: WorkloadIdentityArgs,
        *,
        resource_group_name: pulumi.Input[str],
        subscription_id: pulumi.Input[str],
        oidc_issuer_url: pulumi.Input[str],
        kubernetes_provider: k8s.Provider | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:azure:WorkloadIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self._identity_name = name
        self._subscription_id = subscription_id
        identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_group_name=resource_group_name,
            location=args.location,
            tags=dict(args.tags),
            opts=child,
        )
        managedidentity.FederatedIdentityCredential(
            f"{name}-federation",
            resource_group_name=resource_group_name,
            resource_name_=identity.name,
            issuer=oidc_issuer_url,
            subject=subject(args.namespace, args.service_account),
            audiences=[TOKEN_AUDIENCE],
            opts=child,
        )
        self.client_id = identity.client_id
        self.principal_id = identity.principal_id
        self.annotations = {CLIENT_ID_ANNOTATION: identity.client_id}
        self.labels = {USE_LABEL: "true"}
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
                    "labels": dict(self.labels),
                },
                opts=pulumi.ResourceOptions(parent=self, provider=kubernetes_provider),
            )
        self.register_outputs({"client_id": self.client_id})

    def grant_read(self, container: Container) -> authorization.RoleAssignment:
        """Let the workload list and read blobs in `container`."""
        return self._grant(container, STORAGE_BLOB_DATA_READER, "read")

    def grant_read_write(self, container: Container) -> authorization.RoleAssignment:
        """Let the workload read, write and delete blobs in `container`."""
        return self._grant(container, STORAGE_BLOB_DATA_CONTRIBUTOR, "read-write")

    def _grant(self, container: Container, role: str, access: str) -> authorization.RoleAssignment:
        return role_assignment(
            f"{self._identity_name}-{container.logical_name}-{access}",
            role=role,
            principal_id=self.principal_id,
            scope=container.container_id,
            subscription_id=self._subscription_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
