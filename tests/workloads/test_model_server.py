import dataclasses

import pulumi
import pulumi_kubernetes as k8s

from components.enums import Engine, Quantization
from components.seam import GPU_TOLERATION
from tests.harness import run_components
from tests.workloads.fakes import FakeCluster
from workloads.engines import ServerSpec
from workloads.model_server import SAFE_TO_EVICT, ModelServer, ModelServerArgs

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def args(**overrides):
    base = ModelServerArgs(
        namespace="llm-serving",
        engine=Engine.VLLM,
        spec=ServerSpec(
            model="meta-llama/Llama-3.1-70B-Instruct",
            served_name="big",
            tensor_parallel_size=4,
            max_model_len_tokens=32768,
            quantization=Quantization.FP8,
        ),
        pool="large",
        gpu="h100",
        min_replicas=0,
        max_replicas=2,
        cpu="40",
        memory="300Gi",
        architecture="meta-llama/Llama-3.1-70B-Instruct",
        monitoring_namespace="llm-monitoring",
        prometheus_url="http://prom:9090",
    )
    return dataclasses.replace(base, **overrides)


def deploy(server_args, *, hf_token_secret="hf-token", with_operators=True):
    cluster_holder = {}

    def body():
        cluster = FakeCluster()
        cluster_holder["cluster"] = cluster
        ns = k8s.core.v1.Namespace("ns", metadata={"name": "llm-serving"})
        operator = k8s.core.v1.ConfigMap("operator", metadata={"name": "op", "namespace": "x"})
        ModelServer(
            "big",
            server_args,
            cluster=cluster,
            namespace=ns,
            hf_token_secret=hf_token_secret,
            monitoring=[operator] if with_operators else [],
            autoscaler=[operator] if with_operators else [],
        )

    return run_components(body), cluster_holder["cluster"]


def pod(plan):
    return plan.get(DEPLOYMENT, "big-deployment").inputs["spec"]["template"]["spec"]


def test_gpu_request_and_limit_equal_the_tensor_parallel_size():
    plan, _ = deploy(args())
    (container,) = pod(plan)["containers"]
    assert container["resources"]["requests"]["nvidia.com/gpu"] == "4"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "4"
    assert "--tensor-parallel-size=4" in container["args"]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert container["resources"]["requests"] == container["resources"]["limits"]


