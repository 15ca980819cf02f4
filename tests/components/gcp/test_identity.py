import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.gcp.bucket import Bucket, BucketArgs
from components.gcp.identity import WorkloadIdentity, WorkloadIdentityArgs
from tests.harness import run_components

POOL = "offline-project.svc.id.goog"
EMAIL = "llm-test-vllm@offline-project.iam.gserviceaccount.com"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"


def build(create_service_account=True):
    def body():
        provider = k8s.Provider("k8s", kubeconfig="{}")
        models = Bucket("models", BucketArgs(purpose="model weights", location="us-central1"))
        snapshots = Bucket("snapshots", BucketArgs(purpose="snapshots", location="us-central1"))
        identity = WorkloadIdentity(
            "vllm",
            WorkloadIdentityArgs(
                namespace="serving",
                service_account="vllm",
                account_id="llm-test-vllm",
                create_service_account=create_service_account,
            ),
            workload_pool=pulumi.Output.from_input(POOL),
            kubernetes_provider=provider,
        )
        identity.grant_read(models)
        identity.grant_read_write(snapshots)
        pulumi.export("annotations", dict(identity.annotations))

    return run_components(body, region="us-central1", cloud="gcp")


@pytest.fixture(scope="module")
def plan():
    return build()


def test_a_google_service_account_per_workload(plan):
    account = plan.get("gcp:serviceaccount/account:Account", "vllm-account")
    assert account.inputs["accountId"] == "llm-test-vllm"
    assert account.parent == plan.get("llm-infra:gcp:WorkloadIdentity", "vllm").urn


def test_only_that_kubernetes_service_account_may_act_as_it(plan):
    binding = plan.get("gcp:serviceaccount/iAMMember:IAMMember", "vllm-workload-identity-user")
    assert binding.inputs == {
        "serviceAccountId": f"projects/offline-project/serviceAccounts/{EMAIL}",
        "role": "roles/iam.workloadIdentityUser",
        "member": f"serviceAccount:{POOL}[serving/vllm]",
    }
    account = plan.get("gcp:serviceaccount/account:Account", "vllm-account")
    assert binding.property_dependencies["serviceAccountId"] == [account.urn]


def test_service_account_is_annotated_with_the_google_account(plan):
    account = plan.get("kubernetes:core/v1:ServiceAccount", "vllm-service-account")
    metadata = account.inputs["metadata"]
    assert (metadata["name"], metadata["namespace"]) == ("vllm", "serving")
    assert metadata["annotations"] == {"iam.gke.io/gcp-service-account": EMAIL}
    assert account.provider == plan.get("pulumi:providers:kubernetes", "k8s").urn
    assert plan.outputs["annotations"] == {"iam.gke.io/gcp-service-account": EMAIL}


def test_no_service_account_when_something_else_owns_it():
    assert build(create_service_account=False).of_type("kubernetes:core/v1:ServiceAccount") == []


def test_read_grant_is_object_viewer_on_that_bucket_only(plan):
    grant = plan.get(BUCKET_MEMBER, "vllm-models-read")
    assert grant.inputs["role"] == "roles/storage.objectViewer"
    assert grant.inputs["member"] == f"serviceAccount:{EMAIL}"
    assert grant.inputs["bucket"].startswith("models-bucket-")
    assert grant.property_dependencies["bucket"] == [
        plan.get("gcp:storage/bucket:Bucket", "models-bucket").urn
    ]


def test_read_write_grant_is_object_user_on_its_bucket(plan):
    grant = plan.get(BUCKET_MEMBER, "vllm-snapshots-read-write")
    assert grant.inputs["role"] == "roles/storage.objectUser"
    assert grant.inputs["member"] == f"serviceAccount:{EMAIL}"
    assert grant.inputs["bucket"].startswith("snapshots-bucket-")
    assert grant.parent == plan.get("llm-infra:gcp:WorkloadIdentity", "vllm").urn
    # no project-wide grants: everything is on the bucket or the account
    assert plan.of_type("gcp:projects/iAMMember:IAMMember") == []
