import pulumi_kubernetes as k8s

from components.enums import Cloud
from tests.harness import run_components
from tests.workloads.fakes import FakeCluster
from workloads.qdrant import API_KEY_ENV, PVC_RETENTION, Qdrant, QdrantArgs
from workloads.snapshots import rclone_remote

STS = "kubernetes:apps/v1:StatefulSet"


def deploy(replicas=3, bucket="snapshots-bucket"):
    holder = {}

    def body():
        cluster = FakeCluster()
        holder["cluster"] = cluster
        ns = k8s.core.v1.Namespace("ns", metadata={"name": "llm-data"})
        operator = k8s.core.v1.ConfigMap("operator", metadata={"name": "op", "namespace": "x"})
        Qdrant(
            "qdrant",
            QdrantArgs(
                namespace="llm-data",
                replicas=replicas,
                storage_gib=200,
                cloud=Cloud.AWS,
                region="us-east-1",
                allowed_namespaces=("llm-serving",),
                monitoring_namespace="llm-monitoring",
            ),
            cluster=cluster,
            namespace=ns,
            snapshot_bucket=bucket,
            monitoring=[operator],
        )

    return run_components(body), holder["cluster"]


def test_volumes_on_the_ssd_class_sized_from_config_and_retained():
    plan, _ = deploy()
    spec = plan.get(STS, "qdrant-statefulset").inputs["spec"]
    assert (
        spec["persistentVolumeClaimRetentionPolicy"]
        == {
            "whenDeleted": "Retain",
            "whenScaled": "Retain",
        }
        == PVC_RETENTION
    )
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "fast-encrypted"
    assert claim["spec"]["resources"]["requests"]["storage"] == "200Gi"
    assert spec["replicas"] == 3


def test_the_api_key_is_generated_and_read_from_a_secret():
    plan, _ = deploy()
    assert plan.get("random:index/randomPassword:RandomPassword", "qdrant-api-key")
    secret = plan.get("kubernetes:core/v1:Secret", "qdrant-api-key-secret").inputs
    assert secret["stringData"] == "[secret]"
    (container,) = plan.get(STS, "qdrant-statefulset").inputs["spec"]["template"]["spec"][
        "containers"
    ]
    key = next(e for e in container["env"] if e["name"] == API_KEY_ENV)
    assert key["valueFrom"]["secretKeyRef"] == {"name": "qdrant-api-key", "key": "api-key"}


def test_probes_and_hardening():
    plan, _ = deploy()
    pod = plan.get(STS, "qdrant-statefulset").inputs["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["automountServiceAccountToken"] is False


def test_replicas_form_a_cluster_and_a_single_node_does_not():
    plan, _ = deploy(replicas=3)
    (container,) = plan.get(STS, "qdrant-statefulset").inputs["spec"]["template"]["spec"][
        "containers"
    ]
    assert "--bootstrap" in container["command"][-1]
    plan, _ = deploy(replicas=1)
    (container,) = plan.get(STS, "qdrant-statefulset").inputs["spec"]["template"]["spec"][
        "containers"
    ]
    assert "command" not in container


def test_services_pdb_policy_and_monitor():
    plan, _ = deploy()
    headless = plan.get("kubernetes:core/v1:Service", "qdrant-headless").inputs["spec"]
    assert headless["clusterIP"] == "None"
    assert (
        plan.get("kubernetes:core/v1:Service", "qdrant-service").inputs["spec"]["type"]
        == "ClusterIP"
    )
    assert plan.get("kubernetes:policy/v1:PodDisruptionBudget", "qdrant-pdb")
    assert plan.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "qdrant-network-policy")
    monitor = plan.get(
        "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "qdrant-service-monitor"
    )
    auth = monitor.inputs["spec"]["endpoints"][0]["authorization"]
    assert auth["credentials"] == {"name": "qdrant-api-key", "key": "api-key"}