def test_pods_select_the_pool_and_tolerate_its_taint():
    plan, _ = deploy(args())
    spec = pod(plan)
    assert spec["nodeSelector"] == {"llm-infra.io/pool": "large"}
    assert spec["tolerations"] == [GPU_TOLERATION.as_dict()]
    assert spec["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"


def test_sizing_annotations_for_the_policies():
    plan, _ = deploy(args())
    notes = plan.get(DEPLOYMENT, "big-deployment").inputs["metadata"]["annotations"]
    assert notes["llm-infra.io/model-architecture"] == "meta-llama/Llama-3.1-70B-Instruct"
    assert notes["llm-infra.io/gpu"] == "h100"
    assert notes["llm-infra.io/tensor-parallel-size"] == "4"
    assert notes["llm-infra.io/max-model-len"] == "32768"
    assert notes["llm-infra.io/quantization"] == "fp8"
    assert notes["llm-infra.io/max-replicas"] == "2"


def test_the_hub_token_comes_from_a_secret():
    plan, _ = deploy(args())
    (container,) = pod(plan)["containers"]
    token = next(e for e in container["env"] if e["name"] == "HF_TOKEN")
    assert token == {
        "name": "HF_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}},
    }
    assert all("value" not in e for e in container["env"] if "TOKEN" in e["name"])


def test_hub_weights_bind_no_identity_and_ask_for_no_bucket():
    _, cluster = deploy(args())
    assert cluster.bindings == []
    assert cluster.bucket_access == {}


def test_without_a_token_no_token_variable():
    plan, _ = deploy(args(), hf_token_secret=None)
    (container,) = pod(plan)["containers"]
    assert "HF_TOKEN" not in {e["name"] for e in container["env"]}


def test_bucket_weights_use_workload_identity_not_a_token():
    server = args(spec=ServerSpec(model="s3://weights/llama", served_name="big"))
    plan, cluster = deploy(server)
    assert cluster.bindings == [("big-weights", "llm-serving", "big")]
    # read access to the models bucket only, no write anywhere
    assert cluster.bucket_access["big-weights"] == (("models",), ())
    deployment = plan.get("kubernetes:apps/v1:Deployment", "big-deployment").inputs
    assert deployment["spec"]["template"]["metadata"]["labels"]["example.com/use"] == "true"
    account = plan.get("kubernetes:core/v1:ServiceAccount", "big-service-account").inputs
    assert account["metadata"]["annotations"] == {"example.com/identity": "llm-serving/big"}
    (container,) = pod(plan)["containers"]
    assert "HF_TOKEN" not in {e["name"] for e in container["env"]}


def test_hardened_pod_with_probes_and_writable_volumes_only():
    plan, _ = deploy(args())
    spec = pod(plan)
    (container,) = spec["containers"]
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/health"
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 20 * 60
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/models", "/dev/shm", "/tmp"} <= mounts
    shm = next(v for v in spec["volumes"] if v["name"] == "dshm")
    assert shm["emptyDir"]["medium"] == "Memory"


def test_the_node_autoscaler_does_not_evict_a_loading_pod():
    plan, _ = deploy(args())
    template = plan.get(DEPLOYMENT, "big-deployment").inputs["spec"]["template"]
    assert template["metadata"]["annotations"][SAFE_TO_EVICT] == "false"


def test_service_pdb_network_policy_monitor_and_scaler():
    plan, _ = deploy(args())
    service = plan.get("kubernetes:core/v1:Service", "big-service").inputs["spec"]
    assert service["type"] == "ClusterIP"
    pdb = plan.get("kubernetes:policy/v1:PodDisruptionBudget", "big-pdb").inputs["spec"]
    assert pdb["maxUnavailable"] == 1
    policy = plan.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "big-network-policy")
    sources = [
        rule["from"][0]["namespaceSelector"]["matchExpressions"][0]["values"]
        for rule in policy.inputs["spec"]["ingress"]
    ]
    assert sources == [["llm-serving"], ["llm-monitoring"]]
    monitor = plan.get("kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "big-service-monitor")
    assert monitor.inputs["spec"]["endpoints"][0]["path"] == "/metrics"
    scaler = plan.get("kubernetes:keda.sh/v1alpha1:ScaledObject", "big-scaler")
    query = scaler.inputs["spec"]["triggers"][0]["metadata"]["query"]
    assert "vllm:num_requests_waiting" in query
    assert scaler.inputs["spec"]["minReplicaCount"] == 0
    operator = plan.get("kubernetes:core/v1:ConfigMap", "operator").urn
    assert operator in scaler.options.depends_on
    assert operator in monitor.options.depends_on


def test_tgi_scales_on_its_own_queue_and_exposes_its_metrics_port():
    spec = ServerSpec(model="Qwen/Qwen2.5-7B-Instruct", served_name="big")
    plan, _ = deploy(args(engine=Engine.TGI, spec=spec, architecture=None))
    scaler = plan.get("kubernetes:keda.sh/v1alpha1:ScaledObject", "big-scaler")
    assert "tgi_queue_size" in scaler.inputs["spec"]["triggers"][0]["metadata"]["query"]
    ports = {
        p["name"]
        for p in plan.get("kubernetes:core/v1:Service", "big-service").inputs["spec"]["ports"]
    }
    assert ports == {"http", "metrics"}


def test_without_monitoring_no_monitor_no_scaler_and_at_least_one_replica():
    plan, _ = deploy(args(monitoring_namespace=None, prometheus_url=None), with_operators=False)
    assert plan.of_type("kubernetes:keda.sh/v1alpha1:ScaledObject") == []
    assert plan.of_type("kubernetes:monitoring.coreos.com/v1:ServiceMonitor") == []
    assert plan.get(DEPLOYMENT, "big-deployment").inputs["spec"]["replicas"] == 1


def test_children_are_parented_and_use_the_cluster_provider():
    plan, _ = deploy(args())
    component = plan.get("llm-infra:workloads:ModelServer", "big")
    children = plan.children(component.urn)
    provider = plan.get("pulumi:providers:kubernetes", "fake-k8s").urn
    assert children and all(c.provider == provider for c in children)
    assert all(c.name.startswith("big-") for c in children)


def test_unknown_kubeconfig_in_preview_still_builds_every_object():
    def body():
        unknown = pulumi.Output(set(), _future(None), _future(False))
        cluster = FakeCluster(kubeconfig=unknown)
        ns = k8s.core.v1.Namespace("ns", metadata={"name": "llm-serving"})
        ModelServer("big", args(), cluster=cluster, namespace=ns)

    plan = run_components(body)
    assert plan.get(DEPLOYMENT, "big-deployment")


def _future(value):
    import asyncio

    future = asyncio.get_event_loop().create_future()
    future.set_result(value)
    return future


def test_vllm_runs_its_entrypoint_with_the_model_flag_and_a_user_name():
    plan, _ = deploy(args())
    (container,) = pod(plan)["containers"]
    # vllm-project/vllm@v0.11.0 docker/Dockerfile:542; the model as --model (cli_args.py:241)
    assert container["command"] == ["python3", "-m", "vllm.entrypoints.openai.api_server"]
    assert container["args"][0] == "--model=meta-llama/Llama-3.1-70B-Instruct"
    env = {e["name"]: e.get("value") for e in container["env"]}
    # getpass.getuser() under uid 10001 (torch/_inductor/runtime/cache_dir_utils.py:23)
    assert env["USER"] == env["LOGNAME"] == "vllm"
    assert env["HOME"] == "/tmp"


def test_pulumi_waits_for_the_whole_load_on_the_deployment_and_its_service():
    # pulumi-kubernetes v4.32.0: the Deployment awaiter's default is 10 minutes
    # (provider/pkg/await/deployment.go:105) unless pulumi.com/timeoutSeconds says otherwise
    # (provider/pkg/metadata/overrides.go:49-63); a ClusterIP Service with a selector waits
    # until no selected pod is unready (provider/pkg/await/service.go:361,416), so it waits
    # as long; a Service with no pod at all settles at once.
    plan, _ = deploy(args(await_timeout_seconds=4560, startup_minutes=69))
    deployment = plan.get(DEPLOYMENT, "big-deployment").inputs
    assert deployment["metadata"]["annotations"]["pulumi.com/timeoutSeconds"] == "4560"
    assert deployment["spec"]["progressDeadlineSeconds"] == 4560
    service = plan.get("kubernetes:core/v1:Service", "big-service").inputs
    assert service["metadata"]["annotations"]["pulumi.com/timeoutSeconds"] == "4560"
    pdb = plan.get("kubernetes:policy/v1:PodDisruptionBudget", "big-pdb").inputs
    assert "annotations" not in pdb["metadata"]
    (container,) = pod(plan)["containers"]
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] == 69 * 60


