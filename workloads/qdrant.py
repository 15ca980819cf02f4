"""Qdrant: a replicated StatefulSet on encrypted SSD volumes that outlive it, with an API
key, probes, monitoring and scheduled snapshots to the stack's bucket."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.enums import Cloud
from components.seam import VECTOR_SNAPSHOTS_BUCKET, KubernetesCluster
from workloads import snapshots
from workloads.exposure import expose
from workloads.labels import selector_labels, workload_labels
from workloads.monitors import service_monitor_spec
from workloads.network import from_namespaces
from workloads.placement import HOSTNAME, ZONE, cpu_placement, soft_spread
from workloads.security import (
    PULL_POLICY,
    container_security_context,
    pod_security_context,
    resources,
)
from workloads.wire import wire

IMAGE = "qdrant/qdrant"
VERSION = "v1.15.5"
HTTP_PORT, GRPC_PORT, P2P_PORT = 6333, 6334, 6335
STORAGE = "/qdrant/storage"
# Qdrant archives every snapshot in a temporary file on the storage volume first
# (`storage/snapshots_temp` when `temp_path` is unset), then moves it to the snapshots
# path: keeping that path on the same volume makes the move a rename and needs no room
# on the node's disk, whatever the size of the collections.
SNAPSHOTS = f"{STORAGE}/snapshots"
# The headless Service selects the same pods as the ClusterIP one; this label keeps it out
# of the ServiceMonitor, so each pod is scraped once.
PEERS_LABEL = "llm-infra.io/peer-discovery"
API_KEY_ENV = "QDRANT__SERVICE__API_KEY"
API_KEY_SECRET_KEY = "api-key"
API_KEY_LENGTH = 48


@dataclass(frozen=True)
class QdrantArgs:
    namespace: str
    replicas: int
    storage_gib: int
    cloud: Cloud
    region: str
    version: str | None = None
    cpu: str = "1"
    memory: str = "4Gi"
    backup_schedule: str = "0 3 * * *"
    backup_retention_days: int = 14
    allowed_namespaces: tuple[str, ...] = ()
    """Namespaces whose pods may query Qdrant, beside its own."""
    monitoring_namespace: str | None = None
    name: str = "qdrant"
    """Name of the StatefulSet and Services (`qdrant`, `qdrant-headless`)."""
    keep: bool = False
    """Protect and retain the StatefulSet, whose volumes hold the vectors."""


def startup_script(name: str, namespace: str) -> str:
    """Pod 0 starts the cluster; every other pod joins it through pod 0 (Raft consensus)."""
    peers = f"{name}-headless.{namespace}.svc.cluster.local:{P2P_PORT}"
    return "\n".join(
        [
            "set -e",
            f'self="http://${{HOSTNAME}}.{peers}"',
            'if [ "${HOSTNAME##*-}" = "0" ]; then exec ./entrypoint.sh --uri "$self"; fi',
            f'exec ./entrypoint.sh --bootstrap "http://{name}-0.{peers}" --uri "$self"',
        ]
    )


def qdrant_env(replicas: int, secret_name: str) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = [
        {"name": "QDRANT__STORAGE__STORAGE_PATH", "value": STORAGE},
        {"name": "QDRANT__STORAGE__SNAPSHOTS_PATH", "value": SNAPSHOTS},
        # The marker file Qdrant writes once initialised; the root filesystem is read-only.
        {"name": "QDRANT_INIT_FILE_PATH", "value": "/qdrant/init/.qdrant-initialized"},
        {"name": "QDRANT__TELEMETRY_DISABLED", "value": "true"},
        {
            "name": API_KEY_ENV,
            "valueFrom": {"secretKeyRef": {"name": secret_name, "key": API_KEY_SECRET_KEY}},
        },
    ]
    if replicas > 1:
        env.append({"name": "QDRANT__CLUSTER__ENABLED", "value": "true"})
    return env


def qdrant_container(args: QdrantArgs, secret_name: str) -> dict[str, Any]:
    command = (
        {"command": ["/bin/bash", "-c", startup_script(args.name, args.namespace)]}
        if args.replicas > 1
        else {}
    )
    return {
        "name": "qdrant",
        "image": f"{IMAGE}:{args.version or VERSION}",
        "imagePullPolicy": PULL_POLICY,
        **command,
        "env": qdrant_env(args.replicas, secret_name),
        "ports": [
            {"name": "http", "containerPort": HTTP_PORT, "protocol": "TCP"},
            {"name": "grpc", "containerPort": GRPC_PORT, "protocol": "TCP"},
            {"name": "p2p", "containerPort": P2P_PORT, "protocol": "TCP"},
        ],
        "resources": resources(args.cpu, args.memory),
        "startupProbe": {
            "httpGet": {"path": "/livez", "port": "http"},
            "periodSeconds": 5,
            "failureThreshold": 60,
        },
        "readinessProbe": {
            "httpGet": {"path": "/readyz", "port": "http"},
            "periodSeconds": 5,
            "failureThreshold": 3,
        },
        "livenessProbe": {
            "httpGet": {"path": "/livez", "port": "http"},
            "periodSeconds": 10,
            "failureThreshold": 6,
        },
        "securityContext": container_security_context(),
        "volumeMounts": [
            {"name": "storage", "mountPath": STORAGE},
            {"name": "init", "mountPath": "/qdrant/init"},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }


def volume_claim_template(storage_class: str, storage_gib: int) -> dict[str, Any]:
    return {
        "metadata": {"name": "storage"},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": storage_class,
            "resources": {"requests": {"storage": f"{storage_gib}Gi"}},
        },
    }


# Deleting or scaling down the StatefulSet never deletes a volume: the vectors stay until
# someone deletes the PVC on purpose.
PVC_RETENTION = {"whenDeleted": "Retain", "whenScaled": "Retain"}


def statefulset_spec(
    args: QdrantArgs,
    *,
    storage_class: str,
    secret_name: str,
    labels: dict[str, str],
    placement: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    selector = selector_labels(args.name, "qdrant")
    spread = [soft_spread(key, selector) for key in (ZONE, HOSTNAME)]
    return {
        "replicas": args.replicas,
        "serviceName": f"{args.name}-headless",
        "selector": {"matchLabels": selector},
        "podManagementPolicy": "Parallel",
        "persistentVolumeClaimRetentionPolicy": dict(PVC_RETENTION),
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "automountServiceAccountToken": False,
                "enableServiceLinks": False,
                "securityContext": pod_security_context(),
                **(placement or {}),
                "topologySpreadConstraints": spread,
                "terminationGracePeriodSeconds": 60,
                "containers": [qdrant_container(args, secret_name)],
                "volumes": [
                    {"name": "init", "emptyDir": {"sizeLimit": "16Mi"}},
                    {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
                ],
            },
        },
        "volumeClaimTemplates": [volume_claim_template(storage_class, args.storage_gib)],
    }


SNAPSHOT_POD_LABELS = {"app.kubernetes.io/name": "qdrant-snapshot"}


def _step(
    name: str,
    image: str,
    script: str,
    *,
    env: list[dict[str, pulumi.Input[str]]],
    cpu: str,
    memory: str,
    mounts: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": PULL_POLICY,
        "command": ["sh", "-c", script],
        "env": env,
        "resources": resources(cpu, memory),
        "securityContext": container_security_context(),
        "volumeMounts": mounts,
    }


def snapshot_job_spec(
    args: QdrantArgs,
    *,
    secret_name: str,
    service_account: str,
    bucket: pulumi.Input[str],
    account: pulumi.Input[str] | None = None,
    pod_labels: Mapping[str, str] | None = None,
    placement: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Snapshot (init), stream to the bucket (init), then clean up and report: each step
    runs only when the one before it succeeded (see workloads/snapshots.py)."""
    work = {"name": "work", "mountPath": snapshots.WORK_DIR}
    key = {"name": "api-key", "mountPath": snapshots.API_KEY_DIR, "readOnly": True}
    paths: list[dict[str, pulumi.Input[str]]] = [
        {"name": snapshots.WORK_ENV, "value": snapshots.WORK_DIR},
        {
            "name": snapshots.API_KEY_FILE_ENV,
            "value": f"{snapshots.API_KEY_DIR}/{snapshots.API_KEY_FILE}",
        },
        {"name": "BUCKET", "value": bucket},
    ]
    remote = snapshots.rclone_remote(args.cloud, args.region, largest_snapshot_gib=args.storage_gib)
    remote_env: list[dict[str, pulumi.Input[str]]] = [
        {"name": name, "value": value} for name, value in sorted(remote.items())
    ]
    if account is not None:
        remote_env.append({"name": snapshots.ACCOUNT_ENV, "value": account})
    upload_memory = snapshots.upload_memory_mib(args.cloud, args.storage_gib)
    # The report step is the pod's one long-lived container; these fail only when the
    # shared work directory is gone.
    alive = {"exec": {"command": ["sh", "-c", f"test -d {snapshots.WORK_DIR}"]}}
    report = _step(
        "cleanup",
        snapshots.CURL_IMAGE,
        snapshots.cleanup_script(),
        env=paths,
        cpu="100m",
        memory="64Mi",
        mounts=[work, key],
    )
    report["livenessProbe"] = {**alive, "periodSeconds": 30}
    report["readinessProbe"] = {**alive, "periodSeconds": 30}
    pod = {
        "serviceAccountName": service_account,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "restartPolicy": "Never",
        "securityContext": pod_security_context(),
        **(placement or {}),
        "initContainers": [
            _step(
                "snapshot",
                snapshots.CURL_IMAGE,
                snapshots.snapshot_script(args.name, args.namespace, args.replicas, HTTP_PORT),
                env=paths,
                cpu="250m",
                memory="128Mi",
                mounts=[work, key],
            ),
            _step(
                "upload",
                snapshots.RCLONE_IMAGE,
                snapshots.upload_script(args.backup_retention_days),
                env=[*paths, {"name": "HOME", "value": "/tmp"}, *remote_env],
                cpu="500m",
                memory=f"{upload_memory}Mi",
                mounts=[work, key, {"name": "tmp", "mountPath": "/tmp"}],
            ),
        ],
        "containers": [report],
        "volumes": [
            # The manifest and the replies of Qdrant's API only: snapshots never touch it.
            {"name": "work", "emptyDir": {"sizeLimit": "64Mi"}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
            {
                "name": "api-key",
                "secret": {
                    "secretName": secret_name,
                    "items": [{"key": API_KEY_SECRET_KEY, "path": snapshots.API_KEY_FILE}],
                    "defaultMode": 0o440,
                },
            },
        ],
    }
    return {
        "schedule": args.backup_schedule,
        "timeZone": "Etc/UTC",
        "concurrencyPolicy": "Forbid",
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 3,
        "jobTemplate": {
            "spec": {
                "backoffLimit": 2,
                "activeDeadlineSeconds": 3 * 3600,
                "ttlSecondsAfterFinished": 7 * 86400,
                "template": {
                    "metadata": {
                        "labels": {
                            **SNAPSHOT_POD_LABELS,
                            **(pod_labels or {}),
                        }
                    },
                    "spec": pod,
                },
            }
        },
    }


class Qdrant(pulumi.ComponentResource):
    """Qdrant on any cloud's cluster.

    Creates: a generated API key (`-api-key`, pulumi-random) in a Secret (`-api-key-secret`);
    the StatefulSet (`-statefulset`) with one encrypted SSD volume per replica (the cluster's
    default StorageClass), retained when the set is deleted or scaled down; the headless
    Service for peer discovery (`-headless`) and a ClusterIP Service (`-service`); a
    PodDisruptionBudget (`-pdb`); a NetworkPolicy (`-network-policy`); with monitoring, a
    ServiceMonitor that authenticates with the API key (`-service-monitor`); with a
    snapshot bucket, a ServiceAccount bound to a cloud identity through the seam that may
    read and write the platform's `vector_snapshots` bucket and nothing else
    (`-snapshot-service-account`), and the snapshot CronJob (`-snapshots`), whose pods
    carry the binding's labels. `snapshot_account` names the storage account of an Azure
    blob container.
    """

    api_key: pulumi.Output[str]
    service_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: QdrantArgs,
        *,
        cluster: KubernetesCluster,
        namespace: k8s.core.v1.Namespace,
        snapshot_bucket: pulumi.Input[str] | None = None,
        snapshot_account: pulumi.Input[str] | None = None,
        monitoring: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:workloads:Qdrant", name, None, opts)
        provider = cluster.kubernetes_provider
        child = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[namespace])
        ns = args.namespace
        version = args.version or VERSION
        volumes = cpu_placement(cluster, claims_volumes=True)
        cpu = cpu_placement(cluster)
        selector = selector_labels(args.name, "qdrant")
        labels = workload_labels(
            args.name, "qdrant", version, {"app.kubernetes.io/component": "vector-database"}
        )
        key = random.RandomPassword(
            f"{name}-api-key",
            length=API_KEY_LENGTH,
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        secret_name = f"{args.name}-api-key"
        secret = k8s.core.v1.Secret(
            f"{name}-api-key-secret",
            metadata=wire({"name": secret_name, "namespace": ns, "labels": labels}),
            type="Opaque",
            string_data=wire({API_KEY_SECRET_KEY: pulumi.Output.secret(key.result)}),
            opts=child,
        )
        headless = k8s.core.v1.Service(
            f"{name}-headless",
            metadata=wire(
                {
                    "name": f"{args.name}-headless",
                    "namespace": ns,
                    "labels": {**labels, PEERS_LABEL: "true"},
                }
            ),
            spec=wire(
                {
                    "clusterIP": "None",
                    # Peers must find each other before they are ready, or bootstrap never ends.
                    "publishNotReadyAddresses": True,
                    "selector": selector,
                    "ports": [
                        {"name": "http", "port": HTTP_PORT, "targetPort": "http"},
                        {"name": "grpc", "port": GRPC_PORT, "targetPort": "grpc"},
                        {"name": "p2p", "port": P2P_PORT, "targetPort": "p2p"},
                    ],
                }
            ),
            opts=child,
        )
        k8s.apps.v1.StatefulSet(
            f"{name}-statefulset",
            metadata=wire({"name": args.name, "namespace": ns, "labels": labels}),
            spec=wire(
                statefulset_spec(
                    args,
                    storage_class=cluster.default_storage_class,
                    secret_name=secret_name,
                    labels=labels,
                    placement=volumes.pod_fields(),
                )
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                # the CPU nodes, and the storage driver and class its volumes need
                depends_on=[namespace, secret, headless, *volumes.ready],
                protect=args.keep,
                retain_on_delete=args.keep,
            ),
        )
        rules = [
            from_namespaces([ns, *args.allowed_namespaces], [HTTP_PORT, GRPC_PORT]),
            # Raft and shard transfer between Qdrant's own pods.
            {
                "from": [{"podSelector": {"matchLabels": selector}}],
                "ports": [{"protocol": "TCP", "port": P2P_PORT}],
            },
        ]
        if args.monitoring_namespace:
            rules.append(from_namespaces([args.monitoring_namespace], [HTTP_PORT]))
        service = expose(
            name,
            metadata={"name": args.name, "namespace": ns, "labels": labels},
            selector=selector,
            ports=[
                {"name": "http", "port": HTTP_PORT, "targetPort": "http"},
                {"name": "grpc", "port": GRPC_PORT, "targetPort": "grpc"},
            ],
            ingress=rules,
            monitor=(
                service_monitor_spec(
                    ns,
                    selector,
                    "http",
                    without_labels=(PEERS_LABEL,),
                    # /metrics needs the API key; Prometheus reads it from the Secret.
                    extra={
                        "authorization": {
                            "type": "Bearer",
                            "credentials": {"name": secret_name, "key": API_KEY_SECRET_KEY},
                        }
                    },
                )
            )
            if args.monitoring_namespace
            else None,
            monitoring=monitoring,
            provider=provider,
            parent=self,
            opts=child,
        )
        if snapshot_bucket is not None:
            account_name = f"{args.name}-snapshots"
            binding = cluster.bind_workload_identity(
                f"{name}-snapshots",
                namespace=ns,
                service_account=account_name,
                write_buckets=(VECTOR_SNAPSHOTS_BUCKET,),
            )
            account = k8s.core.v1.ServiceAccount(
                f"{name}-snapshot-service-account",
                metadata=wire(
                    {
                        "name": account_name,
                        "namespace": ns,
                        "labels": {**labels, **binding.labels},
                        "annotations": dict(binding.annotations),
                    }
                ),
                automount_service_account_token=False,
                opts=child,
            )
            k8s.batch.v1.CronJob(
                f"{name}-snapshots",
                metadata=wire({"name": account_name, "namespace": ns, "labels": labels}),
                spec=wire(
                    snapshot_job_spec(
                        args,
                        secret_name=secret_name,
                        service_account=account_name,
                        bucket=snapshot_bucket,
                        account=snapshot_account,
                        pod_labels=binding.labels,
                        placement=cpu.pod_fields(),
                    )
                ),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=provider,
                    depends_on=[namespace, account, secret, *cpu.ready],
                ),
            )
        self.api_key = key.result
        self.service_name = service.metadata.name
        self.register_outputs({"service_name": self.service_name})
