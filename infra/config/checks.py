"""Cross-field checks: what no single field can know on its own.

They run on a `ConfigView`: the parts of the config that validated, so that one bad
field elsewhere does not hide these errors; every issue is reported in one go.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from components.catalog import CatalogLookupError, InstanceType, catalog, resolve_instance
from components.catalog.pricing import price_catalog
from components.enums import Cloud, Engine, Environment, GpuType
from components.network.cidr import SubnetLayoutError, split_cluster_ranges, split_subnets
from components.sizing.architecture import ModelArchitecture
from components.sizing.library import find_model, known_models
from components.sizing.memory import Fit
from components.sizing.recommend import MAX_NODES, longest_context, recommend
from infra.config.cluster import ClusterConfig
from infra.config.cost import CostConfig
from infra.config.deploy import DeployConfig
from infra.config.errors import PLATFORM_KEY, ConfigIssue, show
from infra.config.gateway import GatewayConfig
from infra.config.models import ModelConfig, from_bucket
from infra.config.multinode_checks import (
    interconnect_issues,
    is_multi_node,
    multi_node_issues,
    placement_issues,
)
from infra.config.network import NetworkConfig
from infra.config.pools import GpuPoolConfig
from infra.config.services import EmbeddingsConfig
from infra.sizing import (
    IMAGE_AND_SYSTEM_GIB,
    cache_size_gib,
    model_lora_slots,
    size_model,
    sized_architecture,
)
from workloads import engines

P = PLATFORM_KEY
M = TypeVar("M", bound=BaseModel)

REGION_FORMS = {
    Cloud.AWS: (r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$", "us-east-1"),
    Cloud.GCP: (r"^[a-z]+-[a-z]+[0-9]$", "us-central1"),
    Cloud.AZURE: (r"^[a-z]+[a-z0-9]*$", "eastus"),
}
# Bucket weights reach the GPUs through vLLM's Run:ai streamer. At the pinned v0.11.0 it
# takes s3:// and gs:// (vllm/transformers_utils/runai_utils.py:17), but the image
# installs only the S3 backend (docker/Dockerfile:529: runai-model-streamer[s3]; the GCS
# one is a separate package, setup.py's `runai` extra), and an Azure https:// URI is not
# an object-storage URI to it at all: only AWS stacks can stream weights.
# The schemes a bucket source takes per cloud: the stack's models bucket by its logical
# name (resolved at deploy time, workloads/engines.py `storage_uri`), or by the cloud's.
WEIGHTS_SCHEMES = {Cloud.AWS: (("models://", "s3://"), "models://<prefix>")}
GCP_LABEL = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
GCP_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")


@dataclass
class ConfigView:
    """What validated, section by section; None / missing entries did not."""

    cloud: Cloud | None = None
    environment: Environment | None = None
    region: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    network: NetworkConfig | None = None
    cluster: ClusterConfig | None = None
    cost: CostConfig | None = None
    deploy: DeployConfig | None = None
    gateway: GatewayConfig | None = None
    embeddings: EmbeddingsConfig | None = None
    pools: dict[int, GpuPoolConfig] = field(default_factory=dict)
    models: dict[int, ModelConfig] = field(default_factory=dict)
    pool_names: list[str] = field(default_factory=list)  # every pool name written, valid or not
    instances: dict[str, InstanceType] = field(default_factory=dict)  # filled by the checks

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> "ConfigView":
        pools_raw = raw.get("gpu_pools") if isinstance(raw.get("gpu_pools"), list) else []
        models_raw = raw.get("models") if isinstance(raw.get("models"), list) else []
        assert pools_raw is not None and models_raw is not None
        tags = raw.get("tags")
        return cls(
            cloud=_try(TypeAdapter(Cloud), raw.get("cloud")),
            environment=_try(TypeAdapter(Environment), raw.get("environment")),
            region=raw["region"] if isinstance(raw.get("region"), str) else None,
            tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {},
            network=_try_model(NetworkConfig, raw.get("network")),
            cluster=_try_model(ClusterConfig, raw.get("cluster")),
            cost=_try_model(CostConfig, raw.get("cost", {})),
            deploy=_try_model(DeployConfig, raw.get("deploy", {})),
            gateway=_try_model(GatewayConfig, raw.get("gateway", {})),
            embeddings=_try_model(EmbeddingsConfig, raw.get("embeddings", {})),
            pools=_valid_items(GpuPoolConfig, pools_raw),
            models=_valid_items(ModelConfig, models_raw),
            pool_names=[
                p["name"]
                for p in pools_raw
                if isinstance(p, dict) and isinstance(p.get("name"), str)
            ],
        )


def _try(adapter: TypeAdapter[Any], value: Any) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def _try_model(model: type[M], value: Any) -> M | None:
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def _valid_items(model: type[M], items: list[Any]) -> dict[int, M]:
    valid = {}
    for index, item in enumerate(items):
        parsed = _try_model(model, item)
        if parsed is not None:
            valid[index] = parsed
    return valid


Check = Callable[[ConfigView], Iterator[ConfigIssue]]


def run_checks(view: ConfigView) -> list[ConfigIssue]:
    return [issue for check in CHECKS for issue in check(view)]


def check_region(view: ConfigView) -> Iterator[ConfigIssue]:
    if view.cloud is None or view.region is None:
        return
    pattern, example = REGION_FORMS[view.cloud]
    if not re.match(pattern, view.region):
        yield ConfigIssue(
            f"{P}.region",
            f"{show(view.region)} is not a region name on {view.cloud.value}",
            f"write a region such as '{example}'",
        )


def check_unique_names(view: ConfigView) -> Iterator[ConfigIssue]:
    yield from _unique_names("gpu_pools", {i: p.name for i, p in view.pools.items()})
    yield from _unique_names("models", {i: m.name for i, m in view.models.items()})


def _unique_names(section: str, names: dict[int, str]) -> Iterator[ConfigIssue]:
    seen: dict[str, int] = {}
    for index, name in sorted(names.items()):
        if name in seen:
            yield ConfigIssue(
                f"{P}.{section}[{index}].name",
                f"{show(name)} is already used by {section}[{seen[name]}]",
                "give each entry its own name",
            )
        seen.setdefault(name, index)


def check_embeddings_pool(view: ConfigView) -> Iterator[ConfigIssue]:
    pool = view.embeddings.pool if view.embeddings else None
    if pool is not None and pool not in view.pool_names:
        yield ConfigIssue(
            f"{P}.embeddings.pool",
            f"{show(pool)} is not a pool of this stack "
            f"(pools: {', '.join(view.pool_names) or 'none'})",
            "use one of those, or drop the key to run on CPU",
        )


def check_pool_instances(view: ConfigView) -> Iterator[ConfigIssue]:
    if view.cloud is None:
        return
    for index, pool in sorted(view.pools.items()):
        try:
            instance = resolve_instance(
                catalog(),
                view.cloud,
                gpu=pool.gpu,
                instance_type=pool.instance_type,
                gpus_per_node=pool.gpus_per_node,
            )
        except CatalogLookupError as error:
            yield ConfigIssue(f"{P}.gpu_pools[{index}].{error.field}", error.message, error.fix)
            continue
        view.instances[pool.name] = instance


def check_bounds(view: ConfigView) -> Iterator[ConfigIssue]:
    bounded: list[tuple[str, int, int, str, str]] = []
    for i, pool in sorted(view.pools.items()):
        bounded.append(
            (f"gpu_pools[{i}]", pool.min_nodes, pool.max_nodes, "min_nodes", "max_nodes")
        )
    for i, model in sorted(view.models.items()):
        bounded.append(
            (f"models[{i}]", model.min_replicas, model.max_replicas, "min_replicas", "max_replicas")
        )
    if view.cluster is not None:
        system = view.cluster.system_pool
        bounded.append(
            ("cluster.system_pool", system.min_nodes, system.max_nodes, "min_nodes", "max_nodes")
        )
    for where, low, high, low_key, high_key in bounded:
        if low > high:
            yield ConfigIssue(
                f"{P}.{where}.{low_key}",
                f"{low} is above {high_key} ({high})",
                f"lower {low_key} or raise {high_key}",
            )


def check_models(view: ConfigView) -> Iterator[ConfigIssue]:
    for index, model in sorted(view.models.items()):
        path = f"{P}.models[{index}]"
        if (model.hf_model_id is None) == (model.weights_uri is None):
            given = "both are set" if model.hf_model_id else "neither is set"
            yield ConfigIssue(
                f"{path}.hf_model_id",
                f"give exactly one of hf_model_id and weights_uri ({given})",
                "keep the one the weights come from",
            )
        if view.pool_names and model.pool not in view.pool_names:
            yield ConfigIssue(
                f"{path}.pool",
                f"{show(model.pool)} is not a pool of this stack "
                f"(pools: {', '.join(view.pool_names)})",
                f"use one of those, or add a pool named '{model.pool}' to {P}.gpu_pools",
            )
        elif not view.pool_names:
            yield ConfigIssue(
                f"{path}.pool",
                f"{show(model.pool)} names a pool, but {P}.gpu_pools is empty",
                f"add a pool named '{model.pool}' to {P}.gpu_pools",
            )
        instance = view.instances.get(model.pool)
        if instance is not None and is_multi_node(model, instance):
            pool = next(
                ((i, p) for i, p in sorted(view.pools.items()) if p.name == model.pool), None
            )
            yield from multi_node_issues(path, model, instance, pool)
        yield from _weights_uri(view, path, model)
        yield from _adapter_uris(view, path, model)
        yield from _engine(path, model, view.gateway is None or view.gateway.enabled)


def _weights_uri(view: ConfigView, path: str, model: ModelConfig) -> Iterator[ConfigIssue]:
    if model.weights_uri is None or view.cloud is None:
        return
    if model.engine is Engine.TGI:
        yield ConfigIssue(
            f"{path}.weights_uri",
            f"{show(model.weights_uri)}: TGI loads weights only from the Hugging Face Hub",
            "use engine: vllm, or give hf_model_id instead",
        )
        return
    if view.cloud not in WEIGHTS_SCHEMES:
        yield ConfigIssue(
            f"{path}.weights_uri",
            f"{show(model.weights_uri)}: the pinned vLLM image ({engines.image(Engine.VLLM)}) "
            f"streams weights only from S3, not from {view.cloud.value} storage",
            "give hf_model_id instead (the weights come from the Hub into the node's cache)",
        )
        return
    scheme, example = WEIGHTS_SCHEMES[view.cloud]
    if not model.weights_uri.startswith(scheme):
        yield ConfigIssue(
            f"{path}.weights_uri",
            f"{show(model.weights_uri)} is not a storage URI on {view.cloud.value}",
            f"write it as {example}: a prefix of the stack's models bucket, the only bucket "
            "its servers may read",
        )


def _adapter_uris(view: ConfigView, path: str, model: ModelConfig) -> Iterator[ConfigIssue]:
    """Adapters from a bucket are copied by the vLLM image's own Python and boto3
    (docker/Dockerfile:529 at v0.11.0 installs boto3), so S3, on AWS stacks only."""
    if view.cloud is None:
        return
    for j, adapter in enumerate(model.adapters):
        if not from_bucket(adapter.source):
            continue
        where = f"{path}.adapters[{j}].source"
        scheme, example = WEIGHTS_SCHEMES.get(view.cloud, ((), ""))
        if not scheme:
            yield ConfigIssue(
                where,
                f"{show(adapter.source)}: adapters come from a bucket on AWS stacks only (the "
                "pinned vLLM image carries the S3 client alone)",
                "give the adapter's Hugging Face id instead",
            )
        elif not adapter.source.startswith(scheme):
            yield ConfigIssue(
                where,
                f"{show(adapter.source)} is not a storage URI on {view.cloud.value}",
                f"write it as {example}: a prefix of the stack's models bucket, the only "
                "bucket its servers may read",
            )


def _engine(path: str, model: ModelConfig, gateway_on: bool) -> Iterator[ConfigIssue]:
    pinned = engines.VERSIONS[model.engine]
    if model.engine_version is not None and model.engine_version != pinned:
        yield ConfigIssue(
            f"{path}.engine_version",
            f"{show(model.engine_version)} has no image contract ({model.engine.value} runs "
            f"{pinned}, whose entrypoint, user and paths are known)",
            "remove engine_version, or add the tag's contract to workloads/images.yaml "
            "from its sources",
        )
    if model.min_replicas == 0 and not gateway_on:
        yield ConfigIssue(
            f"{path}.min_replicas",
            "0 never wakes up without the gateway: with no replica there is no queue "
            "metric, and only the gateway sees the requests that would wake it",
            "set min_replicas: 1, or turn the gateway on (gateway.enabled: true), which "
            "holds a request while the model wakes",
        )


def check_endpoint(view: ConfigView) -> Iterator[ConfigIssue]:
    if view.cluster is None:
        return
    cluster, path = view.cluster, f"{P}.cluster"
    if cluster.endpoint_access.is_public and not cluster.public_access_cidrs:
        yield ConfigIssue(
            f"{path}.public_access_cidrs",
            f"is empty, but endpoint_access is '{cluster.endpoint_access.value}'",
            "list the ranges that may reach the API (your VPN or office egress), "
            "or set endpoint_access: private",
        )
    if not cluster.endpoint_access.is_public and cluster.public_access_cidrs:
        yield ConfigIssue(
            f"{path}.public_access_cidrs",
            "is set, but endpoint_access is 'private', so nothing can use it",
            "remove it, or make the endpoint public_and_private",
        )


def check_zones(view: ConfigView) -> Iterator[ConfigIssue]:
    if view.cloud is None or view.region is None:
        return
    if not re.match(REGION_FORMS[view.cloud][0], view.region):
        return  # check_region reports it; every zone would look wrong too
    network_zones = view.network.availability_zones if view.network else None
    lists: list[tuple[str, tuple[str, ...]]] = []
    if network_zones is not None:
        lists.append((f"{P}.network.availability_zones", network_zones))
    lists += [
        (f"{P}.gpu_pools[{i}].zones", pool.zones)
        for i, pool in sorted(view.pools.items())
        if pool.zones is not None
    ]
    for path, zones in lists:
        yield from _zone_list(view.cloud, view.region, path, zones)
    if network_zones is None:
        return
    for path, zones in lists[1:]:
        outside = [z for z in zones if z not in network_zones]
        if outside:
            yield ConfigIssue(
                path,
                f"{show(outside)} not among network.availability_zones {show(list(network_zones))}",
                "use a subset of the network's zones, or add them there",
            )


def _zone_list(
    cloud: Cloud, region: str, path: str, zones: tuple[str, ...]
) -> Iterator[ConfigIssue]:
    forms = {
        Cloud.AWS: (rf"^{re.escape(region)}[a-z]$", f"'{region}a'"),
        Cloud.GCP: (rf"^{re.escape(region)}-[a-z]$", f"'{region}-a'"),
        Cloud.AZURE: (r"^[1-3]$", "'1', '2' or '3'"),
    }
    pattern, example = forms[cloud]
    if not zones:
        yield ConfigIssue(path, "is empty", "list at least one zone, or remove the key")
    if len(set(zones)) != len(zones):
        yield ConfigIssue(path, f"{show(list(zones))} repeats a zone", "list each zone once")
    for index, zone in enumerate(zones):
        if not re.match(pattern, zone):
            yield ConfigIssue(
                f"{path}[{index}]",
                f"{show(zone)} is not a zone of {region}",
                f"write zones such as {example}",
            )


def check_network(view: ConfigView) -> Iterator[ConfigIssue]:
    if view.network is None:
        return
    network = view.network
    path = f"{P}.network.cidr"
    if not 16 <= network.cidr.prefixlen <= 24:
        yield ConfigIssue(path, f"'{network.cidr}' is not /16 to /24", "use a /16 to /24 range")
        return
    zones = len(network.availability_zones or ()) or network.zone_count
    try:
        if view.cloud is Cloud.GCP:
            split_cluster_ranges(network.cidr)
        else:
            split_subnets(network.cidr, 1 if view.cloud is Cloud.AZURE else zones)
    except SubnetLayoutError as error:
        yield ConfigIssue(path, str(error), "use a larger range or fewer zones")


def check_cost_limits(view: ConfigView) -> Iterator[ConfigIssue]:
    if view.cost is None:
        return
    allowed = view.cost.allowed_gpus
    if allowed is not None:
        for index, pool in sorted(view.pools.items()):
            instance = view.instances.get(pool.name)
            gpu = instance.gpu if instance else pool.gpu
            if gpu is not None and gpu not in allowed:
                names = ", ".join(g.value for g in allowed) or "none"
                stack_env = view.environment.value if view.environment else "this stack"
                yield ConfigIssue(
                    f"{P}.gpu_pools[{index}].gpu",
                    f"'{gpu.value}' is not allowed in {stack_env} (allowed: {names})",
                    f"use one of those or add it to {P}.cost.allowed_gpus",
                )
    if view.cost.max_gpus is not None and view.instances:
        total = sum(
            pool.max_nodes * view.instances[pool.name].gpus
            for pool in view.pools.values()
            if pool.name in view.instances
        )
        if total > view.cost.max_gpus:
            yield ConfigIssue(
                f"{P}.cost.max_gpus",
                f"{view.cost.max_gpus} is below the {total} GPUs the pools reach at max_nodes",
                "lower the pools' max_nodes or raise cost.max_gpus",
            )


def check_model_cache_disk(view: ConfigView) -> Iterator[ConfigIssue]:
    """Each model's cache fits its pool's node disks beside the engine image: the weights
    download to an emptyDir there, and a full disk evicts the pod midway (a replica across
    nodes keeps its caches on volume claims instead: workloads/model_group.py)."""
    pools = {p.name: (i, p) for i, p in sorted(view.pools.items())}
    for _, model in sorted(view.models.items()):
        found = pools.get(model.pool)
        if found is None:
            continue
        index, pool = found
        instance = view.instances.get(model.pool)
        # a group's pods keep their caches on claims of their own, the image on the disk
        grouped = instance is not None and is_multi_node(model, instance)
        needed = IMAGE_AND_SYSTEM_GIB + (0 if grouped else cache_size_gib(model))
        if grouped and needed > pool.disk_size_gib:
            yield ConfigIssue(
                f"{P}.gpu_pools[{index}].disk_size_gib",
                f"{pool.disk_size_gib} GiB cannot hold the engine image and the node's files "
                f"({IMAGE_AND_SYSTEM_GIB} GiB) of '{model.name}' (its cache is on a claim)",
                f"raise disk_size_gib to {needed} or more",
            )
        elif needed > pool.disk_size_gib:
            yield ConfigIssue(
                f"{P}.gpu_pools[{index}].disk_size_gib",
                f"{pool.disk_size_gib} GiB cannot hold the model cache of '{model.name}' "
                f"({cache_size_gib(model)} GiB: its weights and room for a partial download) "
                f"beside the engine image and the node's files ({IMAGE_AND_SYSTEM_GIB} GiB); "
                "the pod downloads it to the node's disk",
                f"raise disk_size_gib to {needed} or more",
            )


def check_interconnect(view: ConfigView) -> Iterator[ConfigIssue]:
    for index, pool in sorted(view.pools.items()):
        yield from placement_issues(index, pool)
        yield from interconnect_issues(index, pool, view.instances.get(pool.name))


def check_model_fit(view: ConfigView) -> Iterator[ConfigIssue]:
    """Every sized model fits its pool's GPUs; otherwise say what it needs and what to do."""
    if view.cloud is None:
        return
    pools = {pool.name: pool for pool in view.pools.values()}
    for index, model in sorted(view.models.items()):
        path = f"{P}.models[{index}]"
        if model.architecture is not None and find_model(model.architecture) is None:
            yield ConfigIssue(
                f"{path}.architecture",
                f"{show(model.architecture)} is not in the model library",
                f"use one of: {', '.join(known_models())}",
            )
            continue
        instance = view.instances.get(model.pool)
        pool = pools.get(model.pool)
        if instance is None or pool is None:
            continue  # reported by the checks above
        if is_multi_node(model, instance) and list(multi_node_issues(path, model, instance, None)):
            continue  # a replica that cannot be built: reported by check_models
        sizing = size_model(view.cloud, model, pool)
        if sizing.fit is None or sizing.fit.fits or sizing.architecture is None:
            continue
        allowed = view.cost.allowed_gpus if view.cost else None
        yield _fit_issue(
            view.cloud,
            path,
            model,
            sizing.architecture,
            instance=instance,
            result=sizing.fit,
            allowed_gpus=allowed,
        )


