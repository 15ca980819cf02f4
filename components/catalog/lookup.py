"""Resolve a pool's GPU / instance type / GPU count against the catalog."""

from components.catalog.schema import Catalog, InstanceType
from components.enums import Cloud, GpuType

# What to suggest when a GPU does not exist on a cloud.
NEAREST_GPU: dict[tuple[Cloud, GpuType], GpuType] = {
    (Cloud.GCP, GpuType.A10G): GpuType.L4,
    (Cloud.AZURE, GpuType.L4): GpuType.A10G,
}


class CatalogLookupError(ValueError):
    """A pool that the catalog cannot resolve; `field` names the pool key at fault."""

    def __init__(self, field: str, message: str, fix: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.fix = fix


def gpus_on(catalog: Catalog, cloud: Cloud) -> list[GpuType]:
    return sorted({t.gpu for t in catalog.instances[cloud]}, key=list(GpuType).index)


def resolve_instance(
    catalog: Catalog,
    cloud: Cloud,
    *,
    gpu: GpuType | None,
    instance_type: str | None,
    gpus_per_node: int | None,
) -> InstanceType:
    """The catalog entry a pool runs on, or CatalogLookupError saying what to change."""
    types = catalog.instances[cloud]
    if instance_type is not None:
        return _by_name(types, cloud, instance_type, gpu, gpus_per_node)
    if gpu is None:
        raise CatalogLookupError(
            "gpu", "neither 'gpu' nor 'instance_type' is set", "set one of them"
        )
    offered = [t for t in types if t.gpu is gpu]
    if not offered:
        available = ", ".join(gpus_on(catalog, cloud))
        nearest = NEAREST_GPU.get((cloud, gpu))
        hint = f"use {nearest.value}, the nearest" if nearest else "use one of those"
        raise CatalogLookupError(
            "gpu",
            f"'{gpu.value}' is not offered on {cloud.value} (GPUs there: {available})",
            hint,
        )
    count = gpus_per_node or 1
    for candidate in offered:
        if candidate.default and candidate.gpus == count:
            return candidate
    counts = ", ".join(str(c) for c in sorted({t.gpus for t in offered if t.default}))
    raise CatalogLookupError(
        "gpus_per_node",
        f"{count} is not a node size for {gpu.value} on {cloud.value} (sizes: {counts})",
        "use one of those sizes, or name an instance_type",
    )


def _by_name(
    types: tuple[InstanceType, ...],
    cloud: Cloud,
    name: str,
    gpu: GpuType | None,
    gpus_per_node: int | None,
) -> InstanceType:
    match = next((t for t in types if t.name == name), None)
    if match is None:
        same_gpu = [t.name for t in types if gpu is None or t.gpu is gpu]
        raise CatalogLookupError(
            "instance_type",
            f"'{name}' is not a GPU instance type of the {cloud.value} catalog",
            f"use one of: {', '.join(same_gpu)}",
        )
    if gpu is not None and match.gpu is not gpu:
        raise CatalogLookupError(
            "gpu",
            f"'{gpu.value}' disagrees with instance_type '{name}', which has {match.gpu.value}",
            f"set gpu to {match.gpu.value} or drop it",
        )
    if gpus_per_node is not None and gpus_per_node != match.gpus:
        raise CatalogLookupError(
            "gpus_per_node",
            f"{gpus_per_node} disagrees with instance_type '{name}', which has {match.gpus}",
            f"set gpus_per_node to {match.gpus} or drop it",
        )
    return match