def test_tgi_runs_as_root_without_capabilities_and_says_why():
    # huggingface/text-generation-inference@v3.3.5 Dockerfile:67-70,170,248: Python lives under
    # /root/.local/share/uv, which no other uid may enter (issue #3082; PR #3197 unmerged;
    # unchanged through v3.3.7). uid 0 with nothing else: every capability dropped, no
    # escalation, read-only root filesystem; it reaches /root as its owner.
    spec = ServerSpec(model="Qwen/Qwen2.5-7B-Instruct", served_name="big")
    plan, _ = deploy(args(engine=Engine.TGI, spec=spec, architecture=None))
    deployment = plan.get(DEPLOYMENT, "big-deployment").inputs
    pod_spec = deployment["spec"]["template"]["spec"]
    (container,) = pod_spec["containers"]
    security = container["securityContext"]
    assert security["runAsUser"] == 0 and security["runAsNonRoot"] is False
    assert pod_spec["securityContext"]["runAsUser"] == 0
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["allowPrivilegeEscalation"] is False
    assert security["privileged"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert "#3082" in deployment["metadata"]["annotations"]["llm-infra.io/runs-as-root"]
    assert container["command"] == ["/tgi-entrypoint.sh"]
    assert "--usage-stats=off" in container["args"]
    assert "PREFIX_CACHING" not in {e["name"] for e in container["env"]}


def test_vllm_carries_no_root_annotation():
    plan, _ = deploy(args())
    annotations = plan.get(DEPLOYMENT, "big-deployment").inputs["metadata"]["annotations"]
    assert "llm-infra.io/runs-as-root" not in annotations
