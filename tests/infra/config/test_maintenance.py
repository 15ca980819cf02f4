"""`cluster.maintenance_window`: a small weekly schedule every cloud can read; GKE's own
minimum (48 hours in any 32 days, windows of at least 4 hours: GKE docs, "Configure
maintenance windows and exclusions") is checked on GCP."""

import pytest

from infra.config import ConfigError
from infra.config.maintenance import Weekday
from tests.harness import load, minimal_platform

P = "llm-infra:platform"


def gcp_platform(**window):
    platform = minimal_platform(cloud="gcp", region="us-central1")
    platform["network"] = {"availability_zones": ["us-central1-a"]}
    platform["cluster"]["maintenance_window"] = window
    return platform


def issues_of(platform, **keys):
    with pytest.raises(ConfigError) as error:
        load(platform, **keys)
    return [str(issue) for issue in error.value.issues]


def test_the_default_is_sunday_night_and_both_clouds_take_it():
    # one weekly day is what AKS takes (one day or all seven); 12 hours a week meets GKE's
    # 48 hours in any 32 days: the same default works on GCP and on Azure
    window = load(gcp_platform(), gcp_project="p").cluster.maintenance_window
    assert window.days == (Weekday.SUNDAY,)
    assert (window.start_time_utc, window.duration_hours) == ("01:00", 12)


def test_a_window_gke_would_refuse_is_a_config_error_saying_how_much_is_needed():
    (issue,) = issues_of(gcp_platform(days=["sunday"], duration_hours=8), gcp_project="p")
    assert issue == (
        f"{P}.cluster.maintenance_window: is open 8 hours a week (1 × 8 h); GKE needs 48 "
        "hours in any 32 days; open it at least 12 hours a week: add days or raise "
        "duration_hours"
    )


def test_a_long_enough_window_loads():
    window = load(
        gcp_platform(days=["wednesday"], start_time_utc="22:00", duration_hours=12),
        gcp_project="p",
    ).cluster.maintenance_window
    assert window.days == (Weekday.WEDNESDAY,)


def test_the_gke_minimum_is_not_applied_on_aws():
    platform = minimal_platform()
    platform["cluster"]["maintenance_window"] = {"days": ["sunday"], "duration_hours": 4}
    assert load(platform).cluster.maintenance_window.duration_hours == 4


@pytest.mark.parametrize(
    ("window", "path", "text"),
    [
        ({"days": ["saturday", "saturday"]}, "days", "lists a day twice"),
        ({"days": []}, "days", ""),
        ({"days": ["sat"]}, "days[0]", "'sat'"),
        ({"start_time_utc": "1:00"}, "start_time_utc", "'1:00'"),
        ({"duration_hours": 3}, "duration_hours", "3"),
    ],
)
def test_bad_windows_name_the_path(window, path, text):
    issues = issues_of(gcp_platform(**window), gcp_project="p")
    assert any(
        issue.startswith(f"{P}.cluster.maintenance_window.{path}") and text in issue
        for issue in issues
    ), issues
