"""Who an IAM ARN names, so admin access entries never duplicate the cluster creator's.

EKS gives the identity that creates a cluster an access entry of its own when
`bootstrap_cluster_creator_admin_permissions` is on; a second `CreateAccessEntry` for the
same principal fails with "409 ResourceInUseException: The specified access entry resource
is already in use on this cluster" (terraform-aws-modules/terraform-aws-eks#2969, #3293;
pulumi/pulumi-eks#2373).
"""

import re
from dataclasses import dataclass

# arn:<partition>:iam::<account>:role/<path/>name, …:user/<path/>name, and the assumed-role
# session ARN STS returns for a role: arn:<partition>:sts::<account>:assumed-role/<name>/<session>.
IAM_ARN = re.compile(
    r"^arn:(?P<partition>[a-z-]+):iam::(?P<account>\d{12}):(?P<kind>role|user)/(?:.*/)?"
    r"(?P<name>[^/]+)$"
)
STS_ARN = re.compile(
    r"^arn:(?P<partition>[a-z-]+):sts::(?P<account>\d{12}):assumed-role/(?P<name>[^/]+)/[^/]+$"
)


@dataclass(frozen=True)
class Principal:
    partition: str
    account: str
    kind: str  # role | user
    name: str
    """Role and user names are unique in an account whatever their path, so a path-less
    session ARN still names exactly one role."""


def principal_of(arn: str) -> Principal | None:
    """The IAM role or user an ARN names (a role's session ARN names the role); None for
    anything else."""
    match = IAM_ARN.match(arn)
    if match:
        return Principal(match["partition"], match["account"], match["kind"], match["name"])
    match = STS_ARN.match(arn)
    if match:
        return Principal(match["partition"], match["account"], "role", match["name"])
    return None


def duplicates_of_deployer(admin_principals: tuple[str, ...], caller_arn: str) -> list[int]:
    """Indexes of `admin_principals` that name the identity running `pulumi up`
    (`caller_arn`, as sts:GetCallerIdentity returns it)."""
    caller = principal_of(caller_arn)
    if caller is None:
        return []
    return [i for i, arn in enumerate(admin_principals) if principal_of(arn) == caller]