def test_snapshots_upload_through_workload_identity():
    plan, cluster = deploy()
    assert cluster.bindings == [("qdrant-snapshots", "llm-data", "qdrant-snapshots")]
    # the identity may read and write the snapshots bucket, and read nothing else
    assert cluster.bucket_access["qdrant-snapshots"] == ((), ("vector_snapshots",))
    job = plan.get("kubernetes:batch/v1:CronJob", "qdrant-snapshots").inputs["spec"]
    assert job["schedule"] == "0 3 * * *"
    pod = job["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "qdrant-snapshots"
    # the identity's pod labels reach the job's pods (AKS injects the token by them)
    template = job["jobTemplate"]["spec"]["template"]["metadata"]
    assert template["labels"]["example.com/use"] == "true"
    # snapshot, then upload, then clean up and report: each only after the one before
    snapshot, upload = pod["initContainers"]
    (report,) = pod["containers"]
    assert [snapshot["name"], upload["name"], report["name"]] == ["snapshot", "upload", "cleanup"]
    env = {e["name"]: e.get("value") for e in upload["env"]}
    assert env["BUCKET"] == "snapshots-bucket"
    assert env["RCLONE_CONFIG_DEST_ENV_AUTH"] == "true"
    assert "rclone copyto" in upload["command"][-1]
    assert '-lt "$cutoff"' in upload["command"][-1]  # 14 days by the backup's stamp
    assert "14 * 86400" in upload["command"][-1]


def test_the_snapshot_job_keeps_no_snapshot_on_its_disk():
    plan, _ = deploy()
    job = plan.get("kubernetes:batch/v1:CronJob", "qdrant-snapshots").inputs["spec"]
    pod = job["jobTemplate"]["spec"]["template"]["spec"]
    # the upload streams from Qdrant to the bucket: the work directory holds a manifest
    (work,) = [v for v in pod["volumes"] if v["name"] == "work"]
    assert work["emptyDir"]["sizeLimit"] == "64Mi"
    # a streamed 200 GiB snapshot fits S3's 10,000 parts
    (upload,) = [c for c in pod["initContainers"] if c["name"] == "upload"]
    env = {e["name"]: e.get("value") for e in upload["env"]}
    assert int(env["RCLONE_CONFIG_DEST_CHUNK_SIZE"].removesuffix("M")) * 10_000 >= 200 * 1024


def test_qdrant_writes_its_snapshots_to_its_own_volume():
    # Qdrant v1.15.5 archives a snapshot in a temporary file under the storage path first
    # (lib/collection/src/collection/snapshots.rs: tempfile_in(global_temp_dir);
    # lib/storage/src/content_manager/toc/temp_directories.rs: storage/snapshots_temp when
    # temp_path is unset), then moves it to the snapshots path: on the same volume that is
    # a rename, and no node disk is needed however large the collections.
    plan, _ = deploy()
    pod = plan.get(STS, "qdrant-statefulset").inputs["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["QDRANT__STORAGE__SNAPSHOTS_PATH"].startswith(
        env["QDRANT__STORAGE__STORAGE_PATH"] + "/"
    )
    # no emptyDir sized to the volume on a node disk that may be smaller
    assert {v["name"] for v in pod["volumes"]} == {"init", "tmp"}


def matches(selector, labels):
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "DoesNotExist", expression
        if expression["key"] in labels:
            return False
    return True


def test_each_qdrant_pod_is_scraped_once():
    plan, _ = deploy()
    monitor = plan.get(
        "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "qdrant-service-monitor"
    ).inputs["spec"]
    services = plan.of_type("kubernetes:core/v1:Service")
    assert len(services) == 2
    scraped = [
        s.inputs["metadata"]["name"]
        for s in services
        if matches(monitor["selector"], s.inputs["metadata"]["labels"])
    ]
    # the headless Service selects the same pods (peer discovery) and is left out
    assert scraped == ["qdrant"]


def test_no_bucket_no_snapshot_job():
    plan, cluster = deploy(bucket=None)
    assert plan.of_type("kubernetes:batch/v1:CronJob") == []
    assert cluster.bindings == []


def test_rclone_remote_per_cloud_uses_ambient_credentials():
    for cloud in Cloud:
        remote = rclone_remote(cloud, "r")
        assert remote["RCLONE_CONFIG_DEST_ENV_AUTH"] == "true"
    assert rclone_remote(Cloud.AWS, "us-east-1")["RCLONE_CONFIG_DEST_TYPE"] == "s3"
