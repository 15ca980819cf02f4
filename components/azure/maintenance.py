"""AKS planned maintenance: the windows AKS's automatic upgrades keep to.

AKS reads two maintenance configurations by name (AKS docs, "Use planned maintenance to
schedule and control upgrades"): `aksManagedAutoUpgradeSchedule` for the cluster's upgrade
channel (control plane and node versions) and `aksManagedNodeOSUpgradeSchedule` for the
node OS channel (node image reimages). Without them either may run at any time.
"""

from dataclasses import dataclass

from pulumi_azure_native.containerservice import MaintenanceWindowArgsDict, ScheduleArgsDict

AUTO_UPGRADE_SCHEDULE = "aksManagedAutoUpgradeSchedule"
NODE_OS_UPGRADE_SCHEDULE = "aksManagedNodeOSUpgradeSchedule"
WEEK = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class MaintenanceWindow:
    days: tuple[str, ...]
    """AKS day names (`Sunday`): one for a weekly window, all seven for a daily one."""
    start_time_utc: str
    """`HH:MM`, UTC."""
    duration_hours: int
    """4 to 24: AKS refuses shorter windows."""


def schedule(window: MaintenanceWindow) -> ScheduleArgsDict:
    """A weekly schedule on the one day given, or a daily one when every day is."""
    days = set(window.days)
    if days == set(WEEK):
        return {"daily": {"interval_days": 1}}
    if len(days) != 1 or not days <= set(WEEK):
        raise ValueError(
            f"an AKS window recurs weekly on one day or daily, not on {', '.join(window.days)}"
        )
    return {"weekly": {"day_of_week": window.days[0], "interval_weeks": 1}}


def maintenance_window(window: MaintenanceWindow) -> MaintenanceWindowArgsDict:
    """The `maintenance_window` argument of a maintenance configuration, in UTC."""
    return {
        "schedule": schedule(window),
        "duration_hours": window.duration_hours,
        "start_time": window.start_time_utc,
        "utc_offset": "+00:00",
    }
