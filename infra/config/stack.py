"""`llm-infra:platform`: the whole platform as one typed, validated object."""

from typing import Annotated

from pydantic import Field, StringConstraints

from components.enums import Cloud, Environment
from infra.config.base import Section
from infra.config.cluster import ClusterConfig
from infra.config.cost import CostConfig
from infra.config.deploy import DeployConfig
from infra.config.gateway import GatewayConfig
from infra.config.models import ModelConfig
from infra.config.network import NetworkConfig
from infra.config.pools import GpuPoolConfig
from infra.config.services import EmbeddingsConfig, MonitoringConfig, VectorDbConfig

TagKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.:/=+@-]{0,62}$")]
TagValue = Annotated[str, StringConstraints(max_length=63)]


class StackConfig(Section):
    cloud: Cloud = Field(description="Cloud to build on.")
    environment: Environment = Field(
        description="dev, staging or prod; sets the defaults marked 'by environment'."
    )
    region: str = Field(
        description="Cloud region. When both this and the provider's key are set they must agree.",
        json_schema_extra={"default_text": "`aws:region` / `gcp:region` / `azure-native:location`"},
    )
    tags: dict[TagKey, TagValue] = Field(
        default_factory=dict,
        description="Tags (labels on GCP) added to every resource, next to the platform's own "
        "`llm-infra-stack`, `llm-infra-environment` and `managed-by`.",
    )
    network: NetworkConfig = Field(description="VPC / VNet.")
    cluster: ClusterConfig = Field(description="Managed Kubernetes cluster.")
    gpu_pools: tuple[GpuPoolConfig, ...] = Field((), description="GPU node pools.")
    models: tuple[ModelConfig, ...] = Field((), description="Model deployments.")
    vector_db: VectorDbConfig = Field(description="Qdrant vector database.")
    monitoring: MonitoringConfig = Field(description="Metrics and dashboards.")
    embeddings: EmbeddingsConfig = Field(
        default_factory=EmbeddingsConfig, description="Embedding server for RAG (optional)."
    )
    gateway: GatewayConfig = Field(
        description="The front door: one authenticated OpenAI-compatible endpoint."
    )
    cost: CostConfig = Field(default_factory=CostConfig, description="Cost limits.")
    deploy: DeployConfig = Field(
        default_factory=DeployConfig,
        description="Where `pulumi up` runs, and so the path to the cluster's API server.",
    )
    require_sized_models: bool = Field(
        description="Fail `llm-infra check` (and `pulumi preview --policy-pack`) when a "
        "model cannot be sized: its architecture is not in the model library, so whether it "
        "fits its GPUs is unknown. Off: such a model deploys, shown as 'not sized' in every "
        "report and listed as an exemption."
    )
    protect_state: bool = Field(
        description="Guard stateful resources (buckets, keys, log groups, vector-DB volumes) "
        "with `protect` and `retain_on_delete`, and turn on the cluster's deletion "
        "protection: `pulumi destroy` and replacements then stop instead of deleting data."
    )

    @property
    def is_prod(self) -> bool:
        return self.environment is Environment.PROD

    def pool(self, name: str) -> GpuPoolConfig:
        for pool in self.gpu_pools:
            if pool.name == name:
                return pool
        raise KeyError(name)
