"""`vector_db` and `monitoring`: the platform's shared services."""

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from infra.config.base import DnsLabel, Section
from infra.config.models import HuggingFaceId

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


class EmbeddingsConfig(Section):
    enabled: bool = Field(False, description="Deploy a Text Embeddings Inference server for RAG.")
    model_id: HuggingFaceId = Field(
        "BAAI/bge-base-en-v1.5", description="Hugging Face id of the embedding model."
    )
    pool: DnsLabel | None = Field(
        None, description="GPU pool to run on. Default: CPU, on the system nodes."
    )
    replicas: int = Field(1, ge=1, le=100, description="Embedding server pods.")


class AlertReceiverType(StrEnum):
    """Where Alertmanager sends alerts; the URL or key is a secret (`llm-infra:alertReceivers`)."""

    WEBHOOK = "webhook"  # POSTs Alertmanager's JSON to a URL
    SLACK = "slack"  # an incoming-webhook URL
    PAGERDUTY = "pagerduty"  # an Events API v2 integration (routing) key


class Severity(StrEnum):
    """The severities of the platform's alert rules."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertReceiverConfig(Section):
    name: DnsLabel = Field(
        description="Receiver name; also its entry in the `llm-infra:alertReceivers` secret."
    )
    type: AlertReceiverType = Field(description="webhook, slack or pagerduty.")
    severities: tuple[Severity, ...] = Field(
        (Severity.CRITICAL, Severity.WARNING),
        min_length=1,
        description="Alert severities sent to this receiver.",
    )
    channel: str | None = Field(
        None,
        description="Slack channel or user (`#llm-alerts`), Slack only. Default: the "
        "incoming webhook's own channel.",
    )


class MonitoringConfig(Section):
    enabled: bool = Field(True, description="Deploy Prometheus, Grafana and GPU metrics.")
    retention_days: int = Field(ge=1, le=3650, description="Metrics retention, days.")
    grafana: bool = Field(True, description="Deploy Grafana with the serving dashboards.")
    receivers: tuple[AlertReceiverConfig, ...] = Field(
        (),
        description="Where Alertmanager sends the platform's alerts; each receiver's URL or "
        "key goes in the secret `llm-infra:alertReceivers` under its name. Default: none, "
        "and alerts are only seen in Alertmanager and Grafana.",
    )
