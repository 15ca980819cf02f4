"""One model whose replica spans nodes: a LeaderWorkerSet group per replica, vLLM over Ray.

Each replica is a group of `nodes` pods, one per 8-GPU node: tensor parallel over each
node's GPUs, one pipeline stage per node. This is vLLM 0.11.0's documented multi-node
recipe (docs/deployment/frameworks/lws.md in its sdist): the leader starts a Ray head and
waits for the workers to join (examples/online_serving/multi-node-serving.sh `leader`), then
runs the OpenAI server, which puts its stages on the Ray cluster; each worker joins the
leader's Ray head and blocks (`worker`). The script ships in the image
(docker/Dockerfile:272 WORKDIR /vllm-workspace, :418 COPY examples examples).

LeaderWorkerSet v0.10.0 (kubernetes-sigs/lws, api/leaderworkerset/v1/
leaderworkerset_types.go) gives the group its life cycle:
- the leader pod is `<name>-<group>`, its workers `<name>-<group>-<index>`; every container
  gets LWS_LEADER_ADDRESS (`<name>-<group>.<name>.<namespace>`, the headless Service LWS
  creates), LWS_GROUP_SIZE and LWS_WORKER_INDEX (pkg/utils/pod/pod_utils.go:131-179);
- `RecreateGroupOnPodRestart`: when any pod of a group restarts, the whole group is
  recreated (types.go:325-351), since a pipeline missing a stage serves nothing;
- `LeaderCreated` start-up: the workers are created with the leader, not after it is Ready
  (types.go:353-361), because the leader is Ready only once the workers have joined;
- the leader pods carry `leaderworkerset.sigs.k8s.io/worker-index: "0"`
  (leaderworkerset_controller.go:793-797): the Service, PDB, monitors and the HTTP
  NetworkPolicy select leaders only, as the upstream example's Service does.
"""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.seam import KubernetesCluster
from workloads import engines
from workloads.autoscaling import QueueScaling
from workloads.cache_claims import CACHE_VOLUME, cache_claim_names, claim_size_gib, claimed_groups
from workloads.exposure import expose
from workloads.labels import workload_labels
from workloads.model_server import (
    AWAIT_TIMEOUT,
    SAFE_TO_EVICT,
    ModelServerArgs,
    container,
    deployment_annotations,
    metrics_port_name,
    pod_spec,
    queue_scaler,
    server_account,
    server_ingress,
    server_selector,
    service_ports,
    with_bucket,
)
from workloads.monitors import service_monitor_spec
from workloads.network import ingress_policy_spec
from workloads.placement import gpu_placement
from workloads.wire import wire

LWS_API = "leaderworkerset.x-k8s.io/v1"
LWS_KIND = "LeaderWorkerSet"
LWS_LABEL = "leaderworkerset.sigs.k8s.io/"
GROUP_NAME_LABEL = f"{LWS_LABEL}name"
WORKER_INDEX_LABEL = f"{LWS_LABEL}worker-index"
SCRIPT = "/vllm-workspace/examples/online_serving/multi-node-serving.sh"
# Each node's raylet, on a fixed port (its default is random: ray/scripts/scripts.py:396-400
# in Ray 2.49, `--node-manager-port`, forwarded by the script to `ray start`): the worker's
# probes check it, so a worker whose raylet died is restarted, and with it the group.
RAYLET_PORT = 6380


def leader_selector(served_name: str) -> dict[str, str]:
    """The leaders of a model's groups: the pods that serve HTTP."""
    return {**server_selector(served_name, engines.Engine.VLLM), WORKER_INDEX_LABEL: "0"}


def leader_command(nodes: int, ray_wait_seconds: int) -> list[str]:
    """Start the Ray head, wait until all `nodes` have joined, then become the API server
    (its arguments are the container's `args`). If the workers never join, the container
    fails and the group is recreated, instead of a server that cannot place its stages."""
    return [
        "bash",
        "-c",
        f'bash {SCRIPT} leader --ray_cluster_size="$LWS_GROUP_SIZE" '
        f'--ray_init_timeout={ray_wait_seconds} && exec "$@"',
        "--",
        *engines.command(engines.Engine.VLLM),
    ]


def worker_command(ray_wait_seconds: int) -> list[str]:
    """Join the leader's Ray head and block; the container ends when the worker leaves the
    Ray cluster, which recreates the group."""
    return [
        "bash",
        SCRIPT,
        "worker",
        "--ray_address=$(LWS_LEADER_ADDRESS)",
        f"--ray_init_timeout={ray_wait_seconds}",
        f"--node-manager-port={RAYLET_PORT}",
    ]


