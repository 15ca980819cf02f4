"""Deploy the workloads on the platform's cluster: namespaces, monitoring, autoscaling,
model servers and Qdrant. Cloud-neutral: everything goes through the cluster seam."""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import pulumi
import pulumi_random as random

from components.catalog import InstanceType, catalog, resolve_instance
from components.seam import KubernetesCluster
from infra.config import StackConfig
from infra.config.alerting import receiver_secret
from infra.config.models import ModelConfig
from infra.config.routing import picked_models
from infra.cost import estimate_cost
from infra.platforms.base import Platform
from infra.sizing import (
    MARGIN,
    LoadEstimate,
    cache_size_gib,
    model_lora_slots,
    replica_hourly_usd,
    sized_architecture,
    stack_load_estimates,
)
from infra.topology import ReplicaLayout, group_surge, layouts
from workloads.alerts import Receiver
from workloads.autoscaling import Keda, KedaArgs
from workloads.certificates import NAMESPACE as CERT_NAMESPACE
from workloads.certificates import CertManager
from workloads.embeddings import HTTP_PORT as EMBEDDINGS_PORT
from workloads.embeddings import Embeddings, EmbeddingsArgs
from workloads.engines import HTTP_PORT, ServerSpec, image_contract
from workloads.external_dns import HOSTNAME_ANNOTATION, ExternalDns
from workloads.gateway import (
    AIGW_NAMESPACE,
    EG_NAMESPACE,
    TLS_SECRET,
    Client,
    Gateway,
    GatewayArgs,
    Jwt,
    Upstream,
    balancing,
    rule_clusters,
    traffic,
    wake_query,
)
from workloads.leader_worker_set import NAMESPACE as GROUPS_NAMESPACE
from workloads.leader_worker_set import LeaderWorkerSetController
from workloads.model_group import ModelGroup, ModelGroupArgs, leader_selector
from workloads.model_server import ModelServer, ModelServerArgs, server_selector
from workloads.monitoring import Monitoring, MonitoringArgs
from workloads.namespaces import Namespaces, NamespacesArgs
from workloads.placement import cpu_placement
from workloads.qdrant import HTTP_PORT as QDRANT_PORT
from workloads.qdrant import Qdrant, QdrantArgs
from workloads.secrets import KubernetesSecret, SecretArgs

HF_TOKEN_SECRET = "hf-token"
SERVING_ROOT = "llm-serving-root"
# Share of a node's CPU and memory a replica takes per GPU it holds; the rest is for the
# node's own agents (CNI, kube-proxy, device plugin, DCGM and node exporters).
NODE_SHARE = 0.75


@dataclass(frozen=True)
class WorkloadSecrets:
    hf_token: pulumi.Output[str] | None = None
    """Hugging Face token for gated models; without it only ungated models load."""
    alert_receivers: pulumi.Output[str] | None = None
    """The URL or key of each alert receiver, by name, as one JSON object."""


def replica_resources(instance: InstanceType, gpus: int) -> tuple[str, str]:
    """CPU and memory for a replica holding `gpus` of the node's GPUs."""
    share = gpus / instance.gpus * NODE_SHARE
    cpu = max(1, math.floor(instance.vcpus * share))
    memory = max(4, math.floor(instance.memory_gib * share))
    return str(cpu), f"{memory}Gi"


def namespace_of(names: NamespacesArgs, role: str) -> str:
    found = names.serving_root if role == "serving-root" else names.serving
    assert found is not None
    return found


