"""The GCP platform as the shipped stack (and its tests-only dev variant) build it."""

import copy
from pathlib import Path

import pulumi
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.seam import KubernetesCluster
from infra.cli import main
from infra.config import ConfigError
from infra.offline.plan import plan_stack
from infra.platforms.gcp import build_gcp
from infra.policy.check import run_check
from tests.harness import ROOT, load, plan_document, run_components
from tests.infra.platforms.test_aws import with_a_multi_node_replica

GKE = "gcp:container/cluster:Cluster"
POOL = "gcp:container/nodePool:NodePool"
BUCKET = "gcp:storage/bucket:Bucket"
KEY = "gcp:kms/cryptoKey:CryptoKey"
KEY_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
DEV_PROJECT = Path(__file__).parent / "gcp_dev"
DEV_STACK = DEV_PROJECT / "Pulumi.gcp-dev.yaml"
PROD_PROJECT = "llm-infra-prod"
PROD_NODES = f"llm-infra-gcp-prod-nodes@{PROD_PROJECT}.iam.gserviceaccount.com"


def dev_document():
    return yaml.safe_load(DEV_STACK.read_text())


def write_project(directory, document, stack="gcp-dev"):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(
        f"name: llm-infra\nruntime: python\nmain: {ROOT / 'infra'}\n"
    )
    (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return directory


@pytest.fixture(scope="module")
def dev():
    return plan_stack("gcp-dev", DEV_PROJECT)


@pytest.fixture(scope="module")
def prod(shipped_plan):
    return shipped_plan("gcp-prod")


def pools(plan):
    return {r.name: r.inputs for r in plan.of_type(POOL)}


# The shipped stack.


def test_a_system_pool_and_one_gpu_pool_per_config_pool_with_its_accelerator(prod):
    found = pools(prod)
    assert set(found) == {"system-nodes-pool", "gpu-standard-pool", "gpu-large-pool"}
    system, standard, large = (
        found["system-nodes-pool"]["nodeConfig"],
        found["gpu-standard-pool"]["nodeConfig"],
        found["gpu-large-pool"]["nodeConfig"],
    )
    assert system["machineType"] == "e2-standard-4"
    assert not system.get("guestAccelerators")
    assert standard["machineType"] == "g2-standard-48"  # l4 × 4
    assert [(a["type"], a["count"]) for a in standard["guestAccelerators"]] == [("nvidia-l4", 4)]
    assert large["machineType"] == "a3-highgpu-8g"  # h100 × 8
    assert [(a["type"], a["count"]) for a in large["guestAccelerators"]] == [
        ("nvidia-h100-80gb", 8)
    ]
    for config in (standard, large):
        assert config["guestAccelerators"][0]["gpuDriverInstallationConfig"] == {
            "gpuDriverVersion": "LATEST"
        }
        assert config["taints"] == [
            {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
        ]
    assert standard["labels"] == {"llm-infra.io/pool": "standard", "llm-infra.io/gpu": "l4"}
    assert large["labels"] == {"llm-infra.io/pool": "large", "llm-infra.io/gpu": "h100"}
    assert large["diskSizeGb"] == 500


def test_prod_pools_are_on_demand_in_every_zone_with_the_configs_bounds(prod):
    found = pools(prod)
    for inputs in found.values():
        assert inputs["nodeConfig"]["spot"] is False
        assert inputs["nodeLocations"] == ["us-central1-a", "us-central1-b", "us-central1-c"]
        assert inputs["location"] == "us-central1"
        assert inputs["cluster"] == "llm-infra-gcp-prod"
    assert found["system-nodes-pool"]["autoscaling"]["totalMinNodeCount"] == 1
    assert found["system-nodes-pool"]["autoscaling"]["totalMaxNodeCount"] == 6
    assert found["gpu-large-pool"]["autoscaling"]["totalMaxNodeCount"] == 2


def test_every_pool_is_hardened_and_runs_as_the_node_account(prod):
    disks_key = prod.get(KEY, "cluster-disks-key").urn
    for pool in prod.of_type(POOL):
        config = pool.inputs["nodeConfig"]
        assert config["serviceAccount"] == PROD_NODES
        assert config["shieldedInstanceConfig"]["enableSecureBoot"] is True
        assert config["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
        # pools wait for the account's roles and for Compute Engine's use of the disks key
        node_roles = {
            r.urn for r in prod.of_type(PROJECT_MEMBER) if r.name.startswith("cluster-nodes-")
        }
        assert node_roles <= set(pool.property_dependencies["nodeConfig"])
        assert disks_key in pool.property_dependencies["nodeConfig"]
        assert prod.get(GKE, "cluster-gke").urn in pool.property_dependencies["cluster"]


def test_prod_cluster_is_private_regional_protected_and_encrypted(prod):
    cluster = prod.get(GKE, "cluster-gke").inputs
    assert cluster["name"] == "llm-infra-gcp-prod"
    assert cluster["location"] == "us-central1"
    assert cluster["nodeLocations"] == ["us-central1-a", "us-central1-b", "us-central1-c"]
    # global access: a runner or VPN elsewhere in the VPC reaches the private endpoint
    assert cluster["privateClusterConfig"] == {
        "enablePrivateNodes": True,
        "enablePrivateEndpoint": True,
        "masterGlobalAccessConfig": {"enabled": True},
    }
    # the node subnet, and the VPC's whole range (where `pulumi up` runs for a private
    # cluster); nothing public
    assert cluster["masterAuthorizedNetworksConfig"]["cidrBlocks"] == [
        {"cidrBlock": "10.30.0.0/20", "displayName": "nodes"},
        {"cidrBlock": "10.30.0.0/16", "displayName": "deploy-0"},
    ]
    assert cluster["workloadIdentityConfig"] == {"workloadPool": f"{PROD_PROJECT}.svc.id.goog"}
    assert cluster["enableShieldedNodes"] is True
    assert cluster["datapathProvider"] == "ADVANCED_DATAPATH"
    assert cluster["releaseChannel"] == {"channel": "REGULAR"}
    assert cluster["deletionProtection"] is True
    assert cluster["removeDefaultNodePool"] is True
    encryption = cluster["databaseEncryption"]
    assert encryption["state"] == "ENCRYPTED"
    assert encryption["keyName"].startswith(
        f"projects/{PROD_PROJECT}/locations/us-central1/keyRings/cluster-key-ring-"
    )


def test_the_cluster_runs_in_the_networks_node_subnet(prod):
    cluster = prod.get(GKE, "cluster-gke")
    assert cluster.property_dependencies["subnetwork"] == [
        prod.get("gcp:compute/subnetwork:Subnetwork", "network-nodes").urn
    ]
    assert cluster.property_dependencies["network"] == [
        prod.get("gcp:compute/network:Network", "network-vpc").urn
    ]


def test_buckets_prevent_public_access_and_use_their_own_keys(prod):
    buckets = {r.name: r for r in prod.of_type(BUCKET)}
    assert set(buckets) == {"models-bucket", "vector-snapshots-bucket"}
    for name, bucket in buckets.items():
        role = name.removesuffix("-bucket")
        assert bucket.inputs["publicAccessPrevention"] == "enforced"
        assert bucket.inputs["uniformBucketLevelAccess"] is True
        assert bucket.inputs["versioning"] == {"enabled": True}
        assert bucket.inputs["location"] == "US-CENTRAL1"
        assert f"/cryptoKeys/{role}-key-" in bucket.inputs["encryption"]["defaultKmsKeyName"]
        assert bucket.property_dependencies["encryption"] == [prod.get(KEY, f"{role}-key").urn]


def test_iam_bindings_name_the_right_members(prod):
    agents = {r.name: r.inputs["member"] for r in prod.of_type(KEY_MEMBER)}
    gcs = "serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com"
    assert agents == {
        "models-key-user": gcs,
        "vector-snapshots-key-user": gcs,
        "cluster-secrets-key-gke": (
            "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com"
        ),
        "cluster-disks-key-compute": (
            "serviceAccount:service-123456789012@compute-system.iam.gserviceaccount.com"
        ),
    }
    assert {r.inputs["role"] for r in prod.of_type(KEY_MEMBER)} == {
        "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    }
    members = [r.inputs for r in prod.of_type(PROJECT_MEMBER)]
    node_roles = [r for r in members if r["role"] != "roles/dns.reader"]
    assert len(node_roles) == 5
    assert all(r["member"] == f"serviceAccount:{PROD_NODES}" for r in node_roles)
    assert all(r["project"] == PROD_PROJECT for r in node_roles)
    # nothing is granted to the project's default accounts, and no one gets a basic role
    assert not any(r["role"] in ("roles/owner", "roles/editor") for r in members)
    # the one other project role: external-dns lists the project's zones
    (lister,) = [r for r in members if r["role"] == "roles/dns.reader"]
    (zone_admin,) = prod.of_type("gcp:dns/dnsManagedZoneIamMember:DnsManagedZoneIamMember")
    assert lister["member"] == zone_admin.inputs["member"]


STATEFUL = (
    (BUCKET, "models-bucket"),
    (KEY, "models-key"),
    ("gcp:kms/keyRing:KeyRing", "models-key-ring"),
    (BUCKET, "vector-snapshots-bucket"),
    (KEY, "vector-snapshots-key"),
    (KEY, "cluster-secrets-key"),
    (KEY, "cluster-disks-key"),
    ("gcp:kms/keyRing:KeyRing", "cluster-key-ring"),
)


@pytest.mark.parametrize(("type_", "name"), STATEFUL)
def test_prod_protects_and_retains_stateful_resources_dev_does_not(prod, dev, type_, name):
    kept = prod.get(type_, name).options
    assert kept.protect and kept.retain_on_delete
    loose = dev.get(type_, name).options
    assert not loose.protect and not loose.retain_on_delete


def test_every_labelled_resource_carries_the_stack_labels(prod):
    labelled = []
    for resource in prod.resources:
        for labels in (
            resource.inputs.get("labels"),
            resource.inputs.get("resourceLabels"),
            (resource.inputs.get("nodeConfig") or {}).get("resourceLabels"),
        ):
            if resource.type.startswith("gcp:") and isinstance(labels, dict):
                labelled.append((resource.name, labels))
    assert len(labelled) == 11  # 2 buckets, 4 keys, the cluster, 3 pools, the DNS zone
    for name, labels in labelled:
        assert labels["llm-infra-stack"] == "gcp-prod", name
        assert labels["llm-infra-environment"] == "prod", name
        assert labels["team"] == "ml-platform", name
        assert labels["cost-center"] == "ml-serving", name


def test_outputs_name_the_cluster_and_buckets_and_keep_the_kubeconfig_secret(prod):
    outputs = prod.outputs
    assert outputs["kubeconfig"] == "[secret]"
    assert outputs["cluster"] == {
        "name": "llm-infra-gcp-prod",
        "location": "us-central1",
        "endpoint": "https://172.16.0.2",
        "oidc_issuer_url": (
            f"https://container.googleapis.com/v1/projects/{PROD_PROJECT}/locations/"
            "us-central1/clusters/llm-infra-gcp-prod"
        ),
        "workload_pool": f"{PROD_PROJECT}.svc.id.goog",
    }
    assert set(outputs["buckets"]) == {"models", "vector_snapshots"}
    assert outputs["buckets"]["models"].startswith("models-bucket-")
    assert outputs["network"]["subnet_id"].startswith(
        f"projects/{PROD_PROJECT}/regions/us-central1/subnetworks/network-nodes-"
    )
    assert "gke-gcloud-auth-plugin" not in prod.to_json()


def test_the_shipped_stack_passes_the_security_and_cost_packs():
    report = run_check("gcp-prod", ROOT)
    assert report.passed, [f"{d.policy}: {d.message} ({d.name})" for d in report.mandatory]
    # the H100 pool starts empty (components/gcp/node_counts.py): its first model waits
    # for the autoscaler; the CPU pool's three starting nodes (one a zone) leave the
    # gateway's last pods for a fourth; the stack file sets no Hub token for its two Llama
    # servers; the deploy pack says these, and nothing else is advised
    assert sorted(d.policy for d in report.advisory) == [
        "deploy-first-scale-up",
        "deploy-first-scale-up",
        "deploy-gated-models-have-a-token",
        "deploy-gated-models-have-a-token",
    ]
    checked = {r["type"] for r in report.record["resources"]}
    assert {GKE, POOL, BUCKET, KEY} <= checked


def test_the_same_models_and_vector_db_as_on_aws():
    def platform(stack):
        document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
        return document["config"]["llm-infra:platform"]

    aws, gcp = platform("prod"), platform("gcp-prod")
    for section in ("models", "vector_db", "cost", "tags", "environment"):
        assert gcp[section] == aws[section], section
    assert [(p["name"], p["gpu"]) for p in gcp["gpu_pools"]] == [
        (p["name"], p["gpu"]) for p in aws["gpu_pools"]
    ]


# The tests-only dev variant.


def test_dev_is_zonal_with_a_public_endpoint_limited_to_its_ranges(dev):
    cluster = dev.get(GKE, "cluster-gke").inputs
    assert cluster["name"] == "llm-infra-gcp-dev"
    assert cluster["location"] == "us-central1-a"
    assert "nodeLocations" not in cluster
    assert cluster["privateClusterConfig"] == {
        "enablePrivateNodes": True,
        "enablePrivateEndpoint": False,
        "masterGlobalAccessConfig": {"enabled": True},
    }
    assert [b["cidrBlock"] for b in cluster["masterAuthorizedNetworksConfig"]["cidrBlocks"]] == [
        "10.40.0.0/20",
        "10.40.0.0/16",
        "198.51.100.0/24",
    ]
    assert cluster["deletionProtection"] is False
    assert dev.outputs["cluster"]["endpoint"].startswith("https://198.51.100.")


def test_dev_gpus_are_spot_and_scale_to_zero_in_the_clusters_zone(dev):
    gpu = pools(dev)["gpu-standard-pool"]
    assert gpu["nodeConfig"]["spot"] is True
    assert gpu["nodeConfig"]["machineType"] == "g2-standard-8"
    assert gpu["autoscaling"]["totalMinNodeCount"] == 0
    assert gpu["initialNodeCount"] == 0
    assert gpu["nodeLocations"] == ["us-central1-a"]
    assert gpu["location"] == "us-central1-a"
    assert pools(dev)["system-nodes-pool"]["nodeConfig"]["spot"] is False


def test_dev_admins_get_kubernetes_engine_admin(dev):
    admin = dev.get(PROJECT_MEMBER, "cluster-admin-0").inputs
    assert admin["member"] == "group:ml-platform@example.com"
    assert admin["role"] == "roles/container.admin"
    assert admin["project"] == "llm-infra-dev"


def test_the_dev_variant_passes_the_packs():
    report = run_check("gcp-dev", DEV_PROJECT)
    assert report.passed, [f"{d.policy}: {d.message} ({d.name})" for d in report.mandatory]


def test_the_packs_see_gke_resources(tmp_path):
    """The packs read the GKE inputs this platform writes: a dev stack on on-demand GPUs
    kept warm and a prod stack with a public endpoint both fail."""
    document = dev_document()
    pool = document["config"]["llm-infra:platform"]["gpu_pools"][0]
    pool.update(capacity_type="on_demand", min_nodes=1)
    report = run_check("gcp-dev", write_project(tmp_path / "dev", document))
    assert {d.policy for d in report.mandatory} == {"cost-gpu-spot-and-scale-to-zero-outside-prod"}
    assert {d.name for d in report.mandatory} == {"gpu-standard-pool"}

    prod_document = yaml.safe_load((ROOT / "Pulumi.gcp-prod.yaml").read_text())
    prod_document["config"]["llm-infra:platform"]["cluster"].update(
        endpoint_access="public_and_private", public_access_cidrs=["198.51.100.0/24"]
    )
    report = run_check("gcp-prod", write_project(tmp_path / "prod", prod_document, "gcp-prod"))
    assert {(d.policy, d.name) for d in report.mandatory} == {
        ("gke-private-endpoint-in-prod", "cluster-gke")
    }


def test_a10g_is_a_config_error_naming_l4(tmp_path, capsys):
    document = dev_document()
    document["config"]["llm-infra:platform"]["gpu_pools"][0]["gpu"] = "a10g"
    document["config"]["llm-infra:platform"]["cost"]["allowed_gpus"] = ["a10g", "l4"]
    project = write_project(tmp_path, document)
    with pytest.raises(ConfigError) as error:
        plan_stack("gcp-dev", project)
    (issue,) = error.value.issues
    assert str(issue) == (
        "llm-infra:platform.gpu_pools[0].gpu: 'a10g' is not offered on gcp "
        "(GPUs there: l4, a100-40gb, a100-80gb, h100); use l4, the nearest"
    )
    assert main(["--project-dir", str(project), "plan", "--stack", "gcp-dev"]) == 2
    err = capsys.readouterr().err
    assert "'a10g' is not offered on gcp" in err and "use l4, the nearest" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: c.update(admin_principals=["ml-platform@example.com"]),
            "llm-infra:platform.cluster.admin_principals[0]: 'ml-platform@example.com' is not "
            "an IAM member",
        ),
        (
            lambda c: c.update(public_access_cidrs=[f"198.51.{i}.0/24" for i in range(49)]),
            "llm-infra:platform.cluster.public_access_cidrs: with private_access_cidrs and "
            "the VPC's range lists 50 ranges; GKE takes 49",
        ),
    ],
)
def test_gke_cluster_config_errors(change, message):
    document = dev_document()
    platform = copy.deepcopy(document["config"]["llm-infra:platform"])
    change(platform["cluster"])
    with pytest.raises(ConfigError) as error:
        load(platform, gcp_region="us-central1", gcp_project="p")
    assert any(str(issue).startswith(message) for issue in error.value.issues), [
        str(i) for i in error.value.issues
    ]


def test_aws_principals_are_still_accepted_on_aws():
    platform = dev_document()["config"]["llm-infra:platform"]
    platform = {**platform, "cloud": "aws", "region": "us-east-1"}
    platform["network"] = {"availability_zones": ["us-east-1a", "us-east-1b"]}
    platform["cluster"] = {
        **platform["cluster"],
        "admin_principals": ["arn:aws:iam::123456789012:role/admin"],
    }
    assert load(platform).cluster.admin_principals == ("arn:aws:iam::123456789012:role/admin",)


# Variations built directly.


def build(platform):
    config = load(platform, gcp_region="us-central1", gcp_project="p")

    def body():
        platform = build_gcp(config, {"team": "ml"})
        assert isinstance(platform.cluster, KubernetesCluster)

    return run_components(body, stack="t", region="us-central1", cloud="gcp")


def dev_platform():
    return copy.deepcopy(dev_document()["config"]["llm-infra:platform"])


def test_a_pool_with_zones_runs_only_there():
    platform = dev_platform()
    platform["environment"] = "staging"
    platform["cluster"] = {"system_pool": {"min_nodes": 1, "max_nodes": 3}}
    platform["gpu_pools"][0]["zones"] = ["us-central1-b"]
    plan = build(platform)
    assert plan.get(GKE, "cluster-gke").inputs["location"] == "us-central1"  # regional
    found = pools(plan)
    assert found["gpu-standard-pool"]["nodeLocations"] == ["us-central1-b"]
    assert found["system-nodes-pool"]["nodeLocations"] == ["us-central1-a", "us-central1-b"]


def test_unpinned_zones_are_looked_up_from_the_region():
    platform = dev_platform()
    platform["network"] = {"cidr": "10.40.0.0/16", "zone_count": 3}
    plan = build(platform)
    assert plan.get(GKE, "cluster-gke").inputs["location"] == "us-central1-a"
    platform["environment"] = "staging"
    platform["cluster"] = {"system_pool": {"min_nodes": 1, "max_nodes": 3}}
    plan = build(platform)
    assert plan.get(GKE, "cluster-gke").inputs["nodeLocations"] == [
        "us-central1-a",
        "us-central1-b",
        "us-central1-c",
    ]


def test_no_snapshot_bucket_without_a_vector_db_and_no_gpu_pools_without_config():
    platform = dev_platform()
    platform.update(gpu_pools=[], models=[], vector_db={"enabled": False})
    plan = build(platform)
    assert [b.name for b in plan.of_type("llm-infra:gcp:Bucket")] == ["models"]
    assert [p.name for p in plan.of_type(POOL)] == ["system-nodes-pool"]


# What a first `pulumi up` on a fresh project needs.

SERVICE = "gcp:projects/service:Service"
IDENTITY = "gcp:projects/serviceIdentity:ServiceIdentity"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
# The API each GCP resource type calls, by the provider module it is in.
API_OF_MODULE = {
    "compute": "compute.googleapis.com",
    "container": "container.googleapis.com",
    "kms": "cloudkms.googleapis.com",
    "serviceaccount": "iam.googleapis.com",
    "storage": "storage.googleapis.com",
    # project IAM policies are read and written through Cloud Resource Manager
    "projects": "cloudresourcemanager.googleapis.com",
    # the gateway's private zone and its IAM (gateway.dns_zone)
    "dns": "dns.googleapis.com",
}


def waits_for(plan, urn):
    """Every resource `urn` waits for: its dependencies, its provider and, for a
    component it depends on, that component's children, transitively."""
    seen: set[str] = set()
    todo = [urn]
    while todo:
        resource = plan.by_urn(todo.pop())
        found = [*resource.dependencies, *([resource.provider] if resource.provider else [])]
        for dep in found:
            if dep in seen:
                continue
            seen.add(dep)
            todo.append(dep)
            todo.extend(child.urn for child in plan.children(dep))
    return seen


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_every_gcp_resource_waits_for_the_api_it_calls(request, stack):
    # A fresh project has the compute, container, cloudkms and iam APIs off; every call
    # fails with "API has not been used in project ..." until gcp.projects.Service enables
    # it (terraform-provider-google google_project_service).
    plan = request.getfixturevalue(stack)
    services = {r.inputs["service"]: r.urn for r in plan.of_type(SERVICE)}
    checked = 0
    for resource in plan.resources:
        if not resource.custom or not resource.type.startswith("gcp:"):
            continue
        if resource.type in (SERVICE, IDENTITY):
            continue
        module = resource.type.split(":")[1].split("/")[0]
        assert services[API_OF_MODULE[module]] in waits_for(plan, resource.urn), resource.name
        checked += 1
    assert checked > 30
    # and the cluster waits for every API the platform uses (logging, monitoring, …)
    assert set(services.values()) <= waits_for(plan, plan.get(GKE, "cluster-gke").urn)


def test_kubernetes_resources_wait_for_the_container_api(prod):
    container = prod.get(SERVICE, "apis-container").urn
    kubernetes = [r for r in prod.resources if r.type.startswith("kubernetes:")]
    assert kubernetes
    assert all(container in waits_for(prod, r.urn) for r in kubernetes)


def test_apis_stay_on_when_the_stack_is_destroyed(prod):
    services = prod.of_type(SERVICE)
    assert {r.inputs["service"] for r in services} >= {
        "compute.googleapis.com",
        "container.googleapis.com",
        "cloudkms.googleapis.com",
        "iam.googleapis.com",
        "iamcredentials.googleapis.com",
        "storage.googleapis.com",
        "logging.googleapis.com",
        "monitoring.googleapis.com",
    }
    assert all(r.inputs["disableOnDestroy"] is False for r in services)


def test_kms_grants_name_service_agents_that_exist_first(prod):
    # GKE (secrets) and Compute Engine (boot disks, volumes) both need the key before the
    # cluster and its disks (GKE docs, "Using customer-managed encryption keys"; cloud-
    # foundation-fabric modules/project/cmek.tf: container.googleapis.com -> compute,
    # container-engine-robot).
    secrets = prod.get(KEY_MEMBER, "cluster-secrets-key-gke")
    assert secrets.property_dependencies["member"] == [prod.get(IDENTITY, "apis-gke-agent").urn]
    assert secrets.urn in prod.get(GKE, "cluster-gke").options.depends_on
    # No primary agent for Compute Engine: its agent comes with the API's enablement.
    disks = prod.get(KEY_MEMBER, "cluster-disks-key-compute")
    assert prod.get(SERVICE, "apis-compute").urn in disks.property_dependencies["member"]
    # The Cloud Storage agent comes from the lookup that creates it, after the API is on.
    storage = prod.get(SERVICE, "apis-storage").urn
    for name in ("models-key-user", "vector-snapshots-key-user"):
        assert storage in prod.get(KEY_MEMBER, name).property_dependencies["member"], name


# GPU pools never start past their max: GKE's initial_node_count is per zone.


def started(pool):
    return pool.inputs["initialNodeCount"] * len(pool.inputs["nodeLocations"])


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_no_pool_of_a_shipped_stack_starts_more_nodes_than_its_max(request, stack):
    plan = request.getfixturevalue(stack)
    found = plan.of_type(POOL)
    assert len(found) >= 2
    for pool in found:
        assert started(pool) <= pool.inputs["autoscaling"]["totalMaxNodeCount"], pool.name


def test_the_shipped_h100_pool_starts_empty_instead_of_with_three_nodes(prod):
    large = prod.get(POOL, "gpu-large-pool").inputs
    assert (
        large["autoscaling"]["totalMinNodeCount"],
        large["autoscaling"]["totalMaxNodeCount"],
    ) == (1, 2)
    assert len(large["nodeLocations"]) == 3
    assert large["initialNodeCount"] == 0
    assert prod.get(POOL, "gpu-standard-pool").inputs["initialNodeCount"] == 1  # 3 ≤ 4
    assert prod.get(POOL, "system-nodes-pool").inputs["initialNodeCount"] == 1  # 3 ≤ 3


ZONE_NAMES = ("us-central1-a", "us-central1-b", "us-central1-c")


@st.composite
def gcp_platforms(draw):
    """Valid GCP stacks: any environment, 1 to 3 zones, 1 to 3 GPU pools of any bounds,
    each in the network's zones or a subset of them."""
    zones = draw(st.lists(st.sampled_from(ZONE_NAMES), min_size=1, max_size=3, unique=True))
    pools = []
    for index in range(draw(st.integers(1, 3))):
        min_nodes = draw(st.integers(0, 4))
        gpu, gpus = draw(st.sampled_from([("l4", 1), ("l4", 4), ("h100", 8), ("a100-80gb", 2)]))
        pool = {
            "name": f"pool-{index}",
            "gpu": gpu,
            "gpus_per_node": gpus,
            "min_nodes": min_nodes,
            "max_nodes": min_nodes + draw(st.integers(0, 4)) or 1,
        }
        if draw(st.booleans()):
            pool["zones"] = draw(st.lists(st.sampled_from(zones), min_size=1, unique=True))
        pools.append(pool)
    system_min = draw(st.integers(1, 3))
    return {
        "cloud": "gcp",
        "environment": draw(st.sampled_from(["dev", "staging", "prod"])),
        "region": "us-central1",
        "network": {"cidr": "10.40.0.0/16", "availability_zones": sorted(zones)},
        "cluster": {
            "endpoint_access": "private",
            "system_pool": {
                "min_nodes": system_min,
                "max_nodes": system_min + draw(st.integers(0, 3)),
            },
        },
        "gpu_pools": pools,
        "vector_db": {"enabled": False},
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(platform=gcp_platforms())
def test_no_pool_of_a_generated_stack_starts_more_nodes_than_its_max(platform):
    plan = build(platform)
    found = plan.of_type(POOL)
    assert len(found) == len(platform["gpu_pools"]) + 1
    for pool in found:
        bounds = pool.inputs["autoscaling"]
        assert started(pool) <= bounds["totalMaxNodeCount"], pool.name
        assert bounds["totalMinNodeCount"] <= bounds["totalMaxNodeCount"]


# What workloads wait for, and the storage they claim.


def test_cpu_workloads_wait_for_the_system_pool_and_the_control_plane_firewall():
    config = load(dev_platform(), gcp_region="us-central1", gcp_project="p")

    def body():
        cluster = build_gcp(config, {}).cluster
        assert cluster is not None
        pulumi.export("cpu", [r.urn for r in cluster.cpu_nodes_ready()])
        pulumi.export("gpu", [r.urn for r in cluster.gpu_nodes_ready("standard")])
        pulumi.export("storage", [r.urn for r in cluster.storage_ready()])

    plan = run_components(body, stack="t", region="us-central1", cloud="gcp")
    firewall = plan.get("gcp:compute/firewall:Firewall", "cluster-control-plane-ingress").urn
    system = plan.get(POOL, "system-nodes-pool").urn
    # KEDA's webhooks and metrics API run on the CPU pool; what calls them (ScaledObjects,
    # the HPAs KEDA makes) waits for the CPU nodes, and so for the rule that lets the
    # control plane reach them.
    assert plan.outputs["cpu"] == [system, firewall]
    assert plan.outputs["gpu"] == [plan.get(POOL, "gpu-standard-pool").urn]
    assert plan.outputs["storage"] == [
        plan.get(GKE, "cluster-gke").urn,
        plan.get(STORAGE_CLASS, "cluster-pd-balanced").urn,
        system,
        firewall,
    ]


def claimed_storage_classes(plan):
    """Every storage class a claim of the plan names: StatefulSet claim templates, PVCs,
    and Helm values' volumeClaimTemplates (None where a claim names none)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "volumeClaimTemplate" in node:
                found.append(node["volumeClaimTemplate"].get("spec", {}).get("storageClassName"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for resource in plan.resources:
        if resource.type == "kubernetes:apps/v1:StatefulSet":
            for template in resource.inputs["spec"].get("volumeClaimTemplates", []):
                found.append(template["spec"].get("storageClassName"))
        elif resource.type == "kubernetes:core/v1:PersistentVolumeClaim":
            found.append(resource.inputs["spec"].get("storageClassName"))
        elif resource.type == "kubernetes:helm.sh/v3:Release":
            walk(resource.inputs.get("values", {}))
    return found


def test_exactly_one_default_class_and_every_claim_names_the_encrypted_one(prod):
    # GKE's own default class stays the only default; a claim that names no class would
    # get a disk without the platform's key, so none may (Qdrant's volumes, Prometheus's).
    ours = prod.get(STORAGE_CLASS, "cluster-pd-balanced").inputs
    assert ours["metadata"]["annotations"] == {
        "storageclass.kubernetes.io/is-default-class": "false"
    }
    assert len(prod.of_type(STORAGE_CLASS)) == 1
    claimed = claimed_storage_classes(prod)
    assert len(claimed) >= 2  # Qdrant and Prometheus
    assert set(claimed) == {"pd-balanced-encrypted"}


def test_a_pool_holding_a_multi_node_replica_gets_compact_placement_alone(shipped_plan, tmp_path):
    document = with_a_multi_node_replica("gcp-prod", "us-central1-b")
    plan = plan_document(tmp_path, document, stack="gcp-prod")
    after = {r.name: r for r in plan.of_type(POOL)}
    compact = after.pop("gpu-group-pool")
    # pulumi_gcp container.NodePool placement_policy; GKE compact placement, one zone
    # (https://cloud.google.com/kubernetes-engine/docs/how-to/compact-placement)
    assert compact.inputs["placementPolicy"] == {"type": "COMPACT"}
    assert compact.inputs["nodeLocations"] == ["us-central1-b"]
    assert compact.inputs["nodeConfig"]["machineType"] == "a3-highgpu-8g"
    assert compact.options.replace_on_changes == ["placementPolicy"]
    # every other pool as the shipped stack has it
    before = {r.name: r.inputs for r in shipped_plan("gcp-prod").of_type(POOL)}
    assert {name: r.inputs for name, r in after.items()} == before
    assert all("placementPolicy" not in inputs for inputs in before.values())
