"""The workloads in the shipped stacks' plans, and the program with a cluster not yet made."""

import json

import pytest
import yaml

from components.seam import GPU_TAINT_KEY, POOL_LABEL
from infra.config import ConfigError
from infra.deploy_workloads import replica_resources
from infra.offline.convert import default_provider_records, to_record
from infra.offline.mocks import MockContext, PlanMocks
from infra.offline.plan import plan_stack
from infra.offline.runner import ProgramError, program_body, run_under_mocks
from infra.sizing import cache_size_gib
from policies.lib.pods import WORKLOAD_TYPES, containers, pod_spec
from tests.harness import ROOT, as_config_strings, load, minimal_platform, shipped_config_values

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SCALER = "kubernetes:keda.sh/v1alpha1:ScaledObject"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def test_prod_serves_every_model_on_its_pool_with_matching_selector_and_toleration(shipped_plan):
    plan = shipped_plan("prod")
    pools = {g.inputs["labels"][POOL_LABEL]: g.inputs for g in plan.of_type(NODE_GROUP)}
    expected = {"llama-3-1-8b": "standard", "qwen2-5-7b": "standard", "llama-3-1-70b": "large"}
    deployments = {
        d.inputs["metadata"]["name"]: d
        for d in plan.of_type(DEPLOYMENT)
        # CPU, checked on their own
        if d.inputs["metadata"]["name"] not in ("embeddings", "llm-gateway-counters")
        and not d.inputs["metadata"]["name"].endswith("-epp")  # endpoint pickers
    }
    assert set(deployments) == set(expected)
    for name, pool in expected.items():
        spec = deployments[name].inputs["spec"]["template"]["spec"]
        group = pools[pool]
        assert spec["nodeSelector"][POOL_LABEL] == pool
        for key, value in spec["nodeSelector"].items():
            assert group["labels"][key] == value
        # a GPU pool is tainted, so a model server lands there only by tolerating it
        assert [t["key"] for t in group["taints"]] == [GPU_TAINT_KEY], name
        for taint in group["taints"]:
            assert any(
                t["key"] == taint["key"] == GPU_TAINT_KEY
                and t.get("value") == taint["value"]
                and t["effect"] == "NoSchedule"
                and taint["effect"] == "NO_SCHEDULE"
                for t in spec["tolerations"]
            )


def test_gpu_requests_equal_tensor_parallel_in_prod(shipped_plan):
    servers = [
        d
        for d in shipped_plan("prod").of_type(DEPLOYMENT)
        if "llm-infra.io/tensor-parallel-size" in d.inputs["metadata"].get("annotations", {})
    ]
    assert len(servers) == 3
    for deployment in servers:
        notes = deployment.inputs["metadata"]["annotations"]
        (container,) = deployment.inputs["spec"]["template"]["spec"]["containers"]
        tp = notes["llm-infra.io/tensor-parallel-size"]
        assert container["resources"]["limits"]["nvidia.com/gpu"] == tp
        assert container["resources"]["requests"]["nvidia.com/gpu"] == tp
        flags = " ".join(container["args"])
        assert f"--tensor-parallel-size={tp}" in flags or f"--num-shard={tp}" in flags


def test_each_server_scales_on_its_engine_queue(shipped_plan):
    plan = shipped_plan("prod")
    metrics = {
        s.inputs["metadata"]["name"]: s.inputs["spec"]["triggers"][0]["metadata"]["query"]
        for s in plan.of_type(SCALER)
    }
    assert "vllm:num_requests_waiting" in metrics["llama-3-1-8b"]
    assert "vllm:num_requests_waiting" in metrics["llama-3-1-70b"]
    assert "tgi_queue_size" in metrics["qwen2-5-7b"]
    dev = shipped_plan("dev").of_type(SCALER)
    assert [s.inputs["spec"]["minReplicaCount"] for s in dev] == [1]


