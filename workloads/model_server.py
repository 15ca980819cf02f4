"""One model behind one engine (vLLM or TGI) on a GPU pool: the Deployment and everything
that serves, protects, watches and scales it."""

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.enums import Engine
from components.seam import MODELS_BUCKET, KubernetesCluster, ServiceAccountBinding
from workloads import engines
from workloads.adapter_fetch import fetch_container
from workloads.autoscaling import KEDA_API, QueueScaling, scaled_object_spec
from workloads.contract_check import RUNS_AS_ROOT
from workloads.exposure import expose
from workloads.labels import selector_labels, workload_labels
from workloads.monitors import service_monitor_spec
from workloads.network import from_namespaces
from workloads.placement import ZONE, gpu_placement, soft_spread
from workloads.security import (
    PULL_POLICY,
    RUN_AS_GROUP,
    RUN_AS_USER,
    container_security_context,
    pod_security_context,
    resources,
)
from workloads.wire import wire

GPU_RESOURCE = "nvidia.com/gpu"
ANNOTATION = "llm-infra.io/"
# The node autoscaler never drains a node under a serving pod: evicting one mid-load
# throws away minutes of download and compile, and evicting one serving drops requests.
SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"
HF_TOKEN_KEY = "token"
PRE_STOP_SECONDS = 10
TERMINATION_GRACE_SECONDS = 60
# How long `pulumi up` waits for the Deployment (and its Service) to become ready; the
# provider's default is 10 minutes (pulumi-kubernetes provider/pkg/await/deployment.go,
# DefaultDeploymentTimeoutMins), read from this annotation (provider/pkg/metadata).
AWAIT_TIMEOUT = "pulumi.com/timeoutSeconds"
# Says on the workload itself why its image runs as uid 0; `llm-infra check` turns it into
# a listed exemption from k8s-run-as-non-root.


@dataclass(frozen=True)
class ModelServerArgs:
    namespace: str
    engine: Engine
    spec: engines.ServerSpec
    pool: str
    gpu: str
    """The pool's GPU (`l4`, `h100`, …), for the sizing annotations."""
    min_replicas: int
    max_replicas: int
    cpu: str
    """CPU per replica (request = limit), e.g. `"8"`."""
    memory: str
    """Memory per replica (request = limit), e.g. `"64Gi"`."""
    architecture: str | None = None
    """The library model the sizing policies check this server against."""
    cache_size_gib: int = 100
    """Node-local model cache (emptyDir on the node's disk): survives container restarts."""
    startup_minutes: int = 30
    """How long a started container may take to download and load before it is restarted."""
    await_timeout_seconds: int = 3600
    """How long `pulumi up` waits for the replicas to become ready: node scale-up, image
    pull and the whole load (see `infra.sizing.load_estimate`)."""
    allowed_namespaces: tuple[str, ...] = ()
    """Namespaces whose pods may call the server, beside its own."""
    monitoring_namespace: str | None = None
    """Where Prometheus runs; it may scrape the metrics port. None: no ServiceMonitor."""
    prometheus_url: str | None = None
    """Prometheus for KEDA's queue-depth trigger. None: fixed replicas, no ScaledObject."""
    wake_query: str | None = None
    not_sized: str | None = None
    """Why its fit could not be checked (an architecture outside the library), with the fix."""
    sizing_required: bool = True
    """Whether an unsized model fails the checks (`require_sized_models`)."""
    models_bucket: pulumi.Input[str] | None = None
    """The models bucket's name, given to the containers as MODELS_BUCKET when weights or
    adapters come from it (`models://` sources resolve to it); the components set it from
    the cluster."""
    """At min_replicas 0: the gateway's requests for this server, which wake it."""


def server_selector(served_name: str, engine: Engine) -> dict[str, str]:
    """The labels a model's servers are selected by (its Service, PDB, NetworkPolicy,
    monitors and, when picked, its InferencePool)."""
    return selector_labels(served_name, engine.value)


def shm_size_gib(tensor_parallel_size: int) -> int:
    """NCCL exchanges tensors between the GPUs of a replica through /dev/shm."""
    return 1 if tensor_parallel_size == 1 else min(2 * tensor_parallel_size, 16)


