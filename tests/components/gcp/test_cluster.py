import json
from typing import Any

import pulumi
import pytest

from components.enums import ControlPlaneLog, EndpointAccess
from components.gcp.bucket import Bucket, BucketArgs
from components.gcp.cluster import (
    CONTROL_PLANE_PORTS,
    NODE_ROLES,
    STORAGE_CLASS,
    Cluster,
    ClusterArgs,
    control_plane_source_ranges,
)
from components.gcp.maintenance import MaintenanceWindow
from components.seam import GPU_TOLERATION, KubernetesCluster
from tests.harness import run_components

GKE = "gcp:container/cluster:Cluster"
KEY = "gcp:kms/cryptoKey:CryptoKey"
KEY_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
PROJECT = "offline-project"
NUMBER = "123456789012"
ZONES = ("us-central1-a", "us-central1-b", "us-central1-c")
NETWORK = "projects/offline-project/global/networks/net-vpc"
SUBNET = "projects/offline-project/regions/us-central1/subnetworks/net-nodes"
GKE_AGENT = f"serviceAccount:service-{NUMBER}@container-engine-robot.iam.gserviceaccount.com"


def build(*, prod: bool, reveal_kubeconfig: bool = False, **overrides):
    """`reveal_kubeconfig`: also export the kubeconfig in clear (`kubeconfig_text`), for
    the tests of what the provider connects with."""
    args = {
        "cluster_name": "llm-test",
        "kubernetes_version": "1.34",
        "region": "us-central1",
        "zones": ZONES,
        "regional": prod,
        "endpoint_access": EndpointAccess.PRIVATE if prod else EndpointAccess.PUBLIC_AND_PRIVATE,
        "nodes_cidr": "10.30.0.0/20",
        "public_access_cidrs": () if prod else ("198.51.100.0/24",),
        "admin_principals": ("group:ml-platform@example.com",),
        "keep": prod,
        "labels": {"team": "ml", "llm-infra-stack": "Test.Stack"},
        **overrides,
    }

    def body():
        cluster = Cluster(
            "cluster",
            ClusterArgs(**args),
            network_id=NETWORK,
            subnet_id=SUBNET,
            project_id=PROJECT,
            project_number=NUMBER,
            gke_service_agent=GKE_AGENT,
        )
        pulumi.export("kubeconfig", cluster.kubeconfig)
        if reveal_kubeconfig:
            pulumi.export("kubeconfig_text", pulumi.Output.unsecret(cluster.kubeconfig))
        pulumi.export("issuer", cluster.oidc_issuer_url)
        pulumi.export("pool", cluster.workload_pool)
        pulumi.export("endpoint", cluster.endpoint)
        pulumi.export("zones", cluster.node_zones)
        pulumi.export("seam", isinstance(cluster, KubernetesCluster))
        pulumi.export("selector", dict(cluster.gpu_node_selector("large")))
        pulumi.export("tolerations", [t.as_dict() for t in cluster.gpu_tolerations("large")])
        binding = cluster.bind_workload_identity(
            "vllm", namespace="serving", service_account="vllm"
        )
        pulumi.export("binding", dict(binding.annotations))
        pulumi.export("storage_ready", [r.urn for r in cluster.storage_ready()])
        pulumi.export("cpu_ready", [r.urn for r in cluster.cpu_nodes_ready()])

    return run_components(body, region="us-central1", cloud="gcp")


@pytest.fixture(scope="module")
def dev():
    return build(prod=False)


@pytest.fixture(scope="module")
def prod():
    return build(prod=True)


def gke(plan):
    return plan.get(GKE, "cluster-gke").inputs


def test_children_are_parented_and_named_after_the_component(dev):
    component = dev.get("llm-infra:gcp:Cluster", "cluster")
    children = dev.children(component.urn)
    assert children and all(c.name.startswith("cluster-") for c in children)
    assert {c.name for c in children} >= {
        "cluster-key-ring",
        "cluster-secrets-key",
        "cluster-secrets-key-gke",
        "cluster-disks-key",
        "cluster-disks-key-compute",
        "cluster-nodes",
        "cluster-gke",
        "cluster-admin-0",
        "cluster-k8s",
        "cluster-pd-balanced",
        "cluster-vllm",
        "cluster-control-plane-ingress",
    }


