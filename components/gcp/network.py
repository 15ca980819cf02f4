"""Custom-mode VPC with a regional node subnet, pod/service ranges, Cloud Router and NAT."""

from dataclasses import dataclass
from ipaddress import IPv4Network

import pulumi
import pulumi_gcp as gcp

from components.enums import NatStrategy
from components.network.cidr import split_cluster_ranges

PODS_RANGE = "pods"
SERVICES_RANGE = "services"
# Google's load-balancer health checkers; they must reach nodes for any LB to work.
HEALTH_CHECK_RANGES = ("35.191.0.0/16", "130.211.0.0/22")


@dataclass(frozen=True)
class NetworkArgs:
    region: str
    cidr: IPv4Network
    nat: NatStrategy
    flow_logs: bool


class Network(pulumi.ComponentResource):
    """A custom-mode VPC for one regional cluster.

    Creates: the VPC (no auto subnets, regional routing); a node subnet in `region`
    with Private Google Access and secondary ranges `pods` and `services` (split by
    components.network.cidr), with VPC flow logs when `flow_logs`; a Cloud Router and
    a Cloud NAT for every range of the subnet unless the NAT strategy is `none` (Cloud
    NAT is regional and serves every zone, so `single` and `one_per_az` both give one);
    firewall rules admitting traffic within the VPC's ranges and from Google's health
    checkers. Everything else stays denied by the VPC's implied deny-ingress rule.
    """

    network_id: pulumi.Output[str]
    network_name: pulumi.Output[str]
    subnet_id: pulumi.Output[str]
    subnet_name: pulumi.Output[str]
    nodes_cidr: str
    """The node subnet's primary range (nodes, internal load balancers, the API's private
    endpoint)."""
    pods_cidr: str
    services_cidr: str
    pods_range_name: str = PODS_RANGE
    services_range_name: str = SERVICES_RANGE

    def __init__(
        self,
        name: str,
        args: NetworkArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        project: pulumi.Input[str] | None = None,
    ) -> None:
        """`project`: where the network lives (the provider's project when None); given
        `ProjectApis.project_id`, every part of it waits for the Compute Engine API."""
        super().__init__("llm-infra:gcp:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ranges = split_cluster_ranges(args.cidr)

        vpc = gcp.compute.Network(
            f"{name}-vpc",
            project=project,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            delete_default_routes_on_create=False,
            opts=child,
        )
        subnet = gcp.compute.Subnetwork(
            f"{name}-nodes",
            project=project,
            network=vpc.id,
            region=args.region,
            ip_cidr_range=str(ranges.nodes),
            private_ip_google_access=True,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(
                    range_name=PODS_RANGE, ip_cidr_range=str(ranges.pods)
                ),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(
                    range_name=SERVICES_RANGE, ip_cidr_range=str(ranges.services)
                ),
            ],
            log_config=gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval="INTERVAL_5_SEC",
                flow_sampling=0.5,
                metadata="INCLUDE_ALL_METADATA",
            )
            if args.flow_logs
            else None,
            opts=child,
        )
        if args.nat is not NatStrategy.NONE:
            router = gcp.compute.Router(
                f"{name}-router",
                project=project,
                network=vpc.id,
                region=args.region,
                opts=child,
            )
            gcp.compute.RouterNat(
                f"{name}-nat",
                project=project,
                router=router.name,
                region=args.region,
                nat_ip_allocate_option="AUTO_ONLY",
                source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
                log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
                opts=child,
            )
        gcp.compute.Firewall(
            f"{name}-allow-internal",
            project=project,
            network=vpc.id,
            direction="INGRESS",
            priority=1000,
            source_ranges=[str(ranges.nodes), str(ranges.pods), str(ranges.services)],
            allows=[
                gcp.compute.FirewallAllowArgs(protocol="tcp"),
                gcp.compute.FirewallAllowArgs(protocol="udp"),
                gcp.compute.FirewallAllowArgs(protocol="icmp"),
            ],
            opts=child,
        )
        gcp.compute.Firewall(
            f"{name}-allow-health-checks",
            project=project,
            network=vpc.id,
            direction="INGRESS",
            priority=1000,
            source_ranges=list(HEALTH_CHECK_RANGES),
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp")],
            opts=child,
        )

        self.network_id = vpc.id
        self.network_name = vpc.name
        self.subnet_id = subnet.id
        self.subnet_name = subnet.name
        self.nodes_cidr = str(ranges.nodes)
        self.pods_cidr = str(ranges.pods)
        self.services_cidr = str(ranges.services)
        self.register_outputs({"network_id": vpc.id, "subnet_id": subnet.id})
