"""Schema of the instance catalog (instances.yaml)."""

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from components.enums import Cloud, GpuType


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GpuSpec(_Strict):
    product: str
    memory_gib: float = Field(gt=0, description="Device memory the driver reports, GiB.")
    memory_bandwidth_gbps: float = Field(gt=0, description="Memory bandwidth, GB/s.")
    bf16_tflops: float = Field(gt=0, description="Dense BF16 tensor throughput, TFLOPS.")


class InstanceType(_Strict):
    name: str
    gpu: GpuType
    gpus: int = Field(ge=1, le=16)
    vcpus: int = Field(ge=1)
    memory_gib: float = Field(gt=0)
    local_nvme_gb: int = Field(ge=0)
    default: bool = False
    gpu_memory_gib: float | None = Field(
        None, gt=0, description="Per-GPU memory where this type's variant differs (H100 NVL)."
    )
    gpu_memory_bandwidth_gbps: float | None = Field(
        None, gt=0, description="Per-GPU bandwidth where the variant differs (PCIe, NVL)."
    )
    gpu_label: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="The GPU nodes are labelled with, where the type carries another "
        "variant than `gpu` names (Azure's A10 VMs resolve `a10g` but hold an A10).",
    )


class Catalog(_Strict):
    gpus: dict[GpuType, GpuSpec]
    instances: dict[Cloud, tuple[InstanceType, ...]]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for cloud, types in self.instances.items():
            names = [t.name for t in types]
            if len(names) != len(set(names)):
                raise ValueError(f"{cloud}: duplicate instance type names")
            defaults = [(t.gpu, t.gpus) for t in types if t.default]
            if len(defaults) != len(set(defaults)):
                raise ValueError(f"{cloud}: more than one default for a (gpu, gpus) pair")
        missing = set(GpuType) - set(self.gpus)
        if missing:
            raise ValueError(f"gpus: no entry for {sorted(missing)}")
        return self

    def gpu_memory_gib(self, instance: InstanceType) -> float:
        return instance.gpu_memory_gib or self.gpus[instance.gpu].memory_gib

    def gpu_bandwidth_gbps(self, instance: InstanceType) -> float:
        return instance.gpu_memory_bandwidth_gbps or self.gpus[instance.gpu].memory_bandwidth_gbps
