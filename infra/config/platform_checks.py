"""Cross-field checks the platform builders rely on, beyond infra.config.checks.

Same contract as there: each check reads a ConfigView (what validated) and yields
every issue it finds, naming the config path, the value and the fix.
"""

import re
from collections.abc import Iterator

from components.aws.cloudwatch import RETENTION_DAYS, nearest_retention
from components.enums import Cloud
from components.gcp.maintenance import (
    MIN_HOURS_PER_32_DAYS,
    WEEKLY_OCCURRENCES_IN_32_DAYS,
    MaintenanceWindow,
    meets_gke_minimum,
    weekly_hours,
)
from infra.config.aws_checks import AWS_CHECKS
from infra.config.checks import Check, ConfigView
from infra.config.deploy_checks import DEPLOY_CHECKS
from infra.config.errors import PLATFORM_KEY, ConfigIssue, show
from infra.config.gateway_checks import GATEWAY_CHECKS

P = PLATFORM_KEY


def check_log_retention(view: ConfigView) -> Iterator[ConfigIssue]:
    """CloudWatch Logs (control-plane and flow logs on AWS) takes only some retentions."""
    if view.cloud is not Cloud.AWS or view.cluster is None:
        return
    days = view.cluster.log_retention_days
    if days not in RETENTION_DAYS:
        yield ConfigIssue(
            f"{P}.cluster.log_retention_days",
            f"{days} is not a retention CloudWatch Logs accepts "
            f"({', '.join(map(str, RETENTION_DAYS))})",
            f"use {nearest_retention(days)}, the nearest",
        )


def check_pool_zones_pinned(view: ConfigView) -> Iterator[ConfigIssue]:
    """A pool's zones pick subnets by zone name, which needs the network's zones named."""
    if view.network is None or view.network.availability_zones is not None:
        return
    for index, pool in sorted(view.pools.items()):
        if pool.zones is not None:
            yield ConfigIssue(
                f"{P}.gpu_pools[{index}].zones",
                "is set, but network.availability_zones is not, so the network's zones are "
                "not known until the cloud is asked",
                f"list the zones in {P}.network.availability_zones, or remove this key",
            )


# The CPU pool for cluster add-ons carries this pool label; a GPU pool may not share it.
SYSTEM_POOL = "system"


def check_reserved_pool_names(view: ConfigView) -> Iterator[ConfigIssue]:
    for index, pool in sorted(view.pools.items()):
        if pool.name == SYSTEM_POOL:
            yield ConfigIssue(
                f"{P}.gpu_pools[{index}].name",
                f"'{SYSTEM_POOL}' is the name of the cluster's CPU pool (cluster.system_pool)",
                "give the GPU pool another name",
            )


# GKE admins are IAM members; a bare email or an AWS ARN would fail at `pulumi up`.
GCP_MEMBER = re.compile(r"^(user|group|serviceAccount):[^@\s:]+@[^@\s]+\.[a-z]{2,}$")


def check_gcp_admin_principals(view: ConfigView) -> Iterator[ConfigIssue]:
    if view.cloud is not Cloud.GCP or view.cluster is None:
        return
    for index, principal in enumerate(view.cluster.admin_principals):
        if not GCP_MEMBER.match(principal):
            yield ConfigIssue(
                f"{P}.cluster.admin_principals[{index}]",
                f"{show(principal)} is not an IAM member",
                "write user:<email>, group:<email> or serviceAccount:<email>",
            )


# GKE takes at most 50 master authorized networks on a public endpoint; the node subnet
# is always one of them.
GKE_MAX_PUBLIC_CIDRS = 49


def check_gke_authorized_networks(view: ConfigView) -> Iterator[ConfigIssue]:
    if view.cloud is not Cloud.GCP or view.cluster is None:
        return
    # the VPC's own range is always authorized beside these
    count = len(view.cluster.public_access_cidrs) + len(view.cluster.private_access_cidrs) + 1
    if count > GKE_MAX_PUBLIC_CIDRS:
        yield ConfigIssue(
            f"{P}.cluster.public_access_cidrs",
            f"with private_access_cidrs and the VPC's range lists {count} ranges; GKE takes "
            f"{GKE_MAX_PUBLIC_CIDRS} besides the node subnet",
            "merge ranges into wider ones",
        )


def check_private_access_on_azure(view: ConfigView) -> Iterator[ConfigIssue]:
    """An AKS private cluster is reached through its private DNS zone from linked virtual
    networks, not by source range (AKS docs, "Create a private AKS cluster": connecting to
    the private cluster); the ranges would be ignored."""
    if view.cloud is not Cloud.AZURE or view.cluster is None:
        return
    if view.cluster.private_access_cidrs:
        yield ConfigIssue(
            f"{P}.cluster.private_access_cidrs",
            "is not used on Azure: a private AKS API is reached from virtual networks "
            "peered with the cluster's and linked to its private DNS zone",
            "remove it, and peer the runner's network with the cluster's instead",
        )