def deploy_workloads(
    config: StackConfig, platform: Platform, secrets: WorkloadSecrets
) -> Mapping[str, Any]:
    """Returns stack outputs by group: `workloads` (in-cluster endpoints) and, with Qdrant,
    `qdrant_api_key` (secret)."""
    cluster = platform.cluster
    if cluster is None:
        return {}
    provider = cluster.kubernetes_provider
    shapes = layouts(config)
    # Servers whose image cannot run as non-root get a namespace of their own.
    needs_root = any(image_contract(m.engine).runs_as_root for m in config.models)
    front = config.gateway.enabled
    names = NamespacesArgs(
        serving_root=SERVING_ROOT if needs_root else None,
        gateway=EG_NAMESPACE if front else None,
        ai_gateway=AIGW_NAMESPACE if front else None,
        certificates=CERT_NAMESPACE if front and config.gateway.tls_hostname else None,
        groups=GROUPS_NAMESPACE if any(found.multi_node for found in shapes.values()) else None,
    )
    # the gateway's proxies call every model server
    callers = (EG_NAMESPACE,) if front else ()
    namespaces = Namespaces("namespaces", names, kubernetes_provider=provider)

    monitoring = (
        _monitoring(config, cluster, namespaces, secrets) if config.monitoring.enabled else None
    )
    operators = monitoring.operators if monitoring else []
    # Queue-depth scaling reads Prometheus: without monitoring, replicas stay fixed.
    keda = (
        Keda(
            "keda",
            KedaArgs(namespace=names.autoscaling),
            kubernetes_provider=provider,
            namespace=namespaces.namespace("autoscaling"),
            placement=cpu_placement(cluster),
        )
        if monitoring
        else None
    )
    lws = (
        LeaderWorkerSetController(
            "leader-worker-set",
            kubernetes_provider=provider,
            namespace=namespaces.namespace("groups"),
            placement=cpu_placement(cluster),
        )
        if names.groups
        else None
    )
    roles = ["serving", "serving-root"] if needs_root else ["serving"]
    hf_secrets = (
        {
            role: KubernetesSecret(
                "hf-token" if role == "serving" else f"hf-token-{role}",
                SecretArgs(namespace=namespace_of(names, role), secret_name=HF_TOKEN_SECRET),
                values={"token": secrets.hf_token},
                kubernetes_provider=provider,
                namespace=namespaces.namespace(role),
            )
            for role in roles
        }
        if secrets.hf_token is not None
        else {}
    )
    hf_secret = hf_secrets.get("serving")
    loads = stack_load_estimates(config)
    endpoints: dict[str, str] = {}
    picked = picked_models(config)
    upstreams = [
        Upstream(
            model=m.name,
            service=m.name,
            namespace=namespace_of(names, _role(m)),
            port=HTTP_PORT,
            version_of=m.version_of,
            weight=m.weight,
            servers=_servers(m, shapes[m.name]) if m.name in picked else None,
            adapters=tuple(a.name for a in m.adapters),
        )
        for m in config.models
    ]
    # the models' rules come first, so their places (and Envoy cluster names) are these
    clusters = rule_clusters(upstreams)
    # the servers that load adapters: the routes naming those adapters wait for them
    adapter_servers: list[pulumi.Resource] = []
    serving = _Serving(
        config=config,
        cluster=cluster,
        names=names,
        namespaces=namespaces,
        hf_secrets=hf_secrets,
        loads=loads,
        shapes=shapes,
        callers=callers,
        monitoring=monitoring,
        keda=keda,
        groups=lws,
        clusters=clusters,
    )
    for model in config.models:
        workload = _serve(model, serving)
        endpoints[model.name] = (
            f"http://{model.name}.{namespace_of(names, _role(model))}.svc:{HTTP_PORT}"
        )
        if model.adapters:
            adapter_servers.append(workload)

    outputs: dict[str, Any] = {"models": endpoints}
    if config.embeddings.enabled:
        outputs["embeddings"] = _embeddings(
            config,
            cluster,
            namespaces,
            operators,
            HF_TOKEN_SECRET if hf_secret else None,
            callers=callers,
        )
        upstreams.append(
            Upstream(
                model=config.embeddings.model_id,
                service="embeddings",
                namespace=names.serving,
                port=EMBEDDINGS_PORT,
            )
        )
    # Secrets are output groups of their own: a secret inside a group masks the whole group.
    groups: dict[str, Any] = {"workloads": outputs}
    if front:
        outputs["gateway"], keys = _gateway(
            config,
            cluster,
            namespaces,
            tuple(upstreams),
            monitoring=operators,
            adapter_servers=adapter_servers,
        )
        if keys is not None:
            groups["gateway_api_keys"] = keys
    if config.vector_db.enabled:
        vector = config.vector_db
        # Buckets on AWS and GCP; blob containers of one storage account on Azure.
        storage = platform.outputs.get("storage", {})
        snapshot_bucket = platform.outputs.get("buckets", {}).get(
            "vector_snapshots", storage.get("containers", {}).get("vector_snapshots")
        )
        qdrant = Qdrant(
            "qdrant",
            QdrantArgs(
                namespace=names.data,
                replicas=vector.replicas,
                storage_gib=vector.storage_gib,
                cloud=config.cloud,
                region=config.region,
                version=vector.version,
                cpu="1" if config.is_prod else "500m",
                memory="4Gi" if config.is_prod else "2Gi",
                backup_schedule=vector.backup_schedule,
                backup_retention_days=vector.backup_retention_days,
                allowed_namespaces=(names.serving,),
                monitoring_namespace=names.monitoring if monitoring else None,
                keep=config.protect_state,
            ),
            cluster=cluster,
            namespace=namespaces.namespace("data"),
            snapshot_bucket=snapshot_bucket,
            snapshot_account=storage.get("account"),
            monitoring=operators,
        )
        outputs["qdrant"] = {"endpoint": f"http://qdrant.{names.data}.svc:{QDRANT_PORT}"}
        groups["qdrant_api_key"] = pulumi.Output.secret(qdrant.api_key)
    return groups