def worker_probes(ray_wait_seconds: int) -> dict[str, Any]:
    """The raylet listens once the worker has joined the leader's Ray head: start-up allows
    the wait for the leader; then a raylet that stops answering restarts the worker."""
    raylet = {"tcpSocket": {"port": "raylet"}}
    return {
        "startupProbe": {
            **raylet,
            "periodSeconds": 10,
            "failureThreshold": max(1, ray_wait_seconds // 10) + 6,
        },
        "readinessProbe": {**raylet, "periodSeconds": 10, "failureThreshold": 3},
        "livenessProbe": {**raylet, "periodSeconds": 15, "failureThreshold": 4},
    }


def group_name(served_name: str) -> str:
    """The LeaderWorkerSet's name: not the model's, which its client Service has. LWS makes
    a headless Service named after the set for the pods' addresses, and makes none when a
    Service of that name exists (kubernetes-sigs/lws@v0.10.0
    pkg/controllers/leaderworkerset_controller.go:213-216, pkg/utils/controller/
    controller_utils.go:33-63): sharing it would leave LWS_LEADER_ADDRESS unresolvable, or
    fail Pulumi's create of the client Service."""
    return f"{served_name}-group"


def group_env() -> list[dict[str, Any]]:
    """vLLM's advertised address on each node (vllm/envs.py:440-445: "If you are using
    multi-node inference, you should set this differently on each node"): the pod's own;
    and no usage reports from Ray, as none from vLLM and the Hub (Ray's
    RAY_USAGE_STATS_ENABLED, ray/_common/usage/usage_constants.py:9 in Ray 2.49)."""
    return [
        {"name": "VLLM_HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "RAY_USAGE_STATS_ENABLED", "value": "0"},
    ]


@dataclass(frozen=True)
class ModelGroupArgs:
    server: ModelServerArgs
    nodes: int
    """Pods per group: pipeline stages, one node each."""
    ray_wait_seconds: int
    """How long a leader waits for its workers, and a worker for its leader: a GPU node's
    scale-up and image pull."""
    storage_class: str = ""
    """The encrypted StorageClass of the pods' model-cache claims."""
    max_surge: int = 0
    """Extra groups a rollout may start before stopping old ones (0: one group at a time is
    replaced, so a single-replica model is down while its new group loads)."""


def leader_container(args: ModelGroupArgs, hf_token_secret: str | None) -> dict[str, Any]:
    found = container(args.server, hf_token_secret)
    return {
        **found,
        "command": leader_command(args.nodes, args.ray_wait_seconds),
        "env": [*found["env"], *group_env()],
    }


def worker_container(args: ModelGroupArgs, hf_token_secret: str | None) -> dict[str, Any]:
    """The leader's container as a Ray worker: its only process is the blocking `ray start`,
    which loads its stage's weights when the leader's server asks; the same resources,
    volumes and environment (Ray workers inherit `ray start`'s, not the leader's: vLLM
    forwards only its own variables, vllm/executor/ray_distributed_executor.py:57-62)."""
    found = container(args.server, hf_token_secret)
    dropped = {"startupProbe", "readinessProbe", "livenessProbe", "lifecycle", "args"}
    return {
        **{k: v for k, v in found.items() if k not in dropped},
        "command": worker_command(args.ray_wait_seconds),
        "ports": [{"name": "raylet", "containerPort": RAYLET_PORT, "protocol": "TCP"}],
        **worker_probes(args.ray_wait_seconds),
        "env": [*found["env"], *group_env()],
    }


def group_pod_spec(
    args: ModelGroupArgs,
    main: dict[str, Any],
    *,
    service_account: str,
    node_selector: dict[str, str],
    tolerations: list[dict[str, str]],
) -> dict[str, Any]:
    spec = pod_spec(
        args.server,
        service_account=service_account,
        node_selector=node_selector,
        tolerations=tolerations,
        hf_token_secret=None,
    )
    # every node loads its stage's share of each adapter, so each pod copies them; the
    # model cache is each pod's claim (lws_spec), not an emptyDir
    spec["volumes"] = [v for v in spec["volumes"] if v["name"] != CACHE_VOLUME]
    # one pod per node by its GPU requests, on a pool of one zone (the config checks)
    spec.pop("topologySpreadConstraints")
    return {**spec, "containers": [main]}


def cache_claim_spec(args: ModelGroupArgs) -> dict[str, Any]:
    return {
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": args.storage_class,
        "resources": {"requests": {"storage": f"{claim_size_gib(args.server.cache_size_gib)}Gi"}},
    }


def cache_claim(args: ModelGroupArgs) -> dict[str, Any]:
    return {"metadata": {"name": CACHE_VOLUME}, "spec": cache_claim_spec(args)}


def lws_spec(
    args: ModelGroupArgs,
    *,
    pod_labels: dict[str, str],
    service_account: str,
    node_selector: dict[str, str],
    tolerations: list[dict[str, str]],
    hf_token_secret: str | None,
    replicas: int,
) -> dict[str, Any]:

    def template(role: str, main: dict[str, Any]) -> dict[str, Any]:
        return {
            "metadata": {
                "annotations": {SAFE_TO_EVICT: "false"},
                "labels": {**pod_labels, "llm-infra.io/role": role},
            },
            "spec": group_pod_spec(
                args,
                main,
                service_account=service_account,
                node_selector=node_selector,
                tolerations=tolerations,
            ),
        }

    return {
        "replicas": replicas,
        "startupPolicy": "LeaderCreated",
        "rolloutStrategy": {
            "type": "RollingUpdate",
            "rollingUpdateConfiguration": {
                "maxSurge": args.max_surge,
                "maxUnavailable": 0 if args.max_surge else 1,
            },
        },
        "leaderWorkerTemplate": {
            "size": args.nodes,
            "restartPolicy": "RecreateGroupOnPodRestart",
            # Each pod's model cache is a volume of its own (StatefulSet claims,
            # types.go:180-190). The claims exist before the set: ModelGroup creates
            # every one the StatefulSets would (`cache_claim_names`), and a StatefulSet
            # uses a claim of the name it wants when one exists. Neither StatefulSet
            # ever deletes them (Retain): recreating a group deletes the worker
            # StatefulSet with the leader pod that owns it (pod_controller.go:174,258),
            # and the new one finds its claims again; Pulumi deletes them with the model.
            "volumeClaimTemplates": [cache_claim(args)],
            "persistentVolumeClaimRetentionPolicy": {
                "whenDeleted": "Retain",
                "whenScaled": "Retain",
            },
            "leaderTemplate": template("leader", leader_container(args, hf_token_secret)),
            "workerTemplate": template("worker", worker_container(args, hf_token_secret)),
        },
    }


class ModelGroup(pulumi.ComponentResource):
    """A model whose replicas span nodes, on one GPU pool of any cloud's cluster.

    Creates: the ServiceAccount (`-service-account`, bound to the cloud identity for bucket
    weights as a `ModelServer` is); the LeaderWorkerSet (`-group`): one group of `nodes`
    pods per replica, each pod the pool's whole node (`tensor_parallel_size` GPUs), leader
    and workers under the hardened security context, on the pool's one zone, with the
    sizing annotations, and each pod's model cache on a claim of its own; the claims
    (`-cache-<group>-<pod>`), one per pod of every group autoscaling and a rollout's surge
    may run, made before the set so that they outlive recreated and scaled-in groups and
    go with the model; a ClusterIP Service, HTTP
    NetworkPolicy and ServiceMonitor on the leaders and a PDB over every pod (`-service`,
    `-network-policy`, `-service-monitor`, `-pdb`); a NetworkPolicy admitting every port
    between the pods of one model's groups (`-group-network-policy`: Ray, NCCL and torch's
    rendezvous pick ports at random); with KEDA and Prometheus, a ScaledObject scaling the
    groups on the leaders' queue (`-scaler`).
    """

    service_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: ModelGroupArgs,
        *,
        cluster: KubernetesCluster,
        namespace: k8s.core.v1.Namespace,
        controller: Sequence[pulumi.Resource],
        hf_token_secret: str | None = None,
        monitoring: Sequence[pulumi.Resource] = (),
        autoscaler: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:ModelGroup", name, None, opts)
        args = dataclasses.replace(args, server=with_bucket(args.server, cluster))
        server_args = args.server
        provider = cluster.kubernetes_provider
        child = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[namespace])
        server = server_args.spec.served_name
        engine = server_args.engine
        labels = workload_labels(
            server,
            engine.value,
            engines.VERSIONS[engine],
            {"app.kubernetes.io/component": "model-server"},
        )
        ns = server_args.namespace
        account, binding = server_account(
            name, server_args, labels=labels, cluster=cluster, opts=child
        )
        autoscaled = bool(autoscaler) and server_args.prometheus_url is not None
        placement = gpu_placement(cluster, server_args.pool)
        set_name = group_name(server)
        # Kubernetes refuses any change to a StatefulSet's claim templates, and the LWS
        # webhook lets one through (pkg/webhooks/leaderworkerset_webhook.go:97-110) to
        # a controller that would then fail on every pass: a new size or class replaces
        # the claims and the set, each deleted first (their names are fixed).
        claims = [
            k8s.core.v1.PersistentVolumeClaim(
                f"{name}-cache-{g}-{i}",
                metadata=wire(
                    {
                        "name": claim,
                        "namespace": ns,
                        "labels": {**labels, GROUP_NAME_LABEL: set_name},
                    }
                ),
                spec=wire(cache_claim_spec(args)),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=provider,
                    depends_on=[namespace, *cluster.storage_ready()],
                    replace_on_changes=["spec"],
                    delete_before_replace=True,
                ),
            )
            for g, i, claim in cache_claim_names(
                set_name,
                claimed_groups(server_args.min_replicas, server_args.max_replicas, args.max_surge),
                args.nodes,
            )
        ]
        group = k8s.apiextensions.CustomResource(
            f"{name}-group",
            api_version=LWS_API,
            kind=LWS_KIND,
            metadata=wire(
                {
                    "name": set_name,
                    "namespace": ns,
                    "labels": labels,
                    "annotations": deployment_annotations(server_args),
                }
            ),
            spec=wire(
                lws_spec(
                    args,
                    pod_labels={**labels, **(binding.labels if binding else {})},
                    service_account=server,
                    node_selector=dict(placement.node_selector),
                    tolerations=[t.as_dict() for t in placement.tolerations],
                    hf_token_secret=hf_token_secret,
                    replicas=server_args.min_replicas
                    if autoscaled
                    else max(server_args.min_replicas, 1),
                )
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                # the controller's webhooks admit the group and its pods (failurePolicy
                # Fail: charts/lws/templates/webhook/webhook.yaml), so it goes first
                # and its claims, or the StatefulSets would make them first
                depends_on=[
                    namespace,
                    account,
                    *controller,
                    *placement.ready,
                    *cluster.storage_ready(),
                    *claims,
                ],
                ignore_changes=["spec.replicas"] if autoscaled else None,
                replace_on_changes=["spec.leaderWorkerTemplate.volumeClaimTemplates"],
                delete_before_replace=True,
            ),
        )
        leaders = leader_selector(server)
        servers = server_selector(server, engine)
        service = expose(
            name,
            metadata={"name": server, "namespace": ns, "labels": labels},
            selector=leaders,
            ports=service_ports(engine),
            ingress=server_ingress(server_args),
            # Services are selected by their own labels (only pods carry the worker index)
            monitor=service_monitor_spec(ns, servers, metrics_port_name(engine))
            if server_args.monitoring_namespace
            else None,
            monitoring=monitoring,
            provider=provider,
            parent=self,
            opts=pulumi.ResourceOptions(
                parent=self, provider=provider, depends_on=[namespace, group]
            ),
            # waits while a selected leader is not Ready: the whole group has loaded
            service_annotations={AWAIT_TIMEOUT: str(server_args.await_timeout_seconds)},
            # one pod evicted at a time of every group's: losing one recreates its group,
            # whose pods are then unavailable, so no second group is disrupted meanwhile
            disruption_selector=servers,
        )
        members = {GROUP_NAME_LABEL: group_name(server)}
        k8s.networking.v1.NetworkPolicy(
            f"{name}-group-network-policy",
            metadata=wire({"name": f"{server}-group", "namespace": ns, "labels": labels}),
            spec=wire(
                ingress_policy_spec(
                    members, [{"from": [{"podSelector": {"matchLabels": members}}]}]
                )
            ),
            opts=child,
        )
        if autoscaled and server_args.prometheus_url is not None:
            scaling = QueueScaling(
                target=group_name(server),
                namespace=ns,
                service=server,
                metric=engines.QUEUE_METRICS[engine],
                min_replicas=server_args.min_replicas,
                max_replicas=server_args.max_replicas,
                wake_query=None,
                target_api=LWS_API,
                target_kind=LWS_KIND,
            )
            queue_scaler(
                name,
                server_args,
                scaling=scaling,
                labels=labels,
                opts=pulumi.ResourceOptions(
                    parent=self, provider=provider, depends_on=[*autoscaler, group]
                ),
            )
        self.group = group
        self.service_name = service.metadata.name
        self.register_outputs({"service_name": self.service_name})