def test_nodes_are_private_and_the_prod_endpoint_is_private_too(prod, dev):
    # GKE docs, "Access to cluster endpoints": without global access the private endpoint
    # answers only clients in the cluster's region
    assert gke(prod)["privateClusterConfig"] == {
        "enablePrivateNodes": True,
        "enablePrivateEndpoint": True,
        "masterGlobalAccessConfig": {"enabled": True},
    }
    assert gke(dev)["privateClusterConfig"] == {
        "enablePrivateNodes": True,
        "enablePrivateEndpoint": False,
        "masterGlobalAccessConfig": {"enabled": True},
    }
    assert prod.outputs["endpoint"] == "172.16.0.2"
    assert dev.outputs["endpoint"].startswith("198.51.100.")


def test_the_networks_where_pulumi_up_runs_are_authorized_on_a_private_endpoint():
    from components.enums import EndpointAccess
    from components.gcp.cluster import authorized_networks

    config = authorized_networks(
        EndpointAccess.PRIVATE, "10.30.0.0/20", (), ("10.30.0.0/16", "192.168.8.0/24")
    )
    blocks: Any = config.cidr_blocks
    assert [(b.cidr_block, b.display_name) for b in blocks] == [
        ("10.30.0.0/20", "nodes"),
        ("10.30.0.0/16", "deploy-0"),
        ("192.168.8.0/24", "deploy-1"),
    ]


def test_authorized_networks_are_the_node_subnet_and_public_ranges_only_when_public(prod, dev):
    assert gke(prod)["masterAuthorizedNetworksConfig"] == {
        "cidrBlocks": [{"cidrBlock": "10.30.0.0/20", "displayName": "nodes"}],
        "gcpPublicCidrsAccessEnabled": False,
    }
    blocks = gke(dev)["masterAuthorizedNetworksConfig"]["cidrBlocks"]
    assert [b["cidrBlock"] for b in blocks] == ["10.30.0.0/20", "198.51.100.0/24"]


def test_workload_identity_pool_is_the_projects(dev):
    assert gke(dev)["workloadIdentityConfig"] == {"workloadPool": f"{PROJECT}.svc.id.goog"}
    assert dev.outputs["pool"] == f"{PROJECT}.svc.id.goog"


def test_shielded_nodes_dataplane_v2_and_release_channel(dev):
    inputs = gke(dev)
    assert inputs["enableShieldedNodes"] is True
    assert inputs["datapathProvider"] == "ADVANCED_DATAPATH"
    assert "networkPolicy" not in inputs  # Dataplane V2 enforces policy itself
    assert inputs["releaseChannel"] == {"channel": "REGULAR"}
    assert inputs["minMasterVersion"] == "1.34"
    assert inputs["enableLegacyAbac"] is False


def test_secrets_are_encrypted_with_a_rotating_key_the_gke_agent_may_use(dev):
    plan = dev
    key = plan.get(KEY, "cluster-secrets-key")
    assert key.inputs["rotationPeriod"] == "7776000s"
    encryption = gke(plan)["databaseEncryption"]
    assert encryption["state"] == "ENCRYPTED"
    assert encryption["keyName"].startswith(
        f"projects/{PROJECT}/locations/us-central1/keyRings/cluster-key-ring-"
    )
    assert "/cryptoKeys/cluster-secrets-key-" in encryption["keyName"]
    use = plan.get(KEY_MEMBER, "cluster-secrets-key-gke")
    assert use.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    assert use.inputs["member"] == (
        f"serviceAccount:service-{NUMBER}@container-engine-robot.iam.gserviceaccount.com"
    )
    assert use.inputs["cryptoKeyId"] == encryption["keyName"]
    assert use.urn in plan.get(GKE, "cluster-gke").options.depends_on


def test_the_disks_key_is_usable_by_compute_engine_only(dev):
    use = dev.get(KEY_MEMBER, "cluster-disks-key-compute")
    assert use.inputs["member"] == (
        f"serviceAccount:service-{NUMBER}@compute-system.iam.gserviceaccount.com"
    )
    assert use.property_dependencies["cryptoKeyId"] == [dev.get(KEY, "cluster-disks-key").urn]


