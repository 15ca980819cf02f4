import pulumi
import pytest

from components.gcp.apis import PLATFORM_APIS, ProjectApis
from tests.harness import run_components

SERVICE = "gcp:projects/service:Service"
IDENTITY = "gcp:projects/serviceIdentity:ServiceIdentity"


@pytest.fixture(scope="module")
def plan():
    def body():
        apis = ProjectApis("apis")
        pulumi.export("project", apis.project_id)
        pulumi.export("number", apis.project_number)
        pulumi.export("agent", apis.gke_service_agent)

    return run_components(body, region="us-central1", cloud="gcp")


def test_every_api_the_platform_calls_is_enabled(plan):
    services = {r.name: r.inputs["service"] for r in plan.of_type(SERVICE)}
    assert services == {f"apis-{short}": api for short, api in PLATFORM_APIS.items()}
    assert set(services.values()) >= {
        "compute.googleapis.com",
        "container.googleapis.com",
        "cloudkms.googleapis.com",
        "iam.googleapis.com",
        "iamcredentials.googleapis.com",
        "storage.googleapis.com",
        "logging.googleapis.com",
        "monitoring.googleapis.com",
        "cloudresourcemanager.googleapis.com",
    }
    component = plan.get("llm-infra:gcp:ProjectApis", "apis")
    assert all(r.parent == component.urn for r in plan.of_type(SERVICE))


def test_destroying_a_stack_never_turns_an_api_off(plan):
    # terraform-provider-google google_project_service, Delete: with disable_on_destroy
    # false the API is left on ("skip disabling service"); another stack in the project
    # may use it.
    for service in plan.of_type(SERVICE):
        assert service.inputs["disableOnDestroy"] is False, service.name
        assert service.inputs["disableDependentServices"] is False, service.name


def test_the_gke_service_agent_is_made_once_the_container_api_is_on(plan):
    # google_project_service_identity (beta) generates a service's primary agent; GKE's is
    # container-engine-robot (cloud-foundation-fabric modules/project/service-agents.yaml).
    agent = plan.get(IDENTITY, "apis-gke-agent")
    assert agent.inputs["service"] == "container.googleapis.com"
    assert plan.get(SERVICE, "apis-container").urn in agent.dependencies
    assert plan.outputs["agent"] == (
        "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com"
    )


def test_the_project_resolves_after_the_apis(plan):
    assert plan.outputs["project"] == "offline-project"
    assert plan.outputs["number"] == "123456789012"
    # the agent is created in that project, so it waits for every API
    agent = plan.get(IDENTITY, "apis-gke-agent")
    assert set(agent.property_dependencies["project"]) == {r.urn for r in plan.of_type(SERVICE)}


def test_the_gke_api_is_required():
    def body():
        ProjectApis("apis", {"compute": "compute.googleapis.com"})

    with pytest.raises(Exception, match="must include 'container'"):
        run_components(body)