def check_checkpoint_quantization(view: ConfigView) -> Iterator[ConfigIssue]:
    """A checkpoint stored quantized (its config's `quantization_config`: gpt-oss's MXFP4
    experts, DeepSeek-V3's fp8 blocks) is served as stored; vLLM refuses a different
    `--quantization` at start ("Quantization method specified in the model config ... does
    not match", vllm/config/model.py:950-957)."""
    for index, model in sorted(view.models.items()):
        if model.quantization is None:
            continue
        arch, _ = sized_architecture(model)
        stored = arch.checkpoint_quantization if arch else None
        if stored is not None and stored != model.quantization.value:
            yield ConfigIssue(
                f"{P}.models[{index}].quantization",
                f"{show(model.quantization.value)}, but {arch.name if arch else model.name} is "
                f"stored in {stored} and is served as stored",
                "remove quantization (or give a checkpoint stored in that format)",
            )


def _fit_issue(
    cloud: Cloud,
    path: str,
    model: ModelConfig,
    arch: ModelArchitecture,
    *,
    instance: InstanceType,
    result: Fit,
    allowed_gpus: tuple[GpuType, ...] | None,
) -> ConfigIssue:
    gib = 1024**3
    precision = model.quantization.value if model.quantization else model.dtype.value
    total = result.gpus * result.pipeline_parallel
    message = (
        f"'{model.name}' ({arch.name}, {precision}) does not fit {total} × "
        f"{instance.gpu.value} ({instance.name}): {result.problems[0]}; it needs "
        f"{result.needed_bytes_per_gpu / gib:.1f} GiB per GPU (weights "
        f"{result.weights_bytes_per_gpu / gib:.1f} GiB) and has "
        f"{result.budget_bytes_per_gpu / gib:.1f} GiB ({result.gpu_memory_gib} GiB × "
        f"{result.gpu_memory_utilization})"
    )
    if arch.num_attention_heads % result.gpus:
        return ConfigIssue(
            f"{path}.gpus_per_replica",
            message,
            f"use a count that divides {arch.num_attention_heads}",
        )
    if result.max_model_len > arch.max_position_embeddings:
        return ConfigIssue(
            f"{path}.max_model_len_tokens",
            message,
            f"use at most {arch.max_position_embeddings}",
        )
    if result.kv_pool_bytes_per_gpu > 0:
        longest = longest_context(
            arch,
            gpu_memory_gib=result.gpu_memory_gib,
            gpus=result.gpus,
            pipeline=result.pipeline_parallel,
            gpu_memory_utilization=model.gpu_memory_utilization,
            dtype=model.dtype,
            quantization=model.quantization,
            lora=model_lora_slots(model),
        )
        if longest:
            return ConfigIssue(
                f"{path}.max_model_len_tokens",
                message,
                f"lower max_model_len_tokens to {longest} or fewer, or raise gpus_per_replica",
            )
    better = recommend(
        arch,
        catalog=catalog(),
        prices=price_catalog(),
        cloud=cloud,
        max_model_len=result.max_model_len,
        gpu_memory_utilization=model.gpu_memory_utilization,
        dtype=model.dtype,
        quantization=model.quantization,
        allowed_gpus=allowed_gpus,
        max_nodes=MAX_NODES,
        lora=model_lora_slots(model),
    )
    quantize = "" if model.quantization else ", or quantize it (quantization: awq or fp8)"
    nodes = f", {better.nodes} nodes in one zone" if better and better.nodes > 1 else ""
    fix = (
        f"run it on {better.total_gpus} × {better.instance.gpu.value} (gpus_per_replica: "
        f"{better.total_gpus} on a pool of {better.instance.name}{nodes}){quantize}"
        if better
        else f"shorten max_model_len_tokens{quantize}"
    )
    return ConfigIssue(f"{path}.gpus_per_replica", message, fix)


def check_tags(view: ConfigView) -> Iterator[ConfigIssue]:
    if view.cloud is not Cloud.GCP:
        return
    for key, value in sorted(view.tags.items()):
        if not GCP_LABEL.match(key) or not GCP_LABEL_VALUE.match(value):
            yield ConfigIssue(
                f"{P}.tags.{key}",
                f"{show(key)}: {show(value)} is not a valid GCP label",
                "use lower-case letters, digits, '_' and '-' in keys and values",
            )


CHECKS: tuple[Check, ...] = (
    check_region,
    check_unique_names,
    check_pool_instances,  # fills view.instances for the checks below
    check_bounds,
    check_models,
    check_endpoint,
    check_zones,
    check_network,
    check_cost_limits,
    check_interconnect,
    check_model_cache_disk,
    check_checkpoint_quantization,
    check_model_fit,
    check_embeddings_pool,
    check_tags,
)