def test_qdrant_volumes_are_retained_in_every_shipped_aws_stack(shipped_plan):
    for stack in ("dev", "prod"):
        (sts,) = shipped_plan(stack).of_type("kubernetes:apps/v1:StatefulSet")
        assert sts.inputs["spec"]["persistentVolumeClaimRetentionPolicy"] == {
            "whenDeleted": "Retain",
            "whenScaled": "Retain",
        }
        claim = sts.inputs["spec"]["volumeClaimTemplates"][0]["spec"]
        assert claim["storageClassName"] == "gp3-encrypted"


def test_every_container_of_every_workload_is_probed(shipped_plan):
    for stack in ("dev", "prod"):
        workloads = [r for r in shipped_plan(stack).resources if r.type in WORKLOAD_TYPES]
        assert workloads
        for workload in workloads:
            served = [
                container
                for kind, container in containers(pod_spec(workload.type, workload.inputs))
                if kind != "init container"
            ]
            assert served, workload.name
            for container in served:
                assert container.get("livenessProbe"), (workload.name, container["name"])
                assert container.get("readinessProbe"), (workload.name, container["name"])


def test_secret_env_values_come_from_secrets(shipped_plan):
    secret_names = set()
    for workload in shipped_plan("prod").resources:
        if workload.type not in WORKLOAD_TYPES:
            continue
        for _kind, container in containers(pod_spec(workload.type, workload.inputs)):
            for variable in container.get("env", []):
                if any(w in variable["name"] for w in ("TOKEN", "KEY", "PASSWORD")):
                    assert "secretKeyRef" in variable.get("valueFrom", {}), variable
                    secret_names.add(variable["name"])
    # prod passes Qdrant its API key by env (Qdrant reads QDRANT__SERVICE__API_KEY)
    assert "QDRANT__SERVICE__API_KEY" in secret_names


def program_with_hub_token(values):
    """The real program under mocks with `values`, `llm-infra:hfToken` marked secret."""
    return run_under_mocks(
        program_body(ROOT / "infra"),
        mocks=PlanMocks(MockContext(project="llm-infra", stack="t", region="us-east-1")),
        project="llm-infra",
        stack="t",
        config=values,
        secret_keys=["llm-infra:hfToken"],
    )


def test_generated_and_configured_secrets_never_reach_the_plan():
    values = as_config_strings(shipped_config_values("dev"))
    values["llm-infra:hfToken"] = "hf_plaintext_token_value"
    capture = program_with_hub_token(values)
    records = [to_record(r, "llm-infra", "t") for r in capture.registrations]
    text = json.dumps([r.inputs for r in records]) + json.dumps(capture.outputs, default=str)
    assert "hf_plaintext_token_value" not in text
    assert "offline-" not in text  # the mocked random passwords
    secret = next(r for r in records if r.name == "hf-token-secret")
    assert secret.inputs["stringData"] == "[secret]"
    deployment = next(r for r in records if r.name == "llama-3-1-8b-deployment")
    (container,) = deployment.inputs["spec"]["template"]["spec"]["containers"]
    assert {
        "name": "HF_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}},
    } in container["env"]


class NewClusterMocks(PlanMocks):
    """A first preview: the EKS cluster does not exist, so its endpoint, certificate and
    OIDC issuer (and so the kubeconfig) are unknown."""

    def new_resource(self, args):
        if args.typ == "aws:eks/cluster:Cluster":
            return None, dict(args.inputs)
        return super().new_resource(args)


def test_first_preview_of_a_new_environment_succeeds_with_unknown_cluster_outputs():
    values = as_config_strings(shipped_config_values("prod"))
    capture = run_under_mocks(
        program_body(ROOT / "infra"),
        mocks=NewClusterMocks(MockContext(project="llm-infra", stack="p", region="us-east-1")),
        project="llm-infra",
        stack="p",
        config=values,
    )
    records = [to_record(r, "llm-infra", "p") for r in capture.registrations]
    records += default_provider_records(records, "llm-infra", "p")
    assert capture.outputs["cluster"] == "[unknown]"  # no endpoint, no issuer yet
    provider = next(r for r in records if r.name == "cluster-k8s")
    assert provider.inputs["kubeconfig"] in ("[unknown]", "[secret]")
    names = {r.name for r in records}
    assert {"llama-3-1-70b-deployment", "qdrant-statefulset", "monitoring-stack"} <= names


