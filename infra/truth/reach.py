"""Can the place `pulumi up` runs reach the cluster's API server? Read from the plan.

Every Kubernetes resource of the stack goes through the API server. The plan knows who the
endpoint admits (EKS `vpcConfig`, GKE private cluster, authorized networks and DNS
endpoint, AKS `apiServerAccessProfile`), and the stack's `DeployPath` component says where
`pulumi up` runs (`deploy.runner`). When the two do not meet, the first `pulumi up` creates
the cluster and then times out on every Kubernetes resource; this says so beforehand.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any

from components.deploy_path import TYPE as DEPLOY_PATH
from infra.offline.record import PlanRecord, ResourceRecord
from infra.truth.waits import Finding

EKS = "aws:eks/cluster:Cluster"
GKE = "gcp:container/cluster:Cluster"
AKS = "azure-native:containerservice:ManagedCluster"
ANYWHERE = IPv4Network("0.0.0.0/0")
HTTPS = 443
# The component that puts an in-network runner inside the cluster's network, and the
# resource under it that does, per cloud. The component is read by its `inNetwork`
# property (an input and a registered output alike); the resource by its type alone,
# since its values are unknown until it is created.
IN_NETWORK_RUNNERS = {
    # a CodeBuild project with a VPC configuration hosts the GitHub Actions runner
    "llm-infra:aws:CodeBuildRunner": "aws:codebuild/project:Project",
    # an ARM deployment of GitHub.Network/networkSettings on a delegated subnet
    "llm-infra:azure:GithubRunnerNetwork": "azure-native:resources:Deployment",
}
K8S_PREFIX = "kubernetes:"


@dataclass(frozen=True)
class Endpoint:
    """Who a cluster's API server admits, as the plan configures it."""

    resource: ResourceRecord
    public: bool
    public_cidrs: tuple[IPv4Network, ...]
    """Source ranges the public endpoint admits (0.0.0.0/0: anyone)."""
    private: bool
    private_cidrs: tuple[IPv4Network, ...]
    """Ranges beyond the network admitted on the private path (by security group or
    authorized network); the network itself always is."""
    dns: bool
    """GKE's DNS-based endpoint open to traffic from outside the VPC (IAM authorizes)."""
    by_range: bool = True
    """Whether the private path admits by source range (AKS: only linked networks)."""


@dataclass(frozen=True)
class Runner:
    """Where `pulumi up` runs, as the stack's DeployPath declares it."""

    resource: ResourceRecord
    kind: str
    cidrs: tuple[IPv4Network, ...]
    in_network: tuple[ResourceRecord, ...]
    """The resources that run it inside the cluster's network."""


def _cidrs(values: Iterable[Any]) -> tuple[IPv4Network, ...]:
    found = []
    for value in values:
        try:
            found.append(IPv4Network(str(value)))
        except ValueError:
            continue  # unknown at preview: admits nothing we can count on
    return tuple(found)


def _ingress_443(plan: PlanRecord, cluster: ResourceRecord) -> tuple[IPv4Network, ...]:
    """Ranges admitted on HTTPS by rules on the cluster's own security group: those whose
    security group comes from the cluster (EKS creates it; vpcConfig.clusterSecurityGroupId)."""
    rules = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    return _cidrs(
        r.inputs.get("cidrIpv4")
        for r in rules
        if cluster.urn in r.property_dependencies.get("securityGroupId", [])
        and (r.inputs.get("fromPort") or 0) <= HTTPS <= (r.inputs.get("toPort") or 0)
    )


def endpoints(plan: PlanRecord) -> list[Endpoint]:
    found = []
    for resource in plan.resources:
        inputs: Mapping[str, Any] = resource.inputs
        if resource.type == EKS:
            vpc = inputs.get("vpcConfig") or {}
            # EKS defaults: public on, from anywhere; private off (EKS API, VpcConfigRequest)
            public = vpc.get("endpointPublicAccess", True) is not False
            found.append(
                Endpoint(
                    resource,
                    public=public,
                    public_cidrs=_cidrs(vpc.get("publicAccessCidrs") or [str(ANYWHERE)]),
                    private=vpc.get("endpointPrivateAccess") is True,
                    private_cidrs=_ingress_443(plan, resource),
                    dns=False,
                )
            )
        elif resource.type == GKE:
            private = inputs.get("privateClusterConfig") or {}
            networks = inputs.get("masterAuthorizedNetworksConfig")
            admitted = (
                _cidrs(b.get("cidrBlock") for b in networks.get("cidrBlocks") or [])
                if isinstance(networks, Mapping)
                else (ANYWHERE,)
            )
            dns = ((inputs.get("controlPlaneEndpointsConfig") or {}).get("dnsEndpointConfig")) or {}
            found.append(
                Endpoint(
                    resource,
                    public=private.get("enablePrivateEndpoint") is not True,
                    public_cidrs=admitted,
                    private=True,
                    private_cidrs=admitted,
                    dns=dns.get("allowExternalTraffic") is True,
                )
            )
        elif resource.type == AKS:
            access = inputs.get("apiServerAccessProfile") or {}
            private = access.get("enablePrivateCluster") is True
            found.append(
                Endpoint(
                    resource,
                    public=not private,
                    public_cidrs=_cidrs(access.get("authorizedIPRanges") or [str(ANYWHERE)]),
                    private=private,
                    private_cidrs=(),
                    dns=False,
                    by_range=False,
                )
            )
    return found


