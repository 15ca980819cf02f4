"""Can `pulumi up` reach the API server from where it runs? Per cloud and deploy path, on
plans of the shipped stacks edited the way a platform engineer might."""

import copy
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.offline.plan import plan_stack
from infra.truth.reach import endpoints, reach_findings, runners
from tests.harness import ROOT, SHIPPED_STACKS

Edit = Callable[[dict[str, Any]], None]


def plan_of(tmp: Path, base: str, edit: Edit):
    document = yaml.safe_load((ROOT / f"Pulumi.{base}.yaml").read_text())
    edit(document["config"]["llm-infra:platform"])
    (tmp / "Pulumi.yaml").write_text(f"name: llm-infra\nruntime: python\nmain: {ROOT / 'infra'}\n")
    (tmp / "Pulumi.t.yaml").write_text(yaml.safe_dump(copy.deepcopy(document)))
    return plan_stack("t", tmp)


def findings(tmp: Path, base: str, edit: Edit) -> list[str]:
    return [f.message() for f in reach_findings(plan_of(tmp, base, edit))]


def hosted(platform: dict[str, Any]) -> None:
    platform["deploy"] = {"runner": "github-hosted"}


def self_hosted(*cidrs: str) -> Edit:
    def edit(platform: dict[str, Any]) -> None:
        platform["deploy"] = {"runner": "self-hosted", "runner_cidrs": list(cidrs)}

    return edit


def both(*edits: Edit) -> Edit:
    def edit(platform: dict[str, Any]) -> None:
        for one in edits:
            one(platform)

    return edit


def public(*cidrs: str) -> Edit:
    def edit(platform: dict[str, Any]) -> None:
        platform["cluster"]["endpoint_access"] = "public_and_private"
        platform["cluster"]["public_access_cidrs"] = list(cidrs)

    return edit


def private_access(*cidrs: str) -> Edit:
    def edit(platform: dict[str, Any]) -> None:
        platform["cluster"]["private_access_cidrs"] = list(cidrs)

    return edit


def no_dns(platform: dict[str, Any]) -> None:
    platform["cluster"].pop("dns_endpoint")


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_shipped_stack_reaches_its_api_server(shipped_plan, stack):
    plan = shipped_plan(stack)
    assert endpoints(plan) and runners(plan)
    assert reach_findings(plan) == []


@pytest.mark.parametrize(
    ("base", "edit", "resource", "why"),
    [
        # a private endpoint deployed from outside: each cloud's
        (
            "prod",
            hosted,
            "cluster-eks",
            "the API endpoint is private, and `pulumi up` runs on a GitHub-hosted runner",
        ),
        (
            "gcp-prod",
            no_dns,
            "cluster-gke",
            "the API endpoint is private, and `pulumi up` runs on a GitHub-hosted runner",
        ),
        (
            "azure-prod",
            hosted,
            "cluster-aks",
            "the API endpoint is private, and `pulumi up` runs on a GitHub-hosted runner",
        ),
        # a public endpoint narrowed to an office, deployed from GitHub
        ("dev", public("198.51.100.0/24"), "cluster-eks", "public only to 198.51.100.0/24"),
        # a self-hosted runner outside what the endpoint admits
        (
            "prod",
            self_hosted("192.0.2.0/28"),
            "cluster-eks",
            "the runner's ranges (192.0.2.0/28) are inside none",
        ),
        (
            "dev",
            both(public("198.51.100.0/24"), self_hosted("192.0.2.0/28")),
            "cluster-eks",
            "are inside none",
        ),
        # AKS admits its private API only from linked networks, never by range
        (
            "azure-prod",
            self_hosted("10.40.0.0/24"),
            "cluster-aks",
            "linked to its private DNS zone",
        ),
    ],
)
def test_an_unreachable_deploy_is_named_with_the_fix(tmp_path, base, edit, resource, why):
    (message,) = findings(tmp_path, base, edit)
    assert f"'{resource}': " in message and why in message
    assert "every Kubernetes resource of the stack would time out" in message
    assert "deploy.runner: in-network" in message and "cluster.dns_endpoint: true" in message


@pytest.mark.parametrize(
    ("base", "edit"),
    [
        ("dev", lambda platform: None),  # public to 0.0.0.0/0
        ("gcp-prod", lambda platform: None),  # the DNS endpoint, IAM-authorized
        ("dev", both(public("198.51.100.0/24"), self_hosted("198.51.100.128/25"))),
        # a VPN range the private endpoint admits (EKS: HTTPS to the cluster security group)
        ("prod", both(self_hosted("192.168.8.0/24"), private_access("192.168.0.0/16"))),
        # GKE's authorized networks admit it on the private endpoint too
        ("gcp-prod", both(no_dns, self_hosted("192.168.8.0/24"), private_access("192.168.0.0/16"))),
    ],
)
def test_a_reachable_deploy_passes(tmp_path, base, edit):
    assert findings(tmp_path, base, edit) == []


def test_an_in_network_runner_must_exist_in_the_network(shipped_plan):
    """The rule checks the runner resource, not only the declaration."""
    plan = shipped_plan("prod")
    (runner,) = runners(plan)
    assert [r.type for r in runner.in_network] == ["aws:codebuild/project:Project"]
    (azure,) = runners(shipped_plan("azure-prod"))
    assert [r.type for r in azure.in_network] == ["azure-native:resources:Deployment"]


def test_the_endpoints_are_read_as_each_cloud_configures_them(shipped_plan):
    (eks,) = endpoints(shipped_plan("prod"))
    assert (eks.public, eks.private) == (False, True)
    assert "10.20.0.0/16" in {str(c) for c in eks.private_cidrs}  # the VPC, HTTPS ingress
    (gke,) = endpoints(shipped_plan("gcp-prod"))
    assert (gke.public, gke.dns) == (False, True)
    (aks,) = endpoints(shipped_plan("azure-prod"))
    assert (aks.public, aks.private, aks.by_range) == (False, True, False)
    (dev,) = endpoints(shipped_plan("dev"))
    assert dev.public and [str(c) for c in dev.public_cidrs] == ["0.0.0.0/0"]


def test_only_rules_on_the_clusters_own_security_group_admit_the_private_path(shipped_plan):
    """The VPC endpoints' security group also admits HTTPS from the VPC; it says nothing
    about the API server."""
    plan = shipped_plan("prod")
    resources = []
    for r in plan.resources:
        if r.name == "cluster-api-from-10-20-0-0-16":
            continue  # the cluster's own rule, gone
        if r.type == "llm-infra:deploy:DeployPath":
            inputs = {"runner": "self-hosted", "runnerCidrs": ["10.20.5.0/24"]}
            resources.append(replace(r, inputs=inputs))
        else:
            resources.append(r)
    edited = replace(plan, resources=resources)
    assert any(r.name == "network-endpoints-https" for r in edited.resources)
    (finding,) = reach_findings(edited)
    assert "are inside none of the ranges the API endpoint admits" in finding.message()
    assert (
        reach_findings(
            replace(
                plan,
                resources=[
                    *resources,
                    plan.get(
                        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                        "cluster-api-from-10-20-0-0-16",
                    ),
                ],
            )
        )
        == []
    )
