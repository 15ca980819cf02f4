import pytest

from components.azure.maintenance import MaintenanceWindow, maintenance_window, schedule

WEEK = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def test_one_day_is_a_weekly_window_in_utc():
    window = maintenance_window(MaintenanceWindow(("Saturday",), "23:00", 5))
    assert window == {
        "schedule": {"weekly": {"day_of_week": "Saturday", "interval_weeks": 1}},
        "duration_hours": 5,
        "start_time": "23:00",
        "utc_offset": "+00:00",
    }


def test_every_day_is_a_daily_window():
    assert schedule(MaintenanceWindow(WEEK, "02:00", 4)) == {"daily": {"interval_days": 1}}


@pytest.mark.parametrize("days", [("Saturday", "Sunday"), ("Caturday",)])
def test_other_day_sets_have_no_aks_schedule(days):
    # A maintenance configuration has one schedule: daily, weekly on one day, or monthly.
    with pytest.raises(ValueError, match="weekly on one day or daily"):
        schedule(MaintenanceWindow(days, "02:00", 4))
