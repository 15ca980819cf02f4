"""`vector_db` and `monitoring`: the platform's shared services."""

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


class MonitoringConfig(Section):
    enabled: bool = Field(True, description="Deploy Prometheus, Grafana and GPU metrics.")
    retention_days: int = Field(ge=1, le=3650, description="Metrics retention, days.")
    grafana: bool = Field(True, description="Deploy Grafana with the serving dashboards.")
