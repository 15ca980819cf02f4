"""GKE's recurring maintenance window from a weekly schedule: days, start time, duration."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# RFC 5545 BYDAY codes, in week order.
WEEKDAYS = {
    "monday": "MO",
    "tuesday": "TU",
    "wednesday": "WE",
    "thursday": "TH",
    "friday": "FR",
    "saturday": "SA",
    "sunday": "SU",
}
# A fixed Monday: windows start on a date of its week, so the plan never depends on the
# day it is made. GKE reads the start's date only as the window's first day.
ANCHOR_MONDAY = datetime(2024, 1, 1, tzinfo=UTC)
# GKE docs, "Configure maintenance windows and exclusions": "You must allow at least 48
# hours of maintenance availability in a 32-day rolling window. Only contiguous
# availability windows of at least four hours are considered." Any 32 days hold at least
# four whole weeks plus a day, so every weekly window occurs at least four times in them.
MIN_WINDOW_HOURS = 4
MIN_HOURS_PER_32_DAYS = 48
WEEKLY_OCCURRENCES_IN_32_DAYS = 4


@dataclass(frozen=True)
class MaintenanceWindow:
    """When GKE may upgrade and reimage: weekly on `days` (lower-case English weekday
    names), from `start_time_utc` ("HH:MM", UTC, as GKE reads weekday recurrences) for
    `duration_hours`."""

    days: tuple[str, ...] = ("sunday",)
    start_time_utc: str = "01:00"
    duration_hours: int = 12


@dataclass(frozen=True)
class RecurringWindow:
    start_time: str
    end_time: str
    recurrence: str


def weekly_hours(window: MaintenanceWindow) -> int:
    return len(set(window.days)) * window.duration_hours


def meets_gke_minimum(window: MaintenanceWindow) -> bool:
    """Whether GKE accepts the window: at least 48 hours in any 32 days, in windows of at
    least four hours."""
    return (
        window.duration_hours >= MIN_WINDOW_HOURS
        and WEEKLY_OCCURRENCES_IN_32_DAYS * weekly_hours(window) >= MIN_HOURS_PER_32_DAYS
    )


def recurring_window(window: MaintenanceWindow) -> RecurringWindow:
    """GKE's `maintenance_policy.recurring_window`: RFC 3339 "Zulu" start and end on the
    window's first day (in week order) of a fixed week, and an RFC 5545 weekly RRULE
    (terraform-provider-google google_container_cluster, maintenance_policy)."""
    unknown = [day for day in window.days if day not in WEEKDAYS]
    if unknown or not window.days:
        raise ValueError(
            f"maintenance days must be weekday names ({', '.join(WEEKDAYS)}); got "
            f"{list(window.days)}"
        )
    hours, minutes = _hhmm(window.start_time_utc)
    if not 1 <= window.duration_hours <= 24:
        raise ValueError(f"duration_hours must be 1 to 24 (got {window.duration_hours})")
    ordered = [day for day in WEEKDAYS if day in window.days]
    first = list(WEEKDAYS).index(ordered[0])
    start = ANCHOR_MONDAY + timedelta(days=first, hours=hours, minutes=minutes)
    end = start + timedelta(hours=window.duration_hours)
    return RecurringWindow(
        start_time=_zulu(start),
        end_time=_zulu(end),
        recurrence="FREQ=WEEKLY;BYDAY=" + ",".join(WEEKDAYS[day] for day in ordered),
    )


def _hhmm(text: str) -> tuple[int, int]:
    parts = text.split(":")
    if len(parts) == 2 and all(p.isdigit() and len(p) == 2 for p in parts):
        hours, minutes = int(parts[0]), int(parts[1])
        if hours < 24 and minutes < 60:
            return hours, minutes
    raise ValueError(f"start_time_utc must be HH:MM (got {text!r})")


def _zulu(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
