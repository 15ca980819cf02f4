"""Built-in Azure role ids and deterministic role-assignment names."""

import uuid

import pulumi
from pulumi_azure_native import authorization

# Built-in role definition GUIDs (the same in every tenant).
STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
# Identities this program creates are service principals, and saying so lets ARM skip the
# directory lookup a just-created identity may not pass yet (Azure RBAC docs, "Assign Azure
# roles using Azure Resource Manager templates": new service principal, principalType).
# A principal that exists already (whoever runs `pulumi up`: a person after `az login` or a
# pipeline's service principal) takes None: ARM then looks its type up (principalType is
# optional in the role assignments API), where a wrong type would be refused.
SERVICE_PRINCIPAL = "ServicePrincipal"

# Namespace for role-assignment names: uuid5 of stable strings gives the same GUID on every
# run, so plans stay byte-identical and `pulumi up` never replaces an assignment.
ASSIGNMENT_NAMESPACE = uuid.UUID("6f1d4a52-0c35-5b8e-9d0a-6c6c6d2d696e")


def role_definition_id(subscription_id: str, role: str) -> str:
    return (
        f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role}"
    )


def assignment_name(project: str, stack: str, resource_name: str) -> str:
    """A GUID for the role assignment `resource_name` of this project and stack."""
    return str(uuid.uuid5(ASSIGNMENT_NAMESPACE, f"{project}/{stack}/{resource_name}"))


def role_assignment(
    name: str,
    *,
    role: str,
    principal_id: pulumi.Input[str],
    scope: pulumi.Input[str],
    subscription_id: pulumi.Input[str],
    principal_type: str | None = SERVICE_PRINCIPAL,
    opts: pulumi.ResourceOptions,
) -> authorization.RoleAssignment:
    """`role` for `principal_id` at `scope`, named by a GUID stable for this stack; without
    a `principal_type`, ARM looks the principal's type up."""
    return authorization.RoleAssignment(
        name,
        role_assignment_name=assignment_name(pulumi.get_project(), pulumi.get_stack(), name),
        principal_id=principal_id,
        # The SDK fills in 'User' for a plain None; an Output of None leaves the property out
        # of the request, so ARM looks the principal's type up.
        principal_type=(
            principal_type if principal_type is not None else pulumi.Output.from_input(None)
        ),
        role_definition_id=pulumi.Output.from_input(subscription_id).apply(
            lambda subscription: role_definition_id(subscription, role)
        ),
        scope=scope,
        opts=opts,
    )
