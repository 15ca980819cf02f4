import pytest

from components.enums import CapacityType, GpuType
from components.gcp.node_pool import ACCELERATOR_TYPES, NodePool, NodePoolArgs, accelerator_type
from tests.harness import run_components

POOL = "gcp:container/nodePool:NodePool"
ZONES = ("us-central1-a", "us-central1-b", "us-central1-c")
ACCOUNT = "llm-test-nodes@offline-project.iam.gserviceaccount.com"
KEY = "projects/offline-project/locations/us-central1/keyRings/r/cryptoKeys/disks"


def build(**overrides):
    args = {
        "pool": "standard",
        "machine_type": "g2-standard-48",
        "capacity_type": CapacityType.ON_DEMAND,
        "min_nodes": 1,
        "max_nodes": 4,
        "disk_size_gib": 200,
        "zones": ZONES,
        "gpu": GpuType.L4,
        "gpus_per_node": 4,
        "labels": {"team": "ml"},
        **overrides,
    }

    project = args.pop("project", None)

    def body():
        NodePool(
            "gpu-standard",
            NodePoolArgs(**args),
            project=project,
            cluster_name="llm-test",
            location="us-central1",
            service_account=ACCOUNT,
            boot_disk_kms_key=KEY,
        )

    return run_components(body, region="us-central1", cloud="gcp").get(POOL, "gpu-standard-pool")


@pytest.fixture(scope="module")
def gpu():
    return build()


@pytest.fixture(scope="module")
def cpu():
    return build(
        pool="system", machine_type="e2-standard-4", gpu=None, gpus_per_node=0, min_nodes=1
    )


def test_gpu_pools_name_their_accelerator_with_gke_managed_drivers(gpu):
    node = gpu.inputs["nodeConfig"]
    assert node["machineType"] == "g2-standard-48"
    assert node["guestAccelerators"] == [
        {
            "type": "nvidia-l4",
            "count": 4,
            "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"},
        }
    ]


@pytest.mark.parametrize(
    ("gpu", "accelerator"),
    [
        (GpuType.L4, "nvidia-l4"),
        (GpuType.A100_40GB, "nvidia-tesla-a100"),
        (GpuType.A100_80GB, "nvidia-a100-80gb"),
        (GpuType.H100, "nvidia-h100-80gb"),
    ],
)
def test_accelerator_types(gpu, accelerator):
    assert accelerator_type(gpu) == accelerator


def test_a10g_is_no_gke_accelerator():
    assert GpuType.A10G not in ACCELERATOR_TYPES
    with pytest.raises(ValueError, match="'a10g' is not a GPU GKE offers"):
        accelerator_type(GpuType.A10G)


def test_gpu_nodes_carry_pool_and_gpu_labels_and_the_gpu_taint(gpu):
    node = gpu.inputs["nodeConfig"]
    assert node["labels"] == {"llm-infra.io/pool": "standard", "llm-infra.io/gpu": "l4"}
    assert node["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
    ]


def test_cpu_pools_have_no_accelerator_no_gpu_label_and_no_taint(cpu):
    node = cpu.inputs["nodeConfig"]
    assert node["labels"] == {"llm-infra.io/pool": "system"}
    assert not node.get("taints") and not node.get("guestAccelerators")
    assert cpu.inputs["autoscaling"]["locationPolicy"] == "BALANCED"
    assert cpu.inputs["upgradeSettings"] == {
        "strategy": "SURGE",
        "maxSurge": 1,
        "maxUnavailable": 0,
    }


