"""`cost`: limits the plan is checked against."""

from pydantic import Field

from components.enums import GpuType
from infra.config.base import Section


class CostConfig(Section):
    allowed_gpus: tuple[GpuType, ...] | None = Field(
        None, description="GPU types pools may use. Default: any."
    )
    max_gpus: int | None = Field(
        None,
        ge=0,
        description="Most GPUs the stack may run at full scale (sum of max nodes × GPUs per "
        "node). Default: no limit.",
    )
    monthly_budget_usd: float | None = Field(
        None, gt=0, description="Monthly budget, USD, at full scale. Default: none."
    )