def test_nodes_run_as_a_least_privilege_account(dev):
    account = dev.get("gcp:serviceaccount/account:Account", "cluster-nodes")
    assert account.inputs["accountId"] == "llm-test-nodes"
    grants = {
        r.name.removeprefix("cluster-nodes-"): r.inputs
        for r in dev.of_type(PROJECT_MEMBER)
        if r.name.startswith("cluster-nodes-")
    }
    assert (
        {g["role"] for g in grants.values()}
        == set(NODE_ROLES.values())
        == {
            "roles/logging.logWriter",
            "roles/monitoring.metricWriter",
            "roles/monitoring.viewer",
            "roles/stackdriver.resourceMetadata.writer",
            "roles/artifactregistry.reader",
        }
    )
    email = f"llm-test-nodes@{PROJECT}.iam.gserviceaccount.com"
    assert all(g["member"] == f"serviceAccount:{email}" for g in grants.values())
    assert all(g["project"] == PROJECT for g in grants.values())
    # the temporary default pool runs as that account too, hardened
    node_config = gke(dev)["nodeConfig"]
    assert node_config["serviceAccount"] == email
    assert node_config["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert node_config["shieldedInstanceConfig"]["enableSecureBoot"] is True


def test_default_pool_is_removed_and_its_settings_never_replace_the_cluster(dev):
    assert gke(dev)["removeDefaultNodePool"] is True
    assert "nodeConfig" in dev.get(GKE, "cluster-gke").options.ignore_changes


def test_regional_in_prod_over_the_zones_zonal_in_dev(prod, dev):
    assert gke(prod)["location"] == "us-central1"
    assert gke(prod)["nodeLocations"] == list(ZONES)
    assert prod.outputs["zones"] == list(ZONES)
    assert gke(dev)["location"] == "us-central1-a"
    assert "nodeLocations" not in gke(dev)
    assert dev.outputs["zones"] == ["us-central1-a"]


def test_prod_protects_the_cluster_and_its_keys(prod, dev):
    assert gke(prod)["deletionProtection"] is True
    assert gke(dev)["deletionProtection"] is False
    for name in ("cluster-key-ring", "cluster-secrets-key", "cluster-disks-key"):
        resource = next(r for r in prod.resources if r.name == name)
        assert resource.options.protect and resource.options.retain_on_delete
        resource = next(r for r in dev.resources if r.name == name)
        assert not resource.options.protect


def test_vpc_native_on_the_subnets_secondary_ranges(dev):
    inputs = gke(dev)
    assert inputs["network"] == NETWORK and inputs["subnetwork"] == SUBNET
    assert inputs["networkingMode"] == "VPC_NATIVE"
    assert inputs["ipAllocationPolicy"] == {
        "clusterSecondaryRangeName": "pods",
        "servicesSecondaryRangeName": "services",
    }


def test_logging_maps_the_configured_streams():
    plan = build(prod=False, control_plane_logs=(ControlPlaneLog.AUDIT, ControlPlaneLog.API))
    assert gke(plan)["loggingConfig"]["enableComponents"] == [
        "SYSTEM_COMPONENTS",
        "WORKLOADS",
        "APISERVER",
    ]


def test_labels_are_valid_gcp_labels(dev):
    labels = gke(dev)["resourceLabels"]
    assert labels == {"team": "ml", "llm-infra-stack": "test_stack"}
    assert dev.get(KEY, "cluster-secrets-key").inputs["labels"] == labels


def test_admins_get_kubernetes_engine_admin(dev):
    admin = dev.get(PROJECT_MEMBER, "cluster-admin-0").inputs
    assert admin == {
        "project": PROJECT,
        "role": "roles/container.admin",
        "member": "group:ml-platform@example.com",
    }


def test_the_platforms_storage_class_is_encrypted_pd_balanced_and_not_a_second_default(dev):
    storage = dev.get("kubernetes:storage.k8s.io/v1:StorageClass", "cluster-pd-balanced")
    assert storage.inputs["metadata"]["name"] == STORAGE_CLASS
    # GKE keeps its own default class (standard-rwo); with two defaults a claim without a
    # class gets the newest (kubernetes pkg/volume/util/storageclass.go, GetDefaultClass).
    # Ours is not a default; the platform's claims name it (the seam's default_storage_class).
    assert storage.inputs["metadata"]["annotations"] == {
        "storageclass.kubernetes.io/is-default-class": "false"
    }
    assert storage.inputs["provisioner"] == "pd.csi.storage.gke.io"
    assert storage.inputs["parameters"]["type"] == "pd-balanced"
    assert (
        "/cryptoKeys/cluster-disks-key-" in storage.inputs["parameters"]["disk-encryption-kms-key"]
    )
    assert storage.provider == dev.get("pulumi:providers:kubernetes", "cluster-k8s").urn
    # volumes are created only once Compute Engine may use the key
    assert dev.get(KEY_MEMBER, "cluster-disks-key-compute").urn in storage.dependencies
    assert gke(dev)["addonsConfig"]["gcePersistentDiskCsiDriverConfig"] == {"enabled": True}


def test_kubeconfig_is_a_secret_and_never_reaches_the_record(dev):
    assert dev.outputs["kubeconfig"] == "[secret]"
    provider = dev.get("pulumi:providers:kubernetes", "cluster-k8s")
    assert provider.inputs["kubeconfig"] == "[secret]"
    assert "gke-gcloud-auth-plugin" not in dev.to_json()


def test_the_seam(dev):
    assert dev.outputs["seam"] is True
    assert dev.outputs["issuer"] == (
        f"https://container.googleapis.com/v1/projects/{PROJECT}/locations/us-central1-a/"
        "clusters/llm-test"
    )
    assert dev.outputs["selector"] == {"llm-infra.io/pool": "large"}
    assert dev.outputs["tolerations"] == [GPU_TOLERATION.as_dict()]
    assert dev.outputs["binding"] == {
        "iam.gke.io/gcp-service-account": f"llm-test-vllm@{PROJECT}.iam.gserviceaccount.com"
    }


def test_workload_identities_wait_for_the_clusters_pool(dev):
    member = dev.get(
        "gcp:serviceaccount/iAMMember:IAMMember", "cluster-vllm-workload-identity-user"
    )
    assert member.inputs["member"] == f"serviceAccount:{PROJECT}.svc.id.goog[serving/vllm]"
    assert member.property_dependencies["member"] == [dev.get(GKE, "cluster-gke").urn]
    assert member.parent == dev.get("llm-infra:gcp:WorkloadIdentity", "cluster-vllm").urn


def build_with_buckets(**access):
    def body():
        cluster = Cluster(
            "cluster",
            ClusterArgs(
                cluster_name="llm-test",
                kubernetes_version="1.34",
                region="us-central1",
                zones=ZONES,
                regional=False,
                endpoint_access=EndpointAccess.PRIVATE,
                nodes_cidr="10.30.0.0/20",
            ),
            network_id=NETWORK,
            subnet_id=SUBNET,
            project_id=PROJECT,
            project_number=NUMBER,
            gke_service_agent=GKE_AGENT,
        )
        cluster.attach_buckets(
            {
                key: Bucket(name, BucketArgs(purpose=key, location="us-central1"))
                for key, name in (("models", "models"), ("vector_snapshots", "vector-snapshots"))
            }
        )
        cluster.bind_workload_identity(
            "qdrant-snapshots",
            namespace="llm-data",
            service_account="qdrant-snapshots",
            write_buckets=("vector_snapshots",),
        )
        cluster.bind_workload_identity(
            "llama-weights",
            namespace="llm-serving",
            service_account="llama",
            read_buckets=("models",),
        )
        if access:
            cluster.bind_workload_identity(
                "other", namespace="llm-serving", service_account="other", **access
            )

    return run_components(body, region="us-central1", cloud="gcp")


def test_bound_identities_get_only_the_bucket_grants_they_ask_for():
    plan = build_with_buckets()
    members = {m.name: m for m in plan.of_type(BUCKET_MEMBER)}
    assert set(members) == {
        "cluster-qdrant-snapshots-vector-snapshots-read-write",
        "cluster-llama-weights-models-read",
    }
    for name, bucket, account, role in (
        (
            "cluster-qdrant-snapshots-vector-snapshots-read-write",
            "vector-snapshots",
            "cluster-qdrant-snapshots-account",
            "roles/storage.objectUser",
        ),
        (
            "cluster-llama-weights-models-read",
            "models",
            "cluster-llama-weights-account",
            "roles/storage.objectViewer",
        ),
    ):
        member = members[name]
        assert member.inputs["role"] == role
        assert member.property_dependencies["bucket"] == [
            plan.get("gcp:storage/bucket:Bucket", f"{bucket}-bucket").urn
        ]
        assert member.property_dependencies["member"] == [
            plan.get("gcp:serviceaccount/account:Account", account).urn
        ]
        assert member.inputs["member"].startswith("serviceAccount:")


def test_an_unknown_bucket_key_names_it_and_the_known_ones():
    with pytest.raises(Exception, match=r"unknown bucket 'weights'.*models, vector_snapshots"):
        build_with_buckets(write_buckets=("weights",))


def test_claims_wait_for_the_persistent_disk_driver_and_the_class(dev):
    # The PD CSI driver is a GKE add-on (addons_config), there once the cluster is.
    assert dev.outputs["storage_ready"] == [
        dev.get(GKE, "cluster-gke").urn,
        dev.get("kubernetes:storage.k8s.io/v1:StorageClass", "cluster-pd-balanced").urn,
    ]
    # the firewall rule and the nodes come from the platform (attach_cpu_nodes)
    assert dev.outputs["cpu_ready"] == []


def test_the_control_plane_reaches_keda_on_its_ports():
    # GKE's own rule lets a private control plane open 443 and 10250 only (terraform-google-
    # kubernetes-engine firewall.tf `shadow_allow_master`), and webhooks are called on the
    # pod's port (kubernetes/kubernetes#79739). KEDA 2.18.1: metrics server on 6443 (values.yaml
    # service.portHttpsTarget), admission webhooks on 9443 (templates/webhooks/
    # deployment.yaml, `webhooks.port | default 9443`).
    plan = build(prod=True)
    rule = plan.get("gcp:compute/firewall:Firewall", "cluster-control-plane-ingress").inputs
    assert rule["direction"] == "INGRESS"
    assert rule["allows"] == [{"protocol": "tcp", "ports": ["6443", "9443"]}]
    assert rule["network"] == NETWORK
    # Private Service Connect (no master_ipv4_cidr_block): the control plane's endpoint is
    # in the node subnet (terraform-google-kubernetes-engine private-cluster
    # `cluster_endpoint_for_nodes`).
    assert rule["sourceRanges"] == ["10.30.0.0/20"]
    assert rule["targetServiceAccounts"] == [f"llm-test-nodes@{PROJECT}.iam.gserviceaccount.com"]
    assert "masterIpv4CidrBlock" not in gke(plan)["privateClusterConfig"]


def test_the_firewall_ports_were_read_from_the_charts_the_platform_pins():
    """The ports above are those of these chart versions: a version change re-reads them."""
    from workloads.autoscaling import CHART_VERSION
    from workloads.monitoring import STACK_VERSION

    assert CHART_VERSION == "2.18.1"
    # kube-prometheus-stack 78.3.2 values.yaml: the operator's and its admission webhook's
    # tls.internalPort are 10250 "to work out-of-the-box in GKE private clusters": no 8443.
    assert STACK_VERSION == "78.3.2"
    # the gateway's webhooks, read at these versions; cert-manager's webhook is on 10250
    from workloads import certificates, gateway

    assert (gateway.EG_VERSION, gateway.AIGW_VERSION) == ("v1.8.3", "v1.1.0")
    assert certificates.VERSION == "v1.21.1"
    assert CONTROL_PLANE_PORTS["ai-gateway-webhook"] == 9443
    assert set(CONTROL_PLANE_PORTS.values()) == {6443, 9443}


def test_control_plane_source_ranges():
    assert control_plane_source_ranges("172.16.0.0/28", "10.30.0.0/20") == ["172.16.0.0/28"]
    assert control_plane_source_ranges(None, "10.30.0.0/20") == ["10.30.0.0/20"]


def test_upgrades_wait_for_the_weekly_maintenance_window(dev):
    # GKE docs, "Maintenance windows and exclusions": auto-upgrades of the control plane and
    # nodes respect the window; REGULAR would otherwise upgrade (and reimage GPU nodes)
    # whenever GKE chooses.
    assert gke(dev)["maintenancePolicy"] == {
        "recurringWindow": {
            "startTime": "2024-01-07T01:00:00Z",
            "endTime": "2024-01-07T13:00:00Z",
            "recurrence": "FREQ=WEEKLY;BYDAY=SU",
        }
    }
    plan = build(
        prod=False,
        maintenance_window=MaintenanceWindow(("wednesday",), "03:00", 12),
    )
    assert gke(plan)["maintenancePolicy"]["recurringWindow"] == {
        "startTime": "2024-01-03T03:00:00Z",
        "endTime": "2024-01-03T15:00:00Z",
        "recurrence": "FREQ=WEEKLY;BYDAY=WE",
    }


def test_every_gcp_resource_is_created_in_the_project_given(dev):
    projects = {
        r.name: r.inputs.get("project")
        for r in dev.resources
        if r.type.startswith("gcp:") and "project" in r.inputs
    }
    assert projects and set(projects.values()) == {PROJECT}
    for type_ in (
        GKE,
        "gcp:kms/keyRing:KeyRing",
        "gcp:serviceaccount/account:Account",
        "gcp:compute/firewall:Firewall",
    ):
        assert all(r.inputs["project"] == PROJECT for r in dev.of_type(type_)), type_


@pytest.fixture(scope="module")
def prod_dns():
    return build(prod=True, dns_endpoint=True, reveal_kubeconfig=True)


def test_the_dns_endpoint_is_off_unless_asked_and_then_open_to_outside_traffic(prod, prod_dns):
    assert "controlPlaneEndpointsConfig" not in gke(prod)
    # GKE docs, "About network isolation": the DNS-based endpoint is authorized by IAM and
    # reachable from outside the VPC only with allow_external_traffic.
    assert gke(prod_dns)["controlPlaneEndpointsConfig"] == {
        "dnsEndpointConfig": {"allowExternalTraffic": True}
    }
    # the IP endpoints keep their settings: private, with the same authorized networks
    assert gke(prod_dns)["privateClusterConfig"] == gke(prod)["privateClusterConfig"]
    assert (
        gke(prod_dns)["masterAuthorizedNetworksConfig"]
        == gke(prod)["masterAuthorizedNetworksConfig"]
    )


def test_with_the_dns_endpoint_the_provider_connects_through_it_without_a_cluster_ca(prod_dns):
    """The DNS endpoint serves a publicly trusted certificate: google-github-actions/
    get-gke-credentials drops the CA for `*.gke.goog` endpoints."""
    (cluster,) = json.loads(prod_dns.outputs["kubeconfig_text"])["clusters"]
    server = cluster["cluster"]["server"]
    assert server.startswith("https://gke-") and server.endswith(".us-central1.gke.goog")
    assert "certificate-authority-data" not in cluster["cluster"]
    # without it, the IP endpoint and the cluster's CA
    ip_only = build(prod=True, reveal_kubeconfig=True)
    (ip,) = json.loads(ip_only.outputs["kubeconfig_text"])["clusters"]
    assert ip["cluster"]["server"] == f"https://{ip_only.outputs['endpoint']}"
    assert ip["cluster"]["certificate-authority-data"]


def test_until_gke_reports_the_dns_name_the_provider_keeps_the_ip_endpoint_and_its_ca():
    """A preview of the update that turns the DNS endpoint on may read the old, empty
    config: the program must not fail there."""
    from types import SimpleNamespace

    from components.gcp.cluster import api_server, dns_name

    empty = SimpleNamespace(dns_endpoint_config=SimpleNamespace(endpoint=None))
    assert dns_name(empty) == dns_name(None) == ""
    assert api_server("", "172.16.0.2", "Q0E=") == ("172.16.0.2", "Q0E=")
    named = SimpleNamespace(dns_endpoint_config=SimpleNamespace(endpoint="gke-1.x.gke.goog"))
    assert api_server(dns_name(named), "172.16.0.2", "Q0E=") == ("gke-1.x.gke.goog", "")