def test_outputs_give_in_cluster_endpoints_and_keep_the_api_key_secret(shipped_plan):
    outputs = shipped_plan("prod").outputs
    assert outputs["workloads"]["models"]["llama-3-1-70b"] == (
        "http://llama-3-1-70b.llm-serving.svc:8000"
    )
    assert outputs["workloads"]["qdrant"]["endpoint"] == "http://qdrant.llm-data.svc:6333"
    assert outputs["qdrant_api_key"] == "[secret]"


def test_every_cloud_runs_the_same_workloads(shipped_plan):
    names = {d.name for d in shipped_plan("prod").of_type(DEPLOYMENT)}
    assert names
    for stack in ("gcp-prod", "azure-prod"):
        assert {d.name for d in shipped_plan(stack).of_type(DEPLOYMENT)} == names


def test_replicas_take_their_share_of_the_node():
    config = load(minimal_platform(), aws_region="us-east-1")
    from components.catalog import catalog, resolve_instance

    instance = resolve_instance(
        catalog(), config.cloud, gpu=config.gpu_pools[0].gpu, instance_type=None, gpus_per_node=1
    )
    cpu, memory = replica_resources(instance, 1)
    assert int(cpu) < instance.vcpus
    assert int(memory.removesuffix("Gi")) < instance.memory_gib


@pytest.mark.parametrize(
    "model_id", ["meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-70B-Instruct"]
)
def test_the_model_cache_holds_the_weights(model_id):
    platform = minimal_platform()
    platform["models"][0]["hf_model_id"] = model_id
    platform["gpu_pools"][0] = {
        "name": "standard",
        "gpu": "h100",
        "gpus_per_node": 8,
        "disk_size_gib": 500,
    }
    platform["models"][0]["gpus_per_replica"] = 4
    config = load(platform, aws_region="us-east-1")
    size = cache_size_gib(config.models[0])
    params_billion = 8 if "8B" in model_id else 70
    assert size >= params_billion * 2 * 0.93


def test_the_embedding_server_runs_where_the_stack_asks(shipped_plan):
    prod = shipped_plan("prod")
    deployment = prod.get("kubernetes:apps/v1:Deployment", "embeddings-deployment")
    spec = deployment.inputs["spec"]["template"]["spec"]
    assert "nvidia.com/gpu" not in str(spec["containers"])  # CPU by default
    assert deployment.inputs["spec"]["replicas"] == 2 or "replicas" not in deployment.inputs["spec"]
    assert prod.outputs["workloads"]["embeddings"].startswith("http://embeddings.")
    assert not shipped_plan("dev").of_type("llm-infra:workloads:Embeddings")


def test_an_embedding_pool_that_does_not_exist_is_a_config_error():
    from infra.config import ConfigError

    platform = minimal_platform(embeddings={"enabled": True, "pool": "nope"})
    with pytest.raises(ConfigError) as error:
        load(platform, aws_region="us-east-1")
    assert "llm-infra:platform.embeddings.pool: 'nope' is not a pool of this stack" in str(
        error.value
    )


# What a workload identity's bucket grant is on each cloud: the grant's type, the input
# that names the bucket, and the bucket (or container) resource of a logical bucket.
GRANTS = {
    "prod": ("aws:iam/rolePolicy:RolePolicy", "policy", "aws:s3/bucket:Bucket", "{}-bucket"),
    "gcp-prod": (
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "bucket",
        "gcp:storage/bucket:Bucket",
        "{}-bucket",
    ),
    "azure-prod": (
        "azure-native:authorization:RoleAssignment",
        "scope",
        "azure-native:storage:BlobContainer",
        "storage-{}",
    ),
}
WEIGHTS_URIS = {
    "prod": "s3://models/llama",
    "gcp-prod": "gs://models/llama",
    "azure-prod": "https://llm.blob.core.windows.net/models/llama",
}
# Only S3 streams with the pinned vLLM image: vllm-project/vllm@v0.11.0 docker/Dockerfile:529
# installs runai-model-streamer[s3] alone (the GCS backend is another package, setup.py's
# `runai` extra), and runai_utils.py:17 knows no Azure scheme.
STREAMS_WEIGHTS = ("prod",)


