"""CloudWatch Logs facts the config checks and the components share."""

# The only retention periods CloudWatch Logs accepts, in days.
RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
    731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


def nearest_retention(days: int) -> int:
    """The accepted retention closest to `days`, the longer one on a tie."""
    return min(RETENTION_DAYS, key=lambda allowed: (abs(allowed - days), -allowed))
