"""`cluster.maintenance_window`: when the cloud may upgrade the cluster and reimage nodes."""

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
    days: tuple[Weekday, ...] = Field(
        (Weekday.SATURDAY, Weekday.SUNDAY),
        min_length=1,
        description="Days of the week (UTC) the window opens on.",
    )
    start_time_utc: str = Field(
        "01:00",
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="Time the window opens, `HH:MM` in UTC.",
    )
    duration_hours: int = Field(
        6,
        ge=4,
        le=24,
        description="Hours the window stays open each time; GKE counts only windows of 4 "
        "hours or more.",
    )

    @field_validator("days")
    @classmethod
    def _distinct(cls, days: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if len(set(days)) != len(days):
            raise ValueError("lists a day twice; name each day once")
        return days