@pytest.mark.parametrize("pool", ["gpu", "cpu"])
def test_nodes_are_shielded_hide_metadata_and_run_as_the_node_account(request, pool):
    node = request.getfixturevalue(pool).inputs["nodeConfig"]
    assert node["shieldedInstanceConfig"] == {
        "enableSecureBoot": True,
        "enableIntegrityMonitoring": True,
    }
    assert node["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert node["metadata"] == {"disable-legacy-endpoints": "true"}
    assert node["serviceAccount"] == ACCOUNT
    assert node["oauthScopes"] == ["https://www.googleapis.com/auth/cloud-platform"]
    assert node["imageType"] == "COS_CONTAINERD"
    assert node["bootDiskKmsKey"] == KEY
    assert node["diskType"] == "pd-balanced"
    assert node["gvnic"] == {"enabled": True}


def test_autoscaling_bounds_are_for_the_whole_pool_and_the_initial_count_is_ignored_later(gpu):
    assert gpu.inputs["autoscaling"] == {
        "totalMinNodeCount": 1,
        "totalMaxNodeCount": 4,
        "locationPolicy": "ANY",
    }
    # per zone (terraform-provider-google google_container_node_pool, initial_node_count):
    # one in each of 3 zones reaches min 1 and stays within max 4
    assert gpu.inputs["initialNodeCount"] == 1
    assert gpu.options.ignore_changes == ["initialNodeCount"]
    assert gpu.inputs["nodeLocations"] == list(ZONES)
    assert gpu.inputs["management"] == {"autoRepair": True, "autoUpgrade": True}


def test_gpu_pools_upgrade_by_surging_one_node_and_never_take_one_away(gpu):
    # terraform-provider-google google_container_node_pool upgrade_settings: max_surge
    # adds nodes during an upgrade, max_unavailable takes them away. Surge 1 / unavailable
    # 0 keeps every serving node until its upgraded replacement is up: a 2-node pool never
    # drops to one. It costs one extra GPU node of quota during upgrades.
    assert gpu.inputs["upgradeSettings"] == {
        "strategy": "SURGE",
        "maxSurge": 1,
        "maxUnavailable": 0,
    }


def test_a_pool_with_fewer_max_nodes_than_zones_starts_empty():
    # The shipped H100 pool: min 1, max 2 over 3 zones. One per zone would start 3 nodes
    # (24 H100s) past its max; it starts with none and the autoscaler adds them on demand.
    pool = build(min_nodes=1, max_nodes=2, machine_type="a3-highgpu-8g", gpu=GpuType.H100)
    assert pool.inputs["initialNodeCount"] == 0
    assert pool.inputs["autoscaling"]["totalMinNodeCount"] == 1
    assert pool.inputs["autoscaling"]["totalMaxNodeCount"] == 2
    assert len(pool.inputs["nodeLocations"]) * pool.inputs["initialNodeCount"] <= 2


def test_pools_are_created_in_the_project_given():
    assert build(project="llm-p").inputs["project"] == "llm-p"


def test_spot_pools_scale_from_zero():
    pool = build(capacity_type=CapacityType.SPOT, min_nodes=0, zones=("us-central1-a",))
    assert pool.inputs["nodeConfig"]["spot"] is True
    assert pool.inputs["initialNodeCount"] == 0
    assert pool.inputs["autoscaling"]["totalMinNodeCount"] == 0


def test_on_demand_is_not_spot(gpu):
    assert gpu.inputs["nodeConfig"]["spot"] is False


def test_vm_labels_are_the_stack_labels_plus_the_pool(gpu):
    assert gpu.inputs["nodeConfig"]["resourceLabels"] == {
        "team": "ml",
        "llm-infra-pool": "standard",
    }


def test_pool_is_attached_to_the_cluster_in_its_location(gpu):
    assert gpu.inputs["cluster"] == "llm-test"
    assert gpu.inputs["location"] == "us-central1"
    assert gpu.parent.endswith("llm-infra:gcp:NodePool::gpu-standard")


def test_a_gpu_pool_needs_gpus_and_zones():
    with pytest.raises(Exception, match="needs gpus_per_node"):
        build(gpus_per_node=0)
    with pytest.raises(Exception, match="zones is empty"):
        build(zones=())


def test_a_compact_pool_places_its_nodes_close_together_in_its_one_zone():
    # pulumi_gcp container.NodePool placement_policy.type: "Supports a single value:
    # COMPACT"; GKE places such nodes in one zone
    # (https://cloud.google.com/kubernetes-engine/docs/how-to/compact-placement).
    pool = build(
        machine_type="a3-highgpu-8g",
        gpu=GpuType.H100,
        gpus_per_node=8,
        min_nodes=0,
        max_nodes=2,
        zones=("us-central1-a",),
        compact_placement=True,
    )
    assert pool.inputs["placementPolicy"] == {"type": "COMPACT"}
    assert pool.inputs["nodeLocations"] == ["us-central1-a"]


def test_pools_are_not_compact_unless_asked(gpu, cpu):
    assert "placementPolicy" not in gpu.inputs
    assert "placementPolicy" not in cpu.inputs


def test_compact_placement_is_set_at_creation_so_changing_it_replaces_a_gpu_pool(gpu, cpu):
    # The compact-placement page's GKE Standard limitations: "Supported only in new node
    # pools". The pool's name is generated, so create-before-delete works.
    assert gpu.options.replace_on_changes == ["placementPolicy"]
    assert gpu.options.delete_before_replace is False
    assert cpu.options.replace_on_changes == []


def test_a_compact_pool_needs_exactly_one_zone():
    with pytest.raises(Exception, match="exactly one zone"):
        build(compact_placement=True)