@dataclass(frozen=True)
class _Serving:
    """What every model's workload is built with."""

    config: StackConfig
    cluster: KubernetesCluster
    names: NamespacesArgs
    namespaces: Namespaces
    hf_secrets: Mapping[str, KubernetesSecret]
    loads: Mapping[str, LoadEstimate]
    shapes: Mapping[str, ReplicaLayout]
    callers: tuple[str, ...]
    monitoring: Monitoring | None
    keda: Keda | None
    groups: LeaderWorkerSetController | None
    clusters: Mapping[str, list[str]]


def _serve(model: ModelConfig, ctx: _Serving) -> pulumi.Resource:
    """The model's servers: a Deployment, or a LeaderWorkerSet of groups across nodes."""
    config, names = ctx.config, ctx.names
    role = _role(model)
    namespace = namespace_of(names, role)
    secret = ctx.hf_secrets.get(role)
    load = ctx.loads[model.name]
    pool = config.pool(model.pool)
    shape = ctx.shapes[model.name]
    instance = shape.instance
    cpu, memory = replica_resources(instance, shape.tensor_parallel)
    arch, not_sized = sized_architecture(model)
    front = config.gateway.enabled
    server_args = ModelServerArgs(
        namespace=namespace,
        engine=model.engine,
        spec=ServerSpec(
            model=model.weights_uri or str(model.hf_model_id),
            served_name=model.name,
            tensor_parallel_size=shape.tensor_parallel,
            pipeline_parallel_size=shape.nodes,
            max_model_len_tokens=model.max_model_len_tokens,
            dtype=model.dtype,
            quantization=model.quantization,
            gpu_memory_utilization=model.gpu_memory_utilization,
            **_adapters(model),
        ),
        pool=pool.name,
        gpu=instance.gpu.value,
        min_replicas=model.min_replicas,
        max_replicas=model.max_replicas,
        cpu=cpu,
        memory=memory,
        architecture=arch.name if arch else None,
        cache_size_gib=cache_size_gib(model),
        startup_minutes=load.startup_minutes,
        await_timeout_seconds=load.await_timeout_s,
        # the same callers as every other model server, and the gateway
        allowed_namespaces=(
            (names.serving, *ctx.callers) if namespace != names.serving else ctx.callers
        ),
        monitoring_namespace=names.monitoring if ctx.monitoring else None,
        prometheus_url=ctx.monitoring.prometheus_url if ctx.monitoring else None,
        wake_query=(
            wake_query(ctx.clusters[model.name]) if front and model.min_replicas == 0 else None
        ),
        not_sized=not_sized,
        sizing_required=config.require_sized_models,
    )
    common: dict[str, Any] = {
        "cluster": ctx.cluster,
        "namespace": ctx.namespaces.namespace(role),
        "hf_token_secret": HF_TOKEN_SECRET if secret else None,
        "monitoring": ctx.monitoring.operators if ctx.monitoring else [],
        "autoscaler": [ctx.keda.release] if ctx.keda else [],
        "opts": pulumi.ResourceOptions(depends_on=[secret] if secret else None),
    }
    if not shape.multi_node:
        return ModelServer(model.name, server_args, **common).deployment
    assert ctx.groups is not None  # made when any model spans nodes
    return ModelGroup(
        model.name,
        ModelGroupArgs(
            server=server_args,
            nodes=shape.nodes,
            ray_wait_seconds=ray_wait_seconds(load),
            storage_class=ctx.cluster.default_storage_class,
            max_surge=group_surge(config, model, ctx.shapes),
        ),
        controller=[ctx.groups.release],
        **common,
    ).group