def identity_grants(plan, stack, identity):
    grant_type = GRANTS[stack][0]
    return {
        r.name: r
        for r in plan.of_type(grant_type)
        if (r.parent or "").endswith(f"WorkloadIdentity::cluster-{identity}")
    }


def assert_grants_only(plan, stack, identity, bucket, access):
    _, bucket_input, bucket_type, bucket_name = GRANTS[stack]
    grants = identity_grants(plan, stack, identity)
    name = f"cluster-{identity}-{bucket}-{access}"
    assert set(grants) == {name}
    bucket_urn = plan.get(bucket_type, bucket_name.format(bucket)).urn
    assert bucket_urn in grants[name].property_dependencies[bucket_input]


@pytest.mark.parametrize("stack", GRANTS)
def test_the_snapshot_job_may_write_the_snapshots_bucket_and_nothing_else(shipped_plan, stack):
    plan = shipped_plan(stack)
    assert_grants_only(plan, stack, "qdrant-snapshots", "vector-snapshots", "read-write")
    # no model server reads from a bucket in the shipped stacks, so none has an identity
    assert not [r for r in plan.resources if r.name.endswith("-weights")]


def _with_bucket_weights(tmp_path, stack):
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    model = document["config"]["llm-infra:platform"]["models"][0]
    model["architecture"] = model.pop("hf_model_id")
    model["weights_uri"] = WEIGHTS_URIS[stack]
    (tmp_path / "Pulumi.yaml").write_text(
        f"name: llm-infra\nruntime: python\nmain: {ROOT / 'infra'}\n"
    )
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return model


@pytest.mark.parametrize("stack", STREAMS_WEIGHTS)
def test_a_server_with_weights_in_the_bucket_may_read_the_models_bucket_only(tmp_path, stack):
    model = _with_bucket_weights(tmp_path, stack)
    plan = plan_stack(stack, tmp_path)
    assert_grants_only(plan, stack, f"{model['name']}-weights", "models", "read")
    account = plan.get("kubernetes:core/v1:ServiceAccount", f"{model['name']}-service-account")
    assert account.inputs["metadata"]["annotations"]


@pytest.mark.parametrize("stack", sorted(set(GRANTS) - set(STREAMS_WEIGHTS)))
def test_bucket_weights_the_image_cannot_stream_are_a_config_error(tmp_path, stack):
    _with_bucket_weights(tmp_path, stack)
    with pytest.raises(ConfigError) as error:
        plan_stack(stack, tmp_path)
    (issue,) = error.value.issues
    assert issue.path == "llm-infra:platform.models[0].weights_uri"
    assert WEIGHTS_URIS[stack] in issue.message
    assert "hf_model_id" in issue.fix


