"""`vector_db` and `monitoring`: the platform's shared services."""

from typing import Annotated

from pydantic import Field, StringConstraints

from infra.config.base import Section

CronSchedule = Annotated[str, StringConstraints(pattern=r"^\S+( \S+){4}$", strip_whitespace=True)]


class VectorDbConfig(Section):
    enabled: bool = Field(True, description="Deploy Qdrant.")
    version: str | None = Field(None, description="Qdrant image tag. Default: the pinned one.")
    replicas: int = Field(ge=1, le=15, description="Qdrant pods (one volume each).")
    storage_gib: int = Field(50, ge=10, le=65536, description="Volume per replica, GiB.")
    backup_schedule: CronSchedule = Field(
        "0 3 * * *", description="Cron schedule (5 fields, UTC) of snapshots to the bucket."
    )
    backup_retention_days: int = Field(14, ge=1, le=3650, description="Snapshot retention, days.")


class MonitoringConfig(Section):
    enabled: bool = Field(True, description="Deploy Prometheus, Grafana and GPU metrics.")
    retention_days: int = Field(ge=1, le=3650, description="Metrics retention, days.")
    grafana: bool = Field(True, description="Deploy Grafana with the serving dashboards.")
