"""`cluster.maintenance_window`: when the cloud may upgrade the control plane and reimage
nodes. Outside the window, automatic upgrades wait."""

from enum import StrEnum

from pydantic import Field, field_validator

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
    # The default suits both clouds that read it: one weekly day is what AKS takes (one day
    # or all seven), and 12 hours a week is GKE's minimum of 48 hours in any 32 days.
    days: tuple[Weekday, ...] = Field(
        (Weekday.SUNDAY,),
        min_length=1,
        description="Days of the week (UTC) the window opens on. On Azure one day (a weekly "
        "window) or all seven (a daily window).",
    )
    start_time_utc: str = Field(
        "01:00",
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="Time the window opens, `HH:MM` in UTC.",
    )
    duration_hours: int = Field(
        12,
        ge=4,
        le=24,
        description="Hours the window stays open each time (AKS takes 4 to 24; GKE counts "
        "only windows of 4 hours or more and needs 48 hours in any 32 days).",
    )

    @field_validator("days")
    @classmethod
    def _distinct(cls, days: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if len(set(days)) != len(days):
            raise ValueError("lists a day twice; name each day once")
        return days
