"""The AWS platform as the shipped stacks build it."""

import inspect

import pulumi_aws
import pytest

from infra.platforms.aws import build_aws
from tests.harness import load, minimal_platform, run_components

NG = "aws:eks/nodeGroup:NodeGroup"
EKS = "aws:eks/cluster:Cluster"


def test_one_gpu_node_group_per_pool_with_the_catalogs_instance_type(shipped_plan):
    groups = {r.name: r.inputs for r in shipped_plan("prod").of_type(NG)}
    assert set(groups) == {"system-nodes-ng", "gpu-standard-ng", "gpu-large-ng"}
    assert groups["gpu-standard-ng"]["instanceTypes"] == ["g6.12xlarge"]  # l4 × 4
    assert groups["gpu-large-ng"]["instanceTypes"] == ["p5.48xlarge"]  # h100 × 8
    assert groups["system-nodes-ng"]["instanceTypes"] == ["m6i.large"]
    assert groups["system-nodes-ng"]["scalingConfig"]["minSize"] == 3


def test_dev_gpus_are_spot_and_scale_to_zero_prod_gpus_are_on_demand(shipped_plan):
    dev = shipped_plan("dev").get(NG, "gpu-standard-ng").inputs
    assert dev["capacityType"] == "SPOT"
    assert dev["scalingConfig"] == {"minSize": 0, "maxSize": 2, "desiredSize": 0}
    for group in shipped_plan("prod").of_type(NG):
        assert group.inputs["capacityType"] == "ON_DEMAND"


def test_gpu_node_groups_wait_for_the_cluster_and_nodes_policies_only(shipped_plan):
    plan = shipped_plan("prod")
    cluster = plan.get(EKS, "cluster-eks")
    node_role = plan.get("aws:iam/role:Role", "cluster-node-role")
    attachments = {
        r.urn
        for r in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.name.startswith("cluster-node-role-")
    }
    for group in plan.of_type(NG):
        assert cluster.urn in group.property_dependencies["clusterName"]
        assert set(group.property_dependencies["nodeRoleArn"]) == {node_role.urn} | attachments
        assert group.options.depends_on == []


def test_prod_endpoint_is_private_dev_is_limited_to_the_stack_files_ranges(shipped_plan):
    prod = shipped_plan("prod").get(EKS, "cluster-eks").inputs["vpcConfig"]
    assert prod["endpointPublicAccess"] is False
    dev = shipped_plan("dev").get(EKS, "cluster-eks").inputs["vpcConfig"]
    assert dev["endpointPublicAccess"] is True
    assert dev["publicAccessCidrs"] == ["0.0.0.0/0"]


def test_the_cluster_runs_in_the_private_subnets(shipped_plan):
    plan = shipped_plan("prod")
    private = {r.urn for r in plan.of_type("aws:ec2/subnet:Subnet") if "private" in r.name}
    cluster = plan.get(EKS, "cluster-eks")
    assert set(cluster.property_dependencies["vpcConfig"]) == private


STATEFUL = (
    ("aws:s3/bucket:Bucket", "models-bucket"),
    ("aws:kms/key:Key", "models-key"),
    ("aws:s3/bucket:Bucket", "vector-snapshots-bucket"),
    ("aws:kms/key:Key", "vector-snapshots-key"),
    ("aws:kms/key:Key", "cluster-secrets-key"),
    ("aws:cloudwatch/logGroup:LogGroup", "cluster-logs"),
)


@pytest.mark.parametrize(("type_", "name"), STATEFUL)
def test_prod_protects_and_retains_stateful_resources_dev_does_not(shipped_plan, type_, name):
    prod = shipped_plan("prod").get(type_, name).options
    assert prod.protect and prod.retain_on_delete
    dev = shipped_plan("dev").get(type_, name).options
    assert not dev.protect and not dev.retain_on_delete


def test_flow_logs_in_prod_only_with_the_clusters_retention(shipped_plan):
    assert shipped_plan("dev").of_type("aws:ec2/flowLog:FlowLog") == []
    group = shipped_plan("prod").get("aws:cloudwatch/logGroup:LogGroup", "network-flow-logs")
    assert group.inputs["retentionInDays"] == 365
    assert group.options.protect and group.options.retain_on_delete


def test_the_device_plugin_and_autoscaler_are_installed_on_the_cluster(shipped_plan):
    plan = shipped_plan("dev")
    provider = plan.get("pulumi:providers:kubernetes", "cluster-k8s").urn
    releases = {
        r.name: r
        for r in plan.of_type("kubernetes:helm.sh/v3:Release")
        if "llm-infra:aws:" in (r.parent or "")
    }
    assert set(releases) == {"autoscaler-release", "nvidia-device-plugin-release"}
    assert all(r.provider == provider for r in releases.values())


def test_outputs_name_the_cluster_and_buckets_and_keep_the_kubeconfig_secret(shipped_plan):
    outputs = shipped_plan("prod").outputs
    assert outputs["kubeconfig"] == "[secret]"
    assert outputs["cluster"]["name"] == "llm-infra-prod"
    assert outputs["cluster"]["endpoint"].endswith(".gr7.us-east-1.eks.amazonaws.com")
    assert outputs["cluster"]["oidc_issuer_url"].startswith(
        "https://oidc.eks.us-east-1.amazonaws.com/id/"
    )
    assert set(outputs["buckets"]) == {"models", "vector_snapshots"}
    # the rendered kubeconfig (and its exec command) never reaches the record
    assert "get-token" not in shipped_plan("prod").to_json()


def _accepts_tags(resource_type: str) -> bool:
    module, kind = (
        resource_type.split(":")[1].split("/", maxsplit=1)[0],
        resource_type.split(":")[2],
    )
    cls = getattr(getattr(pulumi_aws, module), kind)
    return "tags" in inspect.signature(cls._internal_init).parameters


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_taggable_aws_resource_carries_the_stack_tags(shipped_plan, stack):
    taggable = [
        r
        for r in shipped_plan(stack).resources
        if r.type.startswith("aws:") and _accepts_tags(r.type)
    ]
    assert len(taggable) > 30
    for resource in taggable:
        tags = resource.inputs.get("tags", {})
        assert tags.get("llm-infra-stack") == stack, resource.name
        assert tags.get("team") == "ml-platform", resource.name


def build(platform):
    config = load(platform)

    def body():
        build_aws(config, {"team": "ml"})

    return run_components(body, stack="t")


def test_a_pool_with_zones_gets_only_those_zones_private_subnets():
    platform = minimal_platform()
    platform["gpu_pools"][0]["zones"] = ["us-east-1b"]
    plan = build(platform)
    group = plan.get(NG, "gpu-standard-ng")
    subnet = plan.get("aws:ec2/subnet:Subnet", "network-private-1")
    assert subnet.inputs["availabilityZone"] == "us-east-1b"
    assert group.property_dependencies["subnetIds"] == [subnet.urn]
    system = plan.get(NG, "system-nodes-ng")
    assert len(system.property_dependencies["subnetIds"]) == 2


def test_no_device_plugin_without_gpu_pools_and_no_snapshot_bucket_without_a_vector_db():
    platform = minimal_platform(gpu_pools=[], models=[], vector_db={"enabled": False})
    plan = build(platform)
    assert plan.of_type("llm-infra:aws:NvidiaDevicePlugin") == []
    assert [b.name for b in plan.of_type("llm-infra:aws:Bucket")] == ["models"]
    assert [g.name for g in plan.of_type(NG)] == ["system-nodes-ng"]