def runners(plan: PlanRecord) -> list[Runner]:
    found = []
    for resource in plan.of_type(DEPLOY_PATH):
        components = [
            r
            for r in plan.resources
            if r.type in IN_NETWORK_RUNNERS
            and r.inputs.get("inNetwork") is True
            and _descends(plan, r, resource.urn)
        ]
        placed = tuple(
            r
            for component in components
            for r in plan.resources
            if r.type == IN_NETWORK_RUNNERS[component.type] and r.parent == component.urn
        )
        found.append(
            Runner(
                resource,
                kind=str(resource.inputs.get("runner", "")),
                cidrs=_cidrs(resource.inputs.get("runnerCidrs") or []),
                in_network=placed,
            )
        )
    return found


def _descends(plan: PlanRecord, resource: ResourceRecord, ancestor: str) -> bool:
    parent = resource.parent
    while parent:
        if parent == ancestor:
            return True
        record = plan.index.get(parent)
        parent = record.parent if record else None
    return False


def _within(ranges: Sequence[IPv4Network], admitted: Sequence[IPv4Network]) -> bool:
    return bool(ranges) and all(any(r.subnet_of(a) for a in admitted) for r in ranges)


def _unreached(endpoint: Endpoint, runner: Runner) -> str | None:
    """Why `runner` cannot reach `endpoint`, or None when it can."""
    if endpoint.dns:
        return None  # from anywhere, authorized by IAM
    public_from_anywhere = endpoint.public and ANYWHERE in endpoint.public_cidrs
    if runner.kind == "github-hosted":
        if public_from_anywhere:
            return None
        where = (
            f"public only to {', '.join(map(str, endpoint.public_cidrs))}"
            if endpoint.public
            else "private"
        )
        return (
            f"the API endpoint is {where}, and `pulumi up` runs on a GitHub-hosted runner, "
            "whose address can be anywhere in GitHub's ranges"
        )
    if runner.kind == "in-network":
        if not runner.in_network:
            return "deploy.runner is 'in-network', but the stack creates no runner in the network"
        if endpoint.private or public_from_anywhere:
            return None
        return (
            "the runner is inside the network, but the API endpoint has no private access and "
            f"its public side admits only {', '.join(map(str, endpoint.public_cidrs))}"
        )
    if runner.kind == "self-hosted":
        if endpoint.public and _within(runner.cidrs, endpoint.public_cidrs):
            return None
        if endpoint.private and endpoint.by_range and _within(runner.cidrs, endpoint.private_cidrs):
            return None
        if endpoint.private and not endpoint.by_range:
            return (
                "the API endpoint is private, reached only from virtual networks linked to its "
                "private DNS zone, not from the runner's ranges"
            )
        return (
            f"the runner's ranges ({', '.join(map(str, runner.cidrs)) or 'none'}) are inside "
            "none of the ranges the API endpoint admits"
        )
    return f"deploy.runner '{runner.kind}' is not a runner this check knows"


FIX = (
    "run the in-cluster stage from inside the network (deploy.runner: in-network, AWS and "
    "Azure), use GKE's DNS endpoint (cluster.dns_endpoint: true), or admit the runner's "
    "ranges (cluster.public_access_cidrs, or cluster.private_access_cidrs over a VPN); "
    'docs/CI.md, "Deploy paths"'
)


def reach_findings(plan: PlanRecord) -> list[Finding]:
    """One finding per cluster the deploying runner cannot reach, naming the fix."""
    clusters = endpoints(plan)
    if not clusters or not any(r.type.startswith(K8S_PREFIX) for r in plan.resources):
        return []
    declared = runners(plan)
    findings = []
    for endpoint in clusters:
        resource = endpoint.resource
        if not declared:
            findings.append(
                Finding(
                    resource.urn,
                    resource.name,
                    resource.type,
                    "the stack does not say where `pulumi up` runs (no DeployPath), so nothing "
                    "shows its Kubernetes resources can reach this API server",
                    "declare the deploy path (deploy.runner)",
                )
            )
            continue
        for runner in declared:
            why = _unreached(endpoint, runner)
            if why is not None:
                findings.append(
                    Finding(
                        resource.urn,
                        resource.name,
                        resource.type,
                        f"{why}: every Kubernetes resource of the stack would time out",
                        FIX,
                    )
                )
    return findings