def sizing_annotations(args: ModelServerArgs) -> dict[str, str]:
    """What the LLM policies read to check fit, GPU requests and pool capacity."""
    spec = args.spec
    dtype = spec.vllm_dtype if args.engine is Engine.VLLM else spec.dtype
    notes = {
        f"{ANNOTATION}engine": args.engine.value,
        f"{ANNOTATION}gpu": args.gpu,
        f"{ANNOTATION}tensor-parallel-size": str(spec.tensor_parallel_size),
        f"{ANNOTATION}gpu-memory-utilization": str(spec.gpu_memory_utilization),
        f"{ANNOTATION}dtype": dtype.value,
        f"{ANNOTATION}max-replicas": str(args.max_replicas),
    }
    if spec.pipeline_parallel_size > 1:
        notes[f"{ANNOTATION}pipeline-parallel-size"] = str(spec.pipeline_parallel_size)
    if args.architecture:
        notes[f"{ANNOTATION}model-architecture"] = args.architecture
    if args.not_sized is not None:
        notes[f"{ANNOTATION}not-sized"] = args.not_sized
        if not args.sizing_required:
            notes[f"{ANNOTATION}unsized-allowed"] = (
                "require_sized_models is false, so it deploys without a fit check "
                f"({args.not_sized})"
            )
    if spec.max_model_len_tokens is not None:
        notes[f"{ANNOTATION}max-model-len"] = str(spec.max_model_len_tokens)
    if spec.quantization is not None:
        notes[f"{ANNOTATION}quantization"] = spec.quantization.value
    if spec.adapters:
        notes[f"{ANNOTATION}max-loras"] = str(spec.max_loras)
        notes[f"{ANNOTATION}max-lora-rank"] = str(spec.max_lora_rank)
    return notes


def run_as(engine: Engine) -> tuple[int, int]:
    """Our unprivileged uid, or uid 0 for an image whose contract says it needs it."""
    return (0, 0) if engines.image_contract(engine).runs_as_root else (RUN_AS_USER, RUN_AS_GROUP)


def deployment_annotations(args: ModelServerArgs) -> dict[str, str]:
    notes = {**sizing_annotations(args), AWAIT_TIMEOUT: str(args.await_timeout_seconds)}
    found = engines.image_contract(args.engine)
    if found.runs_as_root and found.user.reason:
        notes[RUNS_AS_ROOT] = found.user.reason
    return notes


def probes(startup_minutes: int) -> dict[str, Any]:
    """Startup allows the whole load; readiness and liveness begin only after it."""
    health = {"httpGet": {"path": engines.HEALTH_PATH, "port": "http"}}
    return {
        "startupProbe": {
            **health,
            "periodSeconds": 10,
            "timeoutSeconds": 5,
            "failureThreshold": startup_minutes * 6,
        },
        "readinessProbe": {
            **health,
            "periodSeconds": 5,
            "timeoutSeconds": 5,
            "failureThreshold": 3,
        },
        "livenessProbe": {
            **health,
            "periodSeconds": 15,
            "timeoutSeconds": 10,
            "failureThreshold": 4,
        },
    }


def ports(engine: Engine) -> list[dict[str, Any]]:
    found = [{"name": "http", "containerPort": engines.HTTP_PORT, "protocol": "TCP"}]
    if engines.METRICS_PORTS[engine] != engines.HTTP_PORT:
        found.append(
            {"name": "metrics", "containerPort": engines.METRICS_PORTS[engine], "protocol": "TCP"}
        )
    return found


def metrics_port_name(engine: Engine) -> str:
    return "http" if engines.METRICS_PORTS[engine] == engines.HTTP_PORT else "metrics"


def env(args: ModelServerArgs, hf_token_secret: str | None) -> list[dict[str, Any]]:
    plain: list[dict[str, Any]] = [
        {"name": key, "value": value}
        for key, value in sorted(engines.engine_env(args.engine, args.spec).items())
    ]
    if args.models_bucket is not None:
        plain.append({"name": engines.MODELS_BUCKET_ENV, "value": args.models_bucket})
    # weights and adapters from a bucket need no Hub token
    if hf_token_secret is None or not args.spec.needs_hub:
        return plain
    return [
        *plain,
        {
            "name": "HF_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": hf_token_secret, "key": HF_TOKEN_KEY}},
        },
    ]


