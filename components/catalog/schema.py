"""Schema of the instance catalog (instances.yaml)."""

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from components.enums import Cloud, GpuType
from components.sizing.pipeline import MIN_GPUS_PER_STAGE_NODE


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GpuSpec(_Strict):
    product: str
    memory_gib: float = Field(gt=0, description="Device memory the driver reports, GiB.")
    memory_bandwidth_gbps: float = Field(gt=0, description="Memory bandwidth, GB/s.")
    bf16_tflops: float = Field(gt=0, description="Dense BF16 tensor throughput, TFLOPS.")


FabricKind = Literal["efa", "gpudirect-tcpx", "gpudirect-tcpxo", "infiniband"]


class Interconnect(_Strict):
    """The GPU fabric between nodes of an instance type, beside its IP network."""

    kind: FabricKind = Field(
        description="AWS Elastic Fabric Adapter, GCP GPUDirect-TCPX (A3 High) or -TCPXO "
        "(A3 Mega), or Azure InfiniBand (the `r` sizes)."
    )
    gbps: float = Field(gt=0, description="The fabric's total bandwidth per instance, Gbps.")
    source: str = Field(min_length=1, description="Where the figure is published.")


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
    network_gbps: float | None = Field(
        None,
        gt=0,
        description="Bandwidth of the IP network the instance's pods talk TCP over, Gbps: "
        "what the pipeline stages of a replica across nodes hand over on. Required for "
        "8-GPU types; its source is a comment beside it in instances.yaml.",
    )
    interconnect: Interconnect | None = Field(
        None,
        description="The GPU fabric between instances (EFA, GPUDirect-TCPX/TCPXO, "
        "InfiniBand), which the IP network does not include; none where the type has none.",
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
            # a replica spans nodes only of this size, and its stages hand over on their
            # network (components/sizing/pipeline.py, throughput.py)
            unnetworked = [
                t.name
                for t in types
                if t.gpus >= MIN_GPUS_PER_STAGE_NODE and t.network_gbps is None
            ]
            if unnetworked:
                raise ValueError(
                    f"{cloud}: no network_gbps for {', '.join(unnetworked)}: replicas span "
                    f"{MIN_GPUS_PER_STAGE_NODE}-GPU nodes, whose stages hand over on it"
                )
        missing = set(GpuType) - set(self.gpus)
        if missing:
            raise ValueError(f"gpus: no entry for {sorted(missing)}")
        return self

    def gpu_memory_gib(self, instance: InstanceType) -> float:
        return instance.gpu_memory_gib or self.gpus[instance.gpu].memory_gib

    def gpu_bandwidth_gbps(self, instance: InstanceType) -> float:
        return instance.gpu_memory_bandwidth_gbps or self.gpus[instance.gpu].memory_bandwidth_gbps