def test_on_azure_the_snapshot_job_uploads_to_the_container_as_its_identity(shipped_plan):
    plan = shipped_plan("azure-prod")
    job = plan.get("kubernetes:batch/v1:CronJob", "qdrant-snapshots").inputs["spec"]
    template = job["jobTemplate"]["spec"]["template"]
    assert template["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    (upload,) = [c for c in template["spec"]["initContainers"] if c["name"] == "upload"]
    env = {e["name"]: e.get("value") for e in upload["env"]}
    assert env["BUCKET"] == "vector-snapshots"
    assert env["RCLONE_CONFIG_DEST_TYPE"] == "azureblob"
    assert env["RCLONE_CONFIG_DEST_ACCOUNT"] == plan.outputs["storage"]["account"]
    account = plan.get("kubernetes:core/v1:ServiceAccount", "qdrant-snapshot-service-account")
    assert "azure.workload.identity/client-id" in account.inputs["metadata"]["annotations"]


def test_tgi_gets_a_baseline_namespace_of_its_own_and_the_same_callers(shipped_plan):
    # TGI 3.3.5 cannot run as non-root (its image contract: Python under /root, Dockerfile:248
    # at v3.3.5; huggingface/text-generation-inference#3082), and restricted Pod Security
    # rejects uid 0: its servers live in a namespace at baseline, warned at restricted.
    plan = shipped_plan("prod")
    levels = {
        ns.inputs["metadata"]["name"]: ns.inputs["metadata"]["labels"]
        for ns in plan.of_type("kubernetes:core/v1:Namespace")
    }
    root = levels["llm-serving-root"]
    assert root["pod-security.kubernetes.io/enforce"] == "baseline"
    assert root["pod-security.kubernetes.io/warn"] == "restricted"
    assert levels["llm-serving"]["pod-security.kubernetes.io/enforce"] == "restricted"
    namespaces = {
        d.inputs["metadata"]["name"]: d.inputs["metadata"]["namespace"]
        for d in plan.of_type(DEPLOYMENT)
    }
    assert namespaces["qwen2-5-7b"] == "llm-serving-root"
    assert namespaces["llama-3-1-8b"] == namespaces["llama-3-1-70b"] == "llm-serving"
    policy = plan.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "qwen2-5-7b-network-policy")
    callers = policy.inputs["spec"]["ingress"][0]["from"][0]["namespaceSelector"]
    # the serving namespace, its own, and the gateway's proxies
    assert callers["matchExpressions"][0]["values"] == [
        "envoy-gateway-system",
        "llm-serving",
        "llm-serving-root",
    ]
    endpoints = plan.outputs["workloads"]["models"]
    assert endpoints["qwen2-5-7b"] == "http://qwen2-5-7b.llm-serving-root.svc:8000"


def test_a_stack_without_tgi_has_no_root_namespace(shipped_plan):
    names = {
        ns.inputs["metadata"]["name"]
        for ns in shipped_plan("dev").of_type("kubernetes:core/v1:Namespace")
    }
    assert "llm-serving-root" not in names and "llm-serving" in names


def test_each_server_waits_as_long_as_its_first_start(shipped_plan):
    # pulumi-kubernetes' Deployment await gives up after 10 minutes by default
    # (provider/pkg/await/deployment.go:105 at v4.32.0); each model's is its estimate.
    plan = shipped_plan("prod")
    waits = {
        d.inputs["metadata"]["name"]: int(
            d.inputs["metadata"]["annotations"]["pulumi.com/timeoutSeconds"]
        )
        for d in plan.of_type(DEPLOYMENT)
        if "pulumi.com/timeoutSeconds" in d.inputs["metadata"].get("annotations", {})
    }
    estimates = {s["model"]: s["first_start"] for s in plan.sizing}
    assert set(waits) == set(estimates)
    for model, estimate in estimates.items():
        assert waits[model] == estimate["await_timeout_seconds"]
    assert waits["llama-3-1-70b"] > 3600 > waits["llama-3-1-8b"] > 600
    # dev's pool sits at zero nodes: its model waits for the autoscaler too
    (dev,) = shipped_plan("dev").sizing
    assert dev["first_start"]["node_scale_up_seconds"] > 0


def test_with_a_hub_token_each_serving_namespace_gets_its_own_secret():
    values = as_config_strings(shipped_config_values("prod"))
    values["llm-infra:hfToken"] = "hf_dummy"
    capture = program_with_hub_token(values)
    records = [to_record(r, "llm-infra", "t") for r in capture.registrations]
    secrets = {
        r.name: r.inputs["metadata"]["namespace"]
        for r in records
        if r.type == "kubernetes:core/v1:Secret" and r.name.startswith("hf-token")
    }
    # a pod reads a Secret of its own namespace only
    assert secrets == {
        "hf-token-secret": "llm-serving",
        "hf-token-serving-root-secret": "llm-serving-root",
    }
    tgi = next(r for r in records if r.name == "qwen2-5-7b" and r.type.endswith("ModelServer"))
    assert "hf-token-serving-root" in json.dumps(tgi.options.depends_on)


