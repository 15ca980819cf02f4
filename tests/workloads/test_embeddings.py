import pulumi_kubernetes as k8s

from components.seam import GPU_TOLERATION
from tests.harness import run_components
from tests.workloads.fakes import FakeCluster
from workloads.embeddings import Embeddings, EmbeddingsArgs, image, tei_args


def deploy(args):
    def body():
        ns = k8s.core.v1.Namespace("ns", metadata={"name": "llm-serving"})
        Embeddings("embeddings", args, cluster=FakeCluster(), namespace=ns)

    return run_components(body)


def plan_of(args):
    return deploy(args)


def pod(plan):
    deployment = plan.get("kubernetes:apps/v1:Deployment", "embeddings-deployment")
    return deployment.inputs["spec"]["template"]["spec"]


def test_cpu_and_gpu_images_are_pinned_per_target():
    # TEI's build matrix (huggingface/text-embeddings-inference@v1.8.3:
    # .github/workflows/matrix.json): "cpu-" from Dockerfile, "89-" (compute 8.9, L4) and
    # "hopper-" from Dockerfile-cuda; a patch tag, not the moving "1.8".
    cpu = EmbeddingsArgs(namespace="n", model_id="BAAI/bge-base-en-v1.5")
    assert image(cpu).endswith(":cpu-1.8.3")
    gpu = EmbeddingsArgs(namespace="n", model_id="m/m", pool="standard", gpu="l4")
    assert image(gpu).endswith(":89-1.8.3")
    h100 = EmbeddingsArgs(namespace="n", model_id="m/m", pool="large", gpu="h100")
    assert image(h100).endswith(":hopper-1.8.3")
    assert "--model-id=BAAI/bge-base-en-v1.5" in tei_args(cpu)


def test_the_command_is_the_image_entrypoint_set_explicitly():
    # Dockerfile:122 and Dockerfile-cuda:141 at v1.8.3: ENTRYPOINT ["text-embeddings-router"]
    (container,) = pod(deploy(EmbeddingsArgs(namespace="n", model_id="m/m")))["containers"]
    assert container["command"] == ["text-embeddings-router"]
    assert container["args"][0] == "--model-id=m/m"


def test_on_cpu_no_gpu_and_the_cpu_pool_placement_and_waits():
    plan = deploy(EmbeddingsArgs(namespace="llm-serving", model_id="BAAI/bge-base-en-v1.5"))
    spec = pod(plan)
    (container,) = spec["containers"]
    assert "nvidia.com/gpu" not in container["resources"]["limits"]
    # the seam's CPU pool, not wherever an untainted node happens to be
    assert spec["nodeSelector"] == {"llm-infra.io/pool": "cpu"}
    assert spec["tolerations"] == [
        {"key": "example.com/cpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    deployment = plan.get("kubernetes:apps/v1:Deployment", "embeddings-deployment")
    assert any(urn.endswith("::cpu-nodes") for urn in deployment.dependencies)
    assert container["livenessProbe"] and container["readinessProbe"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_on_a_gpu_pool_one_gpu_and_the_pool_placement():
    args = EmbeddingsArgs(namespace="llm-serving", model_id="m/m", pool="standard", gpu="l4")
    spec = pod(deploy(args))
    (container,) = spec["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert spec["nodeSelector"] == {"llm-infra.io/pool": "standard"}
    assert spec["tolerations"] == [GPU_TOLERATION.as_dict()]
    deployment = plan_of(args).get("kubernetes:apps/v1:Deployment", "embeddings-deployment")
    waits = [urn.rsplit("::", 1)[1] for urn in deployment.dependencies if "fake:cluster" in urn]
    assert waits == ["gpu-standard"]
