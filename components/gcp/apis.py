"""The Google APIs the platform calls, enabled on the project before anything uses them."""

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_gcp as gcp

# Every API the platform's resources (or GKE on their behalf) call, by short name. A fresh
# project has none of compute, container, cloudkms or iam on, and each resource fails with
# "API has not been used in project" until its API is enabled.
PLATFORM_APIS: Mapping[str, str] = {
    # VPC, subnet, router, Cloud NAT, firewall rules, node VMs and persistent disks.
    "compute": "compute.googleapis.com",
    "container": "container.googleapis.com",
    "cloudkms": "cloudkms.googleapis.com",
    # The nodes' and workloads' Google service accounts.
    "iam": "iam.googleapis.com",
    # Workload Identity: a pod acting as a Google service account gets that account's
    # short-lived tokens, which the IAM Service Account Credentials API issues
    # (generateAccessToken).
    "iamcredentials": "iamcredentials.googleapis.com",
    "storage": "storage.googleapis.com",
    # Where the cluster's logging_config and monitoring_config (and the nodes' log and
    # metric writer roles) send logs and metrics.
    "logging": "logging.googleapis.com",
    "monitoring": "monitoring.googleapis.com",
    # Project-level IAM members and the project lookup. The provider also reads the project
    # through this API while enabling any other one (terraform-provider-google
    # resource_google_project_service.go, Read: Projects.Get), so it must already be on
    # where `pulumi up` first runs; listing it keeps it on and the dependency visible.
    "cloudresourcemanager": "cloudresourcemanager.googleapis.com",
}
# Cloud DNS, for the gateway's private zone and external-dns's writes to it (only when the
# stack has gateway.dns_zone).
DNS_APIS: Mapping[str, str] = {"dns": "dns.googleapis.com"}
# The API whose primary service agent the GKE KMS grant names: GKE creates it on first use
# unless asked to now. `generateServiceIdentity` supports container.googleapis.com (its
# agent is the API's primary one: cloud-foundation-fabric modules/project/
# service-agents.yaml, container-engine-robot, is_primary: true); Compute Engine's and Cloud
# Storage's agents are not primary, so they come from their API's enablement and from
# `storage.get_project_service_account` respectively.
GKE_API = "container"


class ProjectApis(pulumi.ComponentResource):
    """The project's APIs, on.

    Creates: one `gcp.projects.Service` per API in `apis` (`-<short name>`), with
    `disable_on_destroy` off, so destroying a stack never turns an API off for everything
    else in a shared project, and `disable_dependent_services` off; the GKE service agent
    (`-gke-agent`, `gcp.projects.ServiceIdentity` for container.googleapis.com), so KMS
    grants to it can be made before the first cluster exists.

    `project_id` resolves once every API is on: resources given it as their `project` wait
    for the APIs. `project_number` is looked up after them too.
    """

    project_id: pulumi.Output[str]
    project_number: pulumi.Output[str]
    gke_service_agent: pulumi.Output[str]
    """`serviceAccount:service-<number>@container-engine-robot.iam.gserviceaccount.com`,
    resolved once the agent exists."""
    services: dict[str, gcp.projects.Service]

    def __init__(
        self,
        name: str,
        apis: Mapping[str, str] = PLATFORM_APIS,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("llm-infra:gcp:ProjectApis", name, None, opts)
        if GKE_API not in apis:
            raise ValueError(f"ProjectApis '{name}': apis must include '{GKE_API}'")
        self.services = {
            short: gcp.projects.Service(
                f"{name}-{short}",
                service=api,
                # terraform-provider-google google_project_service: the API stays enabled
                # when the resource is destroyed (other stacks in the project use it).
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for short, api in sorted(apis.items())
        }
        enabled: Sequence[gcp.projects.Service] = list(self.services.values())
        self.project_id = pulumi.Output.all(*[s.project for s in enabled]).apply(
            lambda projects: str(projects[0])
        )
        project = gcp.organizations.get_project_output(
            project_id=self.project_id,
            opts=pulumi.InvokeOutputOptions(parent=self, depends_on=list(enabled)),
        )
        self.project_number = project.number.apply(str)
        agent = gcp.projects.ServiceIdentity(
            f"{name}-gke-agent",
            service=apis[GKE_API],
            project=self.project_id,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.services[GKE_API]]),
        )
        self.gke_service_agent = agent.member.apply(str)
        self.register_outputs(
            {"project_id": self.project_id, "gke_service_agent": self.gke_service_agent}
        )
