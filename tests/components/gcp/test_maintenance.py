"""GKE's recurring maintenance window: RFC 3339 "Zulu" start and end, RFC 5545 RRULE
(terraform-provider-google google_container_cluster, maintenance_policy.recurring_window),
open at least 48 hours in any 32 days in windows of at least four hours (GKE docs,
"Configure maintenance windows and exclusions", considerations)."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.gcp.maintenance import (
    WEEKDAYS,
    MaintenanceWindow,
    meets_gke_minimum,
    recurring_window,
)
from infra.config.maintenance import MaintenanceWindowConfig


def test_the_default_is_sunday_night_and_matches_the_config_default():
    window = recurring_window(MaintenanceWindow())
    assert window.recurrence == "FREQ=WEEKLY;BYDAY=SU"
    assert window.start_time == "2024-01-07T01:00:00Z"  # a Sunday
    assert window.end_time == "2024-01-07T13:00:00Z"
    config = MaintenanceWindowConfig()
    assert MaintenanceWindow() == MaintenanceWindow(
        days=tuple(d.value for d in config.days),
        start_time_utc=config.start_time_utc,
        duration_hours=config.duration_hours,
    )
    assert meets_gke_minimum(MaintenanceWindow())  # 1 day × 12 h × 4 weeks = 48 h


def test_days_are_listed_in_week_order_and_the_window_starts_on_the_first():
    window = recurring_window(MaintenanceWindow(days=("sunday", "tuesday"), duration_hours=8))
    assert window.recurrence == "FREQ=WEEKLY;BYDAY=TU,SU"
    assert window.start_time == "2024-01-02T01:00:00Z"  # the anchor week's Tuesday


def test_a_window_may_run_past_midnight():
    window = recurring_window(
        MaintenanceWindow(days=("friday",), start_time_utc="22:30", duration_hours=12)
    )
    assert (window.start_time, window.end_time) == ("2024-01-05T22:30:00Z", "2024-01-06T10:30:00Z")


@given(
    days=st.lists(st.sampled_from(list(WEEKDAYS)), min_size=1, max_size=7, unique=True),
    hours=st.integers(0, 23),
    minutes=st.integers(0, 59),
    duration=st.integers(1, 24),
)
def test_windows_are_valid_rfc3339_and_rrule(days, hours, minutes, duration):
    window = recurring_window(
        MaintenanceWindow(tuple(days), f"{hours:02d}:{minutes:02d}", duration)
    )
    start = datetime.strptime(window.start_time, "%Y-%m-%dT%H:%M:%SZ")
    end = datetime.strptime(window.end_time, "%Y-%m-%dT%H:%M:%SZ")
    assert end - start == timedelta(hours=duration)
    assert list(WEEKDAYS)[start.weekday()] in days
    assert window.recurrence == "FREQ=WEEKLY;BYDAY=" + ",".join(
        WEEKDAYS[d] for d in WEEKDAYS if d in days
    )


@pytest.mark.parametrize(
    ("days", "hours", "accepted"),
    [
        (("saturday",), 12, True),  # 4 × 12 = 48
        (("saturday",), 11, False),
        (("monday", "tuesday", "wednesday", "thursday", "friday", "saturday"), 3, False),
        (("saturday", "sunday"), 6, True),
    ],
)
def test_the_gke_minimum(days, hours, accepted):
    assert meets_gke_minimum(MaintenanceWindow(days, "01:00", hours)) is accepted


def test_bad_windows_are_refused():
    with pytest.raises(ValueError, match="weekday names"):
        recurring_window(MaintenanceWindow(days=("sat",)))
    with pytest.raises(ValueError, match="HH:MM"):
        recurring_window(MaintenanceWindow(start_time_utc="1:00"))
