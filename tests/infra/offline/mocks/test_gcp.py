import base64
import re

import pulumi
import pytest

from infra.offline.mocks import MockCallError, MockContext, PlanMocks, gcp

CTX = MockContext(project="llm-infra", stack="t", region="us-central1", gcp_project="p-1")


def test_gke_clusters_look_like_gke():
    rid, state = gcp.resource(
        CTX,
        "gcp:container/cluster:Cluster",
        "c-gke",
        {
            "name": "llm-t",
            "location": "us-central1",
            "privateClusterConfig": {"enablePrivateNodes": True, "enablePrivateEndpoint": False},
            "minMasterVersion": "1.34",
        },
    )
    assert rid == "projects/p-1/locations/us-central1/clusters/llm-t"
    assert state["selfLink"] == f"https://container.googleapis.com/v1/{rid}"
    assert re.fullmatch(r"198\.51\.100\.\d{1,3}", state["endpoint"])
    assert state["privateClusterConfig"]["publicEndpoint"] == state["endpoint"]
    certificate = base64.b64decode(state["masterAuth"]["clusterCaCertificate"]).decode()
    assert certificate.startswith("-----BEGIN CERTIFICATE-----")
    assert state["masterVersion"].startswith("1.34.")


def test_a_private_endpoint_cluster_reports_its_private_address():
    _, state = gcp.resource(
        CTX,
        "gcp:container/cluster:Cluster",
        "c",
        {"privateClusterConfig": {"enablePrivateEndpoint": True}},
    )
    assert state["endpoint"] == state["privateClusterConfig"]["privateEndpoint"] == "172.16.0.2"


def test_node_pools_report_their_instance_groups_per_zone():
    rid, state = gcp.resource(
        CTX,
        "gcp:container/nodePool:NodePool",
        "gpu-pool",
        {
            "cluster": "llm-t",
            "location": "us-central1",
            "nodeLocations": ["us-central1-a", "us-central1-b"],
        },
    )
    assert re.fullmatch(
        r"projects/p-1/locations/us-central1/clusters/llm-t/nodePools/gpu-pool-[0-9a-f]{7}", rid
    )
    assert [url.split("/zones/")[1].split("/")[0] for url in state["instanceGroupUrls"]] == [
        "us-central1-a",
        "us-central1-b",
    ]


def test_service_accounts_have_iam_emails():
    rid, state = gcp.resource(
        CTX, "gcp:serviceaccount/account:Account", "nodes", {"accountId": "llm-t-nodes"}
    )
    assert state["email"] == "llm-t-nodes@p-1.iam.gserviceaccount.com"
    assert rid == state["name"] == f"projects/p-1/serviceAccounts/{state['email']}"
    assert state["member"] == f"serviceAccount:{state['email']}"
    assert re.fullmatch(r"1\d{20}", state["uniqueId"])


def test_kms_ids_nest_key_in_ring_in_location():
    ring, _ = gcp.resource(CTX, "gcp:kms/keyRing:KeyRing", "ring", {"location": "us-central1"})
    assert re.fullmatch(r"projects/p-1/locations/us-central1/keyRings/ring-[0-9a-f]{7}", ring)
    key, state = gcp.resource(CTX, "gcp:kms/cryptoKey:CryptoKey", "key", {"keyRing": ring})
    assert re.fullmatch(rf"{ring}/cryptoKeys/key-[0-9a-f]{{7}}", key)
    assert state["primaries"][0]["name"] == f"{key}/cryptoKeyVersions/1"


def test_buckets_are_named_and_located_like_gcs():
    rid, state = gcp.resource(
        CTX, "gcp:storage/bucket:Bucket", "models", {"location": "US-CENTRAL1"}
    )
    assert state["url"] == f"gs://{rid}" and state["location"] == "US-CENTRAL1"
    assert state["selfLink"] == f"https://www.googleapis.com/storage/v1/b/{rid}"


def test_iam_members_have_the_providers_ids():
    rid, state = gcp.resource(
        CTX,
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "m",
        {"bucket": "b", "role": "roles/storage.objectViewer", "member": "serviceAccount:x@y"},
    )
    assert rid == "b/b/roles/storage.objectViewer/serviceAccount:x@y"
    assert state["etag"].startswith("BwY")
    rid, _ = gcp.resource(
        CTX,
        "gcp:projects/iAMMember:IAMMember",
        "m",
        {"project": "p-1", "role": "roles/logging.logWriter", "member": "serviceAccount:x@y"},
    )
    assert rid == "p-1/roles/logging.logWriter/serviceAccount:x@y"


def test_service_agents_and_zones_are_answered():
    agent = gcp.call(CTX, "gcp:storage/getProjectServiceAccount:getProjectServiceAccount", {})
    assert agent is not None
    assert (
        agent["emailAddress"] == "service-123456789012@gs-project-accounts.iam.gserviceaccount.com"
    )
    assert agent["member"] == f"serviceAccount:{agent['emailAddress']}"
    project = gcp.call(CTX, "gcp:organizations/getProject:getProject", {})
    assert project is not None and project["projectId"] == "p-1"
    zones = gcp.call(CTX, "gcp:compute/getZones:getZones", {"region": "us-central1"})
    assert zones is not None
    assert zones["names"] == ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"]


def test_enabled_apis_have_the_providers_ids():
    # terraform-provider-google google_project_service: id `{{project}}/{{service}}`.
    rid, state = gcp.resource(
        CTX, "gcp:projects/service:Service", "apis-compute", {"service": "compute.googleapis.com"}
    )
    assert rid == "p-1/compute.googleapis.com"
    assert state == {"project": "p-1", "service": "compute.googleapis.com"}


def test_the_gke_service_identity_is_the_container_engine_robot():
    _, state = gcp.resource(
        CTX,
        "gcp:projects/serviceIdentity:ServiceIdentity",
        "apis-gke-agent",
        {"service": "container.googleapis.com"},
    )
    email = "service-123456789012@container-engine-robot.iam.gserviceaccount.com"
    assert state["email"] == email and state["member"] == f"serviceAccount:{email}"
    _, other = gcp.resource(
        CTX,
        "gcp:projects/serviceIdentity:ServiceIdentity",
        "x",
        {"service": "artifactregistry.googleapis.com"},
    )
    assert other["email"] == (
        "service-123456789012@gcp-sa-artifactregistry.iam.gserviceaccount.com"
    )


def test_unknown_gcp_data_sources_still_fail_loudly():
    token = "gcp:compute/getNetwork:getNetwork"
    assert gcp.call(CTX, token, {}) is None
    with pytest.raises(MockCallError, match=f"no answer for the data source '{token}'"):
        PlanMocks(CTX).call(pulumi.runtime.MockCallArgs(token, {}, ""))