def container(args: ModelServerArgs, hf_token_secret: str | None) -> dict[str, Any]:
    gpus = str(args.spec.tensor_parallel_size)
    return {
        "name": args.engine.value,
        "image": engines.image(args.engine),
        "imagePullPolicy": PULL_POLICY,
        "command": engines.command(args.engine),
        "args": engines.engine_args(args.engine, args.spec),
        "env": env(args, hf_token_secret),
        "ports": ports(args.engine),
        "resources": resources(args.cpu, args.memory, extended={GPU_RESOURCE: gpus}),
        **probes(args.startup_minutes),
        # Lets the Service drop the pod before the engine stops taking requests.
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", str(PRE_STOP_SECONDS)]}}},
        "securityContext": container_security_context(*run_as(args.engine)),
        "volumeMounts": [
            {"name": "model-cache", "mountPath": engines.MODEL_CACHE},
            {"name": "dshm", "mountPath": "/dev/shm"},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }


def pod_spec(
    args: ModelServerArgs,
    *,
    service_account: str,
    node_selector: dict[str, str],
    tolerations: list[dict[str, str]],
    hf_token_secret: str | None,
) -> dict[str, Any]:
    main = container(args, hf_token_secret)
    fetch = (
        {"initContainers": [fetch_container(main, args.spec.bucket_adapters)]}
        if args.spec.bucket_adapters
        else {}
    )
    return {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": pod_security_context(*run_as(args.engine)),
        "nodeSelector": node_selector,
        "tolerations": tolerations,
        # GPUs run out zone by zone; a replica in a crowded zone beats none.
        "topologySpreadConstraints": [
            soft_spread(ZONE, server_selector(args.spec.served_name, args.engine))
        ],
        "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
        **fetch,
        "containers": [main],
        "volumes": [
            {"name": "model-cache", "emptyDir": {"sizeLimit": f"{args.cache_size_gib}Gi"}},
            {
                "name": "dshm",
                "emptyDir": {
                    "medium": "Memory",
                    "sizeLimit": f"{shm_size_gib(args.spec.tensor_parallel_size)}Gi",
                },
            },
            {"name": "tmp", "emptyDir": {"sizeLimit": "10Gi"}},
        ],
    }


def with_bucket(args: ModelServerArgs, cluster: KubernetesCluster) -> ModelServerArgs:
    """`args` with the models bucket's name when the servers read it."""
    if not args.spec.reads_bucket or args.models_bucket is not None:
        return args
    return dataclasses.replace(args, models_bucket=cluster.bucket_name(MODELS_BUCKET))


def server_account(
    name: str,
    args: ModelServerArgs,
    *,
    labels: Mapping[str, str],
    cluster: KubernetesCluster,
    opts: pulumi.ResourceOptions,
) -> tuple[k8s.core.v1.ServiceAccount, ServiceAccountBinding | None]:
    """The servers' ServiceAccount (`-service-account`), bound to a cloud identity that
    reads the `models` bucket when weights or adapters come from it."""
    server = args.spec.served_name
    binding = (
        cluster.bind_workload_identity(
            f"{name}-weights",
            namespace=args.namespace,
            service_account=server,
            read_buckets=(MODELS_BUCKET,),
        )
        if args.spec.reads_bucket
        else None
    )
    account = k8s.core.v1.ServiceAccount(
        f"{name}-service-account",
        metadata=wire(
            {
                "name": server,
                "namespace": args.namespace,
                "labels": {**labels, **(binding.labels if binding else {})},
                "annotations": dict(binding.annotations) if binding else {},
            }
        ),
        automount_service_account_token=False,
        opts=opts,
    )
    return account, binding


def server_ingress(args: ModelServerArgs) -> list[dict[str, Any]]:
    """Who may call the servers (their namespace, `allowed_namespaces`) and scrape them."""
    rules = [from_namespaces([args.namespace, *args.allowed_namespaces], [engines.HTTP_PORT])]
    if args.monitoring_namespace:
        rules.append(
            from_namespaces([args.monitoring_namespace], [engines.METRICS_PORTS[args.engine]])
        )
    return rules


def service_ports(engine: Engine) -> list[dict[str, Any]]:
    return [
        {"name": p["name"], "port": p["containerPort"], "targetPort": p["name"]}
        for p in ports(engine)
    ]


def queue_scaler(
    name: str,
    args: ModelServerArgs,
    *,
    scaling: QueueScaling,
    labels: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> None:
    """The ScaledObject (`-scaler`) scaling `scaling.target` on the servers' queue."""
    assert args.prometheus_url is not None
    k8s.apiextensions.CustomResource(
        f"{name}-scaler",
        api_version=KEDA_API,
        kind="ScaledObject",
        metadata=wire(
            {"name": args.spec.served_name, "namespace": args.namespace, "labels": dict(labels)}
        ),
        spec=wire(scaled_object_spec(scaling, args.prometheus_url)),
        opts=opts,
    )


class ModelServer(pulumi.ComponentResource):
    """A model server on a GPU pool of any cloud's cluster.

    Creates: a ServiceAccount (`-service-account`), bound to a cloud identity through the
    seam when the weights come from a bucket, with read access to the platform's `models`
    bucket only; the Deployment (`-deployment`), one pod per
    replica with `gpus_per_replica` × `nvidia.com/gpu` (= the tensor-parallel size), the
    pool's node selector and tolerations, the hardened security context, probes and the
    sizing annotations; a ClusterIP Service (`-service`); a PodDisruptionBudget (`-pdb`);
    a NetworkPolicy admitting its own namespace, `allowed_namespaces` and monitoring
    (`-network-policy`); with monitoring, a ServiceMonitor (`-service-monitor`); with
    KEDA and Prometheus, a ScaledObject on the engine's queue depth (`-scaler`).
    """

    service_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: ModelServerArgs,
        *,
        cluster: KubernetesCluster,
        namespace: k8s.core.v1.Namespace,
        hf_token_secret: str | None = None,
        monitoring: Sequence[pulumi.Resource] = (),
        autoscaler: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:ModelServer", name, None, opts)
        args = with_bucket(args, cluster)
        provider = cluster.kubernetes_provider
        child = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[namespace])
        server = args.spec.served_name
        version = engines.VERSIONS[args.engine]
        selector = server_selector(server, args.engine)
        labels = workload_labels(
            server, args.engine.value, version, {"app.kubernetes.io/component": "model-server"}
        )
        ns = args.namespace

        account, binding = server_account(name, args, labels=labels, cluster=cluster, opts=child)
        autoscaled = bool(autoscaler) and args.prometheus_url is not None
        placement = gpu_placement(cluster, args.pool)
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=wire(
                {
                    "name": server,
                    "namespace": ns,
                    "labels": labels,
                    "annotations": deployment_annotations(args),
                }
            ),
            spec=wire(
                {
                    # KEDA owns the replica count once it runs; Pulumi sets only the start.
                    "replicas": args.min_replicas if autoscaled else max(args.min_replicas, 1),
                    "selector": {"matchLabels": selector},
                    "strategy": {
                        "type": "RollingUpdate",
                        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
                    },
                    # The rollout may take as long as Pulumi waits for it.
                    "progressDeadlineSeconds": args.await_timeout_seconds,
                    "template": {
                        "metadata": {
                            # the identity's pod labels too: AKS injects its token by them
                            "labels": {**labels, **(binding.labels if binding else {})},
                            "annotations": {SAFE_TO_EVICT: "false"},
                        },
                        "spec": pod_spec(
                            args,
                            service_account=server,
                            node_selector=dict(placement.node_selector),
                            tolerations=[t.as_dict() for t in placement.tolerations],
                            hf_token_secret=hf_token_secret,
                        ),
                    },
                }
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                # its own pool's nodes and device plugin, not every pool's
                depends_on=[namespace, account, *placement.ready],
                ignore_changes=["spec.replicas"] if autoscaled else None,
            ),
        )
        service = expose(
            name,
            metadata={"name": server, "namespace": ns, "labels": labels},
            selector=selector,
            ports=service_ports(args.engine),
            ingress=server_ingress(args),
            monitor=service_monitor_spec(ns, selector, metrics_port_name(args.engine))
            if args.monitoring_namespace
            else None,
            monitoring=monitoring,
            provider=provider,
            parent=self,
            opts=child,
            # A ClusterIP Service with a selector waits while any selected pod is not ready
            # (provider/pkg/await/service.go: endpoints settled and none pending), so it
            # waits as long as the Deployment; with no pod at all it does not wait.
            service_annotations={AWAIT_TIMEOUT: str(args.await_timeout_seconds)},
        )
        if autoscaled and args.prometheus_url is not None:
            scaling = QueueScaling(
                target=server,
                namespace=ns,
                service=server,
                metric=engines.QUEUE_METRICS[args.engine],
                min_replicas=args.min_replicas,
                max_replicas=args.max_replicas,
                wake_query=args.wake_query,
            )
            queue_scaler(
                name,
                args,
                scaling=scaling,
                labels=labels,
                opts=pulumi.ResourceOptions(
                    parent=self, provider=provider, depends_on=[*autoscaler, deployment]
                ),
            )
        self.deployment = deployment
        self.service_name = service.metadata.name
        self.register_outputs({"service_name": self.service_name})