def _servers(model: ModelConfig, shape: ReplicaLayout) -> dict[str, str]:
    """The pods an InferencePool picks among: a group's leaders (they serve HTTP)."""
    return (
        leader_selector(model.name)
        if shape.multi_node
        else server_selector(model.name, model.engine)
    )


def ray_wait_seconds(load: LoadEstimate) -> int:
    """How long a group's leader waits for its workers, and each worker for its leader: the
    pods of one group start together, but each waits for its own node and image."""
    return 60 * math.ceil((load.node_scale_up_s + load.image_pull_s) * MARGIN / 60)


def _adapters(model: ModelConfig) -> dict[str, Any]:
    """The LoRA part of a server's spec: its adapters and the slots they need."""
    slots = model_lora_slots(model)
    if slots is None:
        return {}
    return {
        "adapters": tuple((a.name, a.source) for a in model.adapters),
        "max_loras": slots.max_loras,
        "max_lora_rank": slots.max_rank,
    }


def _role(model: ModelConfig) -> str:
    return "serving-root" if image_contract(model.engine).runs_as_root else "serving"


def _gateway(
    config: StackConfig,
    cluster: KubernetesCluster,
    namespaces: Namespaces,
    upstreams: tuple[Upstream, ...],
    *,
    monitoring: Sequence[pulumi.Resource] = (),
    adapter_servers: Sequence[pulumi.Resource] = (),
) -> tuple[dict[str, Any], pulumi.Output[Any] | None]:
    """The front door; returns the `gateway` output (URL, models, routes, clients, how
    callers authenticate) and each client's key (a secret; None with JWT)."""
    settings = config.gateway
    certificate = None
    if settings.tls_hostname is not None:
        certificates = CertManager(
            "cert-manager",
            kubernetes_provider=cluster.kubernetes_provider,
            namespace=namespaces.namespace("certificates"),
            placement=cpu_placement(cluster),
        )
        certificate = certificates.certificate(
            "gateway-certificate",
            namespace=EG_NAMESPACE,
            hostname=settings.tls_hostname,
            secret_name=TLS_SECRET,
            after=[namespaces.namespace("gateway")],
        )
    jwt = settings.jwt
    keys = (
        {
            client.name: random.RandomPassword(
                f"gateway-key-{client.name}", length=48, special=False
            ).result
            for client in settings.clients
        }
        if jwt is None
        else {}
    )
    annotations = dict(cluster.load_balancer_annotations(settings.public))
    publisher = cluster.dns_publisher()
    if publisher is not None and settings.tls_hostname is not None:
        # the name external-dns publishes for the proxies' Service, in the stack's zone
        annotations[HOSTNAME_ANNOTATION] = settings.tls_hostname
        ExternalDns(
            "external-dns",
            publisher,
            owner=f"{pulumi.get_project()}-{pulumi.get_stack()}",
            kubernetes_provider=cluster.kubernetes_provider,
            namespace=namespaces.namespace("gateway"),
            placement=cpu_placement(cluster),
        )
    front = Gateway(
        "gateway",
        GatewayArgs(
            upstreams=upstreams,
            clients=tuple(
                Client(
                    name=c.name,
                    requests_per_minute=c.requests_per_minute,
                    tokens_per_minute=c.tokens_per_minute,
                )
                for c in settings.clients
            ),
            replicas=settings.replicas,
            public=settings.public,
            allowed_cidrs=tuple(str(c) for c in settings.allowed_cidrs),
            load_balancer_annotations=annotations,
            sleeping=tuple(m.name for m in config.models if m.min_replicas == 0),
            tls_hostname=settings.tls_hostname,
            jwt=(
                Jwt(jwt.issuer, jwt.jwks_uri, tuple(jwt.audiences), jwt.client_claim)
                if jwt is not None
                else None
            ),
        ),
        kubernetes_provider=cluster.kubernetes_provider,
        namespaces={
            EG_NAMESPACE: namespaces.namespace("gateway"),
            AIGW_NAMESPACE: namespaces.namespace("ai-gateway"),
            # where the picked models' pools and pickers live
            **{u.namespace: namespaces.named(u.namespace) for u in upstreams if u.picked},
        },
        placement=cpu_placement(cluster),
        load_balancers_ready=cluster.load_balancers_ready(),
        api_keys=keys,
        certificate=certificate,
        monitoring=monitoring,
        routes_after=adapter_servers,
    )
    return (
        {
            "url": front.url,
            "models": list(traffic(upstreams)),
            "routes": traffic(upstreams),
            "balancing": balancing(upstreams),
            "clients": {
                c.name: {
                    "requests_per_minute": c.requests_per_minute,
                    "tokens_per_minute": c.tokens_per_minute,
                }
                for c in settings.clients
            },
            "auth": "api-keys" if jwt is None else f"jwt from {jwt.issuer}",
            "dns_zone": publisher.domain if publisher is not None else None,
        },
        pulumi.Output.secret(keys) if keys else None,
    )