def check_gke_maintenance_window(view: ConfigView) -> Iterator[ConfigIssue]:
    """GKE refuses a maintenance window open less than 48 hours in any 32 days."""
    if view.cloud is not Cloud.GCP or view.cluster is None:
        return
    config = view.cluster.maintenance_window
    window = MaintenanceWindow(
        days=tuple(day.value for day in config.days),
        start_time_utc=config.start_time_utc,
        duration_hours=config.duration_hours,
    )
    if not meets_gke_minimum(window):
        hours = weekly_hours(window)
        needed = -(-MIN_HOURS_PER_32_DAYS // WEEKLY_OCCURRENCES_IN_32_DAYS)
        yield ConfigIssue(
            f"{P}.cluster.maintenance_window",
            f"is open {hours} hours a week ({len(config.days)} × {config.duration_hours} h); "
            f"GKE needs {MIN_HOURS_PER_32_DAYS} hours in any 32 days",
            f"open it at least {needed} hours a week: add days or raise duration_hours",
        )


# AKS names Linux node pools with 1-12 lowercase letters and digits, starting with a letter.
AKS_POOL_NAME = re.compile(r"[a-z][a-z0-9]{0,11}")


def check_aks_pool_names(view: ConfigView) -> Iterator[ConfigIssue]:
    """On Azure a GPU pool's name is also its AKS node pool's name."""
    if view.cloud is not Cloud.AZURE:
        return
    for index, pool in sorted(view.pools.items()):
        if not AKS_POOL_NAME.fullmatch(pool.name):
            suggestion = re.sub(r"[^a-z0-9]", "", pool.name)[:12] or "gpu"
            yield ConfigIssue(
                f"{P}.gpu_pools[{index}].name",
                f"'{pool.name}' cannot name an AKS node pool (1-12 lowercase letters and "
                "digits, starting with a letter)",
                f"use a name such as '{suggestion}'",
            )


# On Azure the platform's CPU pods run on User pools labelled `cpu`, one AKS node pool per
# zone named cpu<zone> (infra/platforms/azure.py): a GPU pool may take neither name.
AKS_CPU_POOL = re.compile(r"cpu[0-9]*")


def check_aks_cpu_pool(view: ConfigView) -> Iterator[ConfigIssue]:
    if view.cloud is not Cloud.AZURE:
        return
    for index, pool in sorted(view.pools.items()):
        if AKS_CPU_POOL.fullmatch(pool.name):
            yield ConfigIssue(
                f"{P}.gpu_pools[{index}].name",
                f"'{pool.name}' is the name of the cluster's CPU pool on Azure (cluster.cpu_pool)",
                "give the GPU pool another name",
            )
    if view.cluster is None:
        return
    cpu = view.cluster.cpu_pool
    low, high = cpu.min_nodes_per_zone, cpu.max_nodes_per_zone
    if low is not None and high is not None and low > high:
        yield ConfigIssue(
            f"{P}.cluster.cpu_pool.min_nodes_per_zone",
            f"{low} is above max_nodes_per_zone ({high})",
            "lower min_nodes_per_zone or raise max_nodes_per_zone",
        )


def check_aks_maintenance_days(view: ConfigView) -> Iterator[ConfigIssue]:
    """An AKS maintenance configuration recurs daily, or weekly on one day (AKS docs, "Use
    planned maintenance": schedule types)."""
    if view.cloud is not Cloud.AZURE or view.cluster is None:
        return
    days = view.cluster.maintenance_window.days
    if len(set(days)) not in (1, 7):
        yield ConfigIssue(
            f"{P}.cluster.maintenance_window.days",
            f"{show([day.value for day in days])} is neither one day nor every day; an AKS "
            "maintenance window recurs weekly on one day or daily",
            f"keep one day (e.g. [{days[0].value}]) or list all seven",
        )


PLATFORM_CHECKS: tuple[Check, ...] = (
    check_log_retention,
    check_pool_zones_pinned,
    check_reserved_pool_names,
    check_gcp_admin_principals,
    check_gke_authorized_networks,
    check_private_access_on_azure,
    check_gke_maintenance_window,
    check_aks_pool_names,
    *AWS_CHECKS,
    check_aks_cpu_pool,
    check_aks_maintenance_days,
    *DEPLOY_CHECKS,
    *GATEWAY_CHECKS,
)


def run_platform_checks(view: ConfigView) -> list[ConfigIssue]:
    return [issue for check in PLATFORM_CHECKS for issue in check(view)]
