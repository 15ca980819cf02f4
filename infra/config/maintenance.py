"""`cluster.maintenance_window`: when the cloud may upgrade the control plane and reimage
nodes. Outside the window, automatic upgrades wait."""

from enum import StrEnum

from pydantic import Field

from infra.config.base import Section


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


class MaintenanceWindowConfig(Section):
    days: tuple[Weekday, ...] = Field(
        (Weekday.SUNDAY,),
        min_length=1,
        description="Days the window opens on. On Azure one day (a weekly window) or all "
        "seven (a daily window).",
    )
    start_time_utc: str = Field(
        "02:00",
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="Start of the window, `HH:MM` in UTC.",
    )
    duration_hours: int = Field(
        4,
        ge=4,
        le=24,
        description="Length of the window, hours (AKS takes 4 to 24).",
    )