def _embeddings(
    config: StackConfig,
    cluster: KubernetesCluster,
    namespaces: Namespaces,
    operators: list[pulumi.Resource],
    hf_token_secret: str | None,
    *,
    callers: tuple[str, ...] = (),
) -> str:
    settings, names = config.embeddings, namespaces.args
    gpu = None
    if settings.pool is not None:
        pool = config.pool(settings.pool)
        gpu = resolve_instance(
            catalog(),
            config.cloud,
            gpu=pool.gpu,
            instance_type=pool.instance_type,
            gpus_per_node=pool.gpus_per_node,
        ).gpu.value
    Embeddings(
        "embeddings",
        EmbeddingsArgs(
            namespace=names.serving,
            model_id=settings.model_id,
            replicas=settings.replicas,
            pool=settings.pool,
            gpu=gpu,
            monitoring_namespace=names.monitoring if operators else None,
            allowed_namespaces=callers,
        ),
        cluster=cluster,
        namespace=namespaces.namespace("serving"),
        hf_token_secret=hf_token_secret,
        monitoring=operators,
    )
    return f"http://embeddings.{names.serving}.svc:{EMBEDDINGS_PORT}"


def _monitoring(
    config: StackConfig,
    cluster: KubernetesCluster,
    namespaces: Namespaces,
    secrets: WorkloadSecrets,
) -> Monitoring:
    names = namespaces.args
    prices: dict[str, float] = {}
    for pool in config.gpu_pools:
        instance = resolve_instance(
            catalog(),
            config.cloud,
            gpu=pool.gpu,
            instance_type=pool.instance_type,
            gpus_per_node=pool.gpus_per_node,
        )
        prices[instance.gpu.value] = round(
            replica_hourly_usd(config.cloud, instance, pool.capacity_type, 1), 4
        )
    receivers = tuple(
        Receiver(
            name=r.name,
            kind=r.type.value,
            severities=tuple(s.value for s in r.severities),
            channel=r.channel,
        )
        for r in config.monitoring.receivers
    )
    return Monitoring(
        "monitoring",
        MonitoringArgs(
            namespace=names.monitoring,
            node_agents_namespace=names.node_agents,
            serving_namespace=names.serving,
            data_namespace=names.data,
            more_serving_namespaces=(names.serving_root,) if names.serving_root else (),
            retention_days=config.monitoring.retention_days,
            storage_class=cluster.default_storage_class,
            cloud=config.cloud,
            grafana=config.monitoring.grafana,
            gpus=bool(config.gpu_pools),
            gpu_hourly_usd=prices,
            gateway_usd_per_million_output=(
                {
                    m.name: m.usd_per_million_output_tokens
                    for m in estimate_cost(config).models
                    if m.usd_per_million_output_tokens is not None
                }
                if config.gateway.enabled
                else None
            ),
            receivers=receivers,
        ),
        cluster=cluster,
        namespace=namespaces.namespace("monitoring"),
        node_agents_namespace=namespaces.namespace("node-agents"),
        # Each receiver's entry of the secret, still a secret; the config check made sure
        # every receiver has one.
        receiver_secrets={
            r.name: secrets.alert_receivers.apply(partial(receiver_secret, name=r.name))
            for r in receivers
        }
        if secrets.alert_receivers is not None
        else {},
    )