RECEIVER_SECRETS = {
    "oncall": "pd-routing-key-plaintext-0123",
    "team": "https://hooks.slack.com/services/T0/B0/plaintext0123",
}


@pytest.fixture(scope="module")
def project_with_receivers(tmp_path_factory):
    """The gcp-prod stack with two alert receivers, their URL and key set as a plain config
    value: the program must still treat them as secrets everywhere."""
    folder = tmp_path_factory.mktemp("receivers")
    (folder / "Pulumi.yaml").write_text(
        f"name: llm-infra\nruntime: python\nmain: {ROOT / 'infra'}\n"
    )
    document = yaml.safe_load((ROOT / "Pulumi.gcp-prod.yaml").read_text())
    document["config"]["llm-infra:platform"]["monitoring"] = {
        "receivers": [
            {"name": "oncall", "type": "pagerduty", "severities": ["critical"]},
            {"name": "team", "type": "slack", "channel": "#llm-alerts"},
        ]
    }
    document["config"]["llm-infra:alertReceivers"] = RECEIVER_SECRETS
    (folder / "Pulumi.gcp-prod.yaml").write_text(yaml.safe_dump(document))
    return folder


def test_alert_receivers_reach_alertmanager_through_a_secret_only(project_with_receivers):
    plan = plan_stack("gcp-prod", project_with_receivers)
    text = json.dumps([r.inputs for r in plan.resources]) + json.dumps(plan.outputs)
    assert not [v for v in RECEIVER_SECRETS.values() if v in text]
    secret = plan.get("kubernetes:core/v1:Secret", "monitoring-alert-receivers")
    assert secret.inputs["stringData"] == "[secret]"
    values = plan.get("kubernetes:helm.sh/v3:Release", "monitoring-stack").inputs["values"]
    receivers = {r["name"] for r in values["alertmanager"]["config"]["receivers"]}
    assert receivers == {"null", "oncall", "team"}


def test_alert_receiver_secrets_never_reach_the_rendered_manifests(
    project_with_receivers, tmp_path, capsys
):
    from infra.cli import main

    out = tmp_path / "rendered"
    assert (
        main(
            [
                "--project-dir",
                str(project_with_receivers),
                "render",
                "-s",
                "gcp-prod",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any("alert" in p.name for p in files)  # the Secret, without its values
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not [v for v in RECEIVER_SECRETS.values() if v in text], path


def test_a_receiver_whose_secret_is_missing_stops_the_plan_with_the_fix(tmp_path):
    platform = minimal_platform(monitoring={"receivers": [{"name": "oncall", "type": "pagerduty"}]})
    with pytest.raises(ProgramError) as error:
        run_under_mocks(
            program_body(ROOT / "infra"),
            mocks=PlanMocks(MockContext(project="llm-infra", stack="t", region="us-east-1")),
            project="llm-infra",
            stack="t",
            config={"llm-infra:platform": json.dumps(platform)},
        )
    assert "llm-infra:alertReceivers.oncall: is not set" in str(error.value)
    assert "pulumi config set --secret --path 'alertReceivers.oncall'" in str(error.value)


def test_alerts_watch_the_tgi_namespace_too(shipped_plan):
    rules = shipped_plan("prod").get(
        "kubernetes:monitoring.coreos.com/v1:PrometheusRule", "monitoring-rules"
    )
    expressions = [r["expr"] for g in rules.inputs["spec"]["groups"] for r in g["rules"]]
    watched = [e for e in expressions if "llm-serving-root" in e]
    assert watched, "no alert covers the namespace TGI servers run in"
