"""The AWS platform as the shipped stacks build it."""

import inspect
import json

import pulumi_aws
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.aws.autoscaler_releases import AUTOSCALER_RELEASES
from components.aws.cpu_pool import PodDemand, cpu_instance, holds, platform_pods
from infra.offline.runner import ProgramError
from infra.platforms.aws import build_aws, cpu_pool_size, cpu_workloads
from infra.platforms.base import Platform
from tests.harness import (
    load,
    minimal_platform,
    plan_document,
    run_components,
    shipped_config_values,
    shipped_document,
)

NG = "aws:eks/nodeGroup:NodeGroup"
EKS = "aws:eks/cluster:Cluster"


CPU_GROUPS = {"dev": 2, "prod": 3}


def cpu_groups(plan):
    return [r for r in plan.of_type(NG) if r.inputs["labels"]["llm-infra.io/pool"] == "system"]


def test_one_gpu_node_group_per_pool_with_the_catalogs_instance_type(shipped_plan):
    groups = {r.name: r.inputs for r in shipped_plan("prod").of_type(NG)}
    assert set(groups) == {
        "system-nodes-0-ng",
        "system-nodes-1-ng",
        "system-nodes-2-ng",
        "gpu-standard-ng",
        "gpu-large-ng",
    }
    assert groups["gpu-standard-ng"]["instanceTypes"] == ["g6.12xlarge"]  # l4 × 4
    assert groups["gpu-large-ng"]["instanceTypes"] == ["p5.48xlarge"]  # h100 × 8


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_one_cpu_node_group_per_zone_each_in_its_zones_subnet_all_in_the_cpu_pool(
    shipped_plan, stack
):
    # The autoscaler cannot add a node in a chosen zone of a multi-zone group; a pod bound to
    # a zonal EBS volume needs one there: one group per zone (cluster-autoscaler/
    # cloudprovider/aws/README.md "Common Notes and Gotchas"; EKS user guide
    # "managed-node-groups").
    plan = shipped_plan(stack)
    groups = cpu_groups(plan)
    assert len(groups) == CPU_GROUPS[stack]
    subnets = {r.urn: r for r in plan.of_type("aws:ec2/subnet:Subnet")}
    zones = set()
    for group in groups:
        (subnet,) = group.property_dependencies["subnetIds"]
        assert "private" in subnets[subnet].name
        zones.add(subnets[subnet].inputs["availabilityZone"])
        assert group.inputs["labels"] == {"llm-infra.io/pool": "system"}  # the seam's CPU_POOL
        assert group.inputs["scalingConfig"]["minSize"] >= 1
    assert len(zones) == len(groups)


def test_prods_cpu_nodes_hold_its_2_cpu_embedding_servers(shipped_plan):
    # The embeddings server requests 2 CPUs: m6i.large offers about 1.9 allocatable
    # (amazon-eks-ami nodeadm kube-reserved) before DaemonSets, so prod's pool is sized up.
    plan = shipped_plan("prod")
    embeddings = plan.get("kubernetes:apps/v1:Deployment", "embeddings-deployment")
    (container,) = embeddings.inputs["spec"]["template"]["spec"]["containers"]
    requests = container["resources"]["requests"]
    (instance_type,) = {g.inputs["instanceTypes"][0] for g in cpu_groups(plan)}
    instance = cpu_instance(instance_type)
    assert instance is not None and instance_type != "m6i.large"
    assert holds(
        instance, PodDemand("embeddings", millicores(requests["cpu"]), mib(requests["memory"]))
    )


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


def test_the_private_endpoint_admits_https_from_the_vpc_and_the_configured_networks():
    # EKS user guide, "cluster-endpoint": with private access only, the cluster security
    # group must admit 443 from wherever kubectl (here: `pulumi up`) runs; EKS adds no such
    # rule, so a runner in the VPC or on a VPN would time out on every Kubernetes resource.
    platform = minimal_platform(
        cluster={"endpoint_access": "private", "private_access_cidrs": ["192.168.8.0/24"]}
    )
    config = load(platform, aws_region="us-east-1")

    def body() -> None:
        build_aws(config, {})

    plan = run_components(body)
    rules = plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    api = {r.name: r.inputs for r in rules if r.name.startswith("cluster-api-from-")}
    # the VPC (the default network range) and the configured VPN range
    assert set(api) == {"cluster-api-from-10-0-0-0-16", "cluster-api-from-192-168-8-0-24"}
    for rule in api.values():
        assert (rule["fromPort"], rule["toPort"], rule["ipProtocol"]) == (443, 443, "tcp")
    cluster = plan.get(EKS, "cluster-eks")
    assert all(cluster.urn in r.dependencies for r in rules if r.name in api)


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
    # and the load balancer controller the gateway's NLB needs
    assert set(releases) == {
        "autoscaler-release",
        "nvidia-device-plugin-release",
        "load-balancer-controller-release",
    }
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


def build(platform, keep=None):
    config = load(platform)

    def body():
        built = build_aws(config, {"team": "ml"})
        if keep is not None:
            keep.append(built)

    return run_components(body, stack="t")


def millicores(quantity: str) -> int:
    return int(quantity[:-1]) if quantity.endswith("m") else int(float(quantity) * 1000)


def mib(quantity: str) -> int:
    return int(quantity[:-2]) * (1024 if quantity.endswith("Gi") else 1)


def test_a_pool_with_zones_gets_only_those_zones_private_subnets():
    platform = minimal_platform()
    platform["gpu_pools"][0]["zones"] = ["us-east-1b"]
    plan = build(platform)
    group = plan.get(NG, "gpu-standard-ng")
    subnet = plan.get("aws:ec2/subnet:Subnet", "network-private-1")
    assert subnet.inputs["availabilityZone"] == "us-east-1b"
    assert group.property_dependencies["subnetIds"] == [subnet.urn]
    assert len(cpu_groups(plan)) == 2


def test_no_device_plugin_without_gpu_pools_and_no_snapshot_bucket_without_a_vector_db():
    platform = minimal_platform(gpu_pools=[], models=[], vector_db={"enabled": False})
    plan = build(platform)
    assert plan.of_type("llm-infra:aws:NvidiaDevicePlugin") == []
    assert [b.name for b in plan.of_type("llm-infra:aws:Bucket")] == ["models"]
    assert [g.name for g in plan.of_type(NG)] == ["system-nodes-0-ng", "system-nodes-1-ng"]


RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_autoscaler_waits_for_every_cpu_group_and_the_device_plugin_too(shipped_plan, stack):
    plan = shipped_plan(stack)
    groups = sorted(g.urn for g in cpu_groups(plan))
    assert sorted(plan.get(RELEASE, "autoscaler-release").options.depends_on) == groups
    plugin = plan.get("llm-infra:aws:NvidiaDevicePlugin", "nvidia-device-plugin")
    assert sorted(plugin.options.depends_on) == groups
    # the release is the plugin's child: registered only once the component is
    assert plan.get(RELEASE, "nvidia-device-plugin-release").parent == plugin.urn


def test_readiness_names_every_cpu_group_the_storage_driver_and_each_gpu_pools_own_group():
    kept: list[Platform] = []
    plan = build(minimal_platform(), keep=kept)
    (platform,) = kept
    cluster = platform.cluster
    assert cluster is not None
    groups = {g.urn for g in cpu_groups(plan)}
    assert len(groups) == 2

    def urns(resources):
        return {r._name for r in resources}

    assert urns(cluster.cpu_nodes_ready()) == {g.name for g in cpu_groups(plan)}
    assert {"addons-ebs-csi-driver", "cluster-gp3"} <= urns(cluster.storage_ready())
    assert urns(cluster.gpu_nodes_ready("standard")) == {
        "gpu-standard-ng",
        "nvidia-device-plugin-release",
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_network_policies_are_enforced_by_the_vpc_cni(shipped_plan, stack):
    # EKS user guide, "cni-network-policy-configure": the vpc-cni add-on's configuration
    # values {"enableNetworkPolicy": "true"} turn on its network policy agent
    cni = shipped_plan(stack).get("aws:eks/addon:Addon", "cluster-vpc-cni")
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    proxy = shipped_plan(stack).get("aws:eks/addon:Addon", "cluster-kube-proxy")
    assert "configurationValues" not in proxy.inputs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_node_group_follows_the_clusters_version(shipped_plan, stack):
    plan = shipped_plan(stack)
    cluster = plan.get(EKS, "cluster-eks")
    for group in plan.of_type(NG):
        assert group.inputs["version"] == cluster.inputs["version"]
        assert group.property_dependencies["version"] == [cluster.urn]


def minor(tag: str) -> str:
    return ".".join(tag.lstrip("v").split(".")[:2])


def assert_autoscaler_matches_the_minor(plan, kubernetes_version):
    release = plan.get(RELEASE, "autoscaler-release")
    pinned = AUTOSCALER_RELEASES[kubernetes_version]
    assert release.inputs["version"] == pinned.chart_version
    assert minor(release.inputs["values"]["image"]["tag"]) == kubernetes_version


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_autoscalers_chart_and_image_match_the_kubernetes_minor(shipped_plan, stack):
    version = shipped_plan(stack).get(EKS, "cluster-eks").inputs["version"]
    assert_autoscaler_matches_the_minor(shipped_plan(stack), version)


ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
pools = st.lists(
    st.fixed_dictionaries(
        {
            "gpu": st.sampled_from(["l4", "a10g"]),
            "gpus_per_node": st.sampled_from([1, 4]),
            "min_nodes": st.integers(0, 1),
            "max_nodes": st.integers(1, 3),
            "zones": st.none()
            | st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True),
        }
    ),
    min_size=1,
    max_size=2,
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pools,
    st.sampled_from(sorted(AUTOSCALER_RELEASES)),
    st.sampled_from(["dev", "prod"]),
)
def test_generated_stacks_autoscaler_matches_the_minor_and_cpu_groups_span_the_zones(
    generated, version, environment
):
    platform = minimal_platform(environment=environment)
    platform["network"] = {"availability_zones": ZONES}
    platform["cluster"] = (
        {"public_access_cidrs": ["198.51.100.0/24"], "kubernetes_version": version}
        if environment == "dev"
        else {"kubernetes_version": version}
    )
    platform["gpu_pools"] = [{"name": f"pool{i}", **pool} for i, pool in enumerate(generated)]
    platform["models"] = []
    plan = build(platform)
    assert_autoscaler_matches_the_minor(plan, version)
    assert len(cpu_groups(plan)) == len(ZONES)
    size = cpu_pool_size(load(platform))
    assert sum(g.inputs["scalingConfig"]["minSize"] for g in cpu_groups(plan)) == size.min_nodes


def test_a_deployer_listed_as_admin_is_refused_before_anything_is_created():
    # EKS already gave the creator an entry; a second one fails with 409 ResourceInUse
    # (terraform-aws-modules/terraform-aws-eks#2969). The offline plan runs as
    # assumed-role/offline (infra/offline/mocks/aws.py).
    platform = minimal_platform()
    platform["cluster"]["admin_principals"] = [
        "arn:aws:iam::123456789012:role/platform-admins",
        "arn:aws:iam::123456789012:role/ci/offline",
    ]
    with pytest.raises(ProgramError) as error:
        build(platform)
    text = str(error.value)
    assert "llm-infra:platform.cluster.admin_principals[1]" in text
    assert "admin_principals[0]" not in text
    assert "409" in text


def test_other_admins_get_access_entries():
    platform = minimal_platform()
    platform["cluster"]["admin_principals"] = ["arn:aws:iam::123456789012:role/platform-admins"]
    plan = build(platform)
    entry = plan.get("aws:eks/accessEntry:AccessEntry", "cluster-admin-0")
    assert entry.inputs["principalArn"] == "arn:aws:iam::123456789012:role/platform-admins"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_cpu_pools_are_the_sized_default(stack):
    # The stack files write the pool out so that `llm-infra cost` prices the same nodes;
    # it must be what llm-infra sizes for the stack, not a stale guess.
    values = shipped_config_values(stack)
    platform = json.loads(json.dumps(values["llm-infra:platform"]))
    written = platform["cluster"]["system_pool"]
    del platform["cluster"]["system_pool"]
    sized = cpu_pool_size(load(platform, aws_region=values["aws:region"]))
    assert written == {
        "instance_type": sized.instance_type,
        "min_nodes": sized.min_nodes,
        "max_nodes": sized.max_nodes,
    }


def requests_in(values):
    """Every `requests` mapping with a CPU request in a Helm release's values."""
    if isinstance(values, dict):
        if isinstance(values.get("requests"), dict) and "cpu" in values["requests"]:
            yield values["requests"]
        for value in values.values():
            yield from requests_in(value)
    elif isinstance(values, list):
        for value in values:
            yield from requests_in(value)


CPU_RELEASES = (
    "monitoring-stack",
    "keda-release",
    "autoscaler-release",
    "gateway-envoy-gateway",
    "gateway-ai-gateway",
    "load-balancer-controller-release",
    "cert-manager-release",
)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_sizing_counts_at_least_what_the_plan_puts_on_the_cpu_pool(shipped_plan, stack):
    # The pool is sized from components.aws.cpu_pool.platform_pods; the plan's own pod specs
    # and chart values are what will really ask for room, so the table must cover them.
    plan = shipped_plan(stack)
    cpu, memory = 0, 0
    found = 0
    for kind in ("Deployment", "StatefulSet", "CronJob"):
        for resource in plan.of_type(f"kubernetes:apps/v1:{kind}") + plan.of_type(
            f"kubernetes:batch/v1:{kind}"
        ):
            spec = resource.inputs["spec"]
            template = spec.get("template") or spec["jobTemplate"]["spec"]["template"]
            if template["spec"].get("nodeSelector") != {"llm-infra.io/pool": "system"}:
                continue
            for container in template["spec"]["containers"]:
                requests = container["resources"]["requests"]
                cpu += millicores(requests["cpu"]) * spec.get("replicas", 1)
                memory += mib(requests["memory"]) * spec.get("replicas", 1)
                found += 1
    releases = {r.name: r for r in plan.of_type(RELEASE)}
    assert set(CPU_RELEASES) - {"cert-manager-release"} <= set(releases)  # TLS in prod only
    for name in CPU_RELEASES:
        if name not in releases:
            continue
        for requests in requests_in(releases[name].inputs["values"]):
            cpu += millicores(requests["cpu"])
            memory += mib(requests["memory"])
            found += 1
    # the gateway's proxies, which Envoy Gateway deploys as the EnvoyProxy says
    (proxy,) = plan.of_type("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")
    deployment = proxy.inputs["spec"]["provider"]["kubernetes"]["envoyDeployment"]
    requests = deployment["container"]["resources"]["requests"]
    cpu += millicores(requests["cpu"]) * deployment["replicas"]
    memory += mib(requests["memory"]) * deployment["replicas"]
    assert found >= 8
    sized = platform_pods(cpu_workloads(load_shipped(stack)))
    assert cpu <= sum(p.cpu_millicores * p.replicas for p in sized)
    assert memory <= sum(p.memory_mib * p.replicas for p in sized)


def load_shipped(stack):
    values = shipped_config_values(stack)
    return load(values["llm-infra:platform"], aws_region=values["aws:region"])


PLACEMENT = "aws:ec2/placementGroup:PlacementGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def with_a_multi_node_replica(stack, zone):
    """A shipped stack plus a pool of 8-GPU H100 nodes in one zone holding a 16-GPU replica
    (two nodes): the pool infra.topology.compact_pools names."""
    document = shipped_document(stack)
    platform = document["config"]["llm-infra:platform"]
    platform["gpu_pools"].append(
        {
            "name": "group",
            "gpu": "h100",
            "gpus_per_node": 8,
            "zones": [zone],
            "compact_placement": True,
            "disk_size_gib": 1200,
            "min_nodes": 0,
            "max_nodes": 2,
            "capacity_type": "on_demand",
        }
    )
    platform["models"].append(
        {
            "name": "llama-3-1-405b",
            "hf_model_id": "meta-llama/Llama-3.1-405B-Instruct",
            "pool": "group",
            "gpus_per_replica": 16,
            "min_replicas": 1,
            "max_replicas": 1,
            "max_model_len_tokens": 8192,
        }
    )
    platform["cost"]["max_gpus"] += 16
    return document


def test_a_pool_holding_a_multi_node_replica_gets_a_cluster_placement_group_alone(
    shipped_plan, tmp_path
):
    plan = plan_document(tmp_path, with_a_multi_node_replica("prod", "us-east-1b"), stack="prod")
    shipped = shipped_plan("prod")
    (group,) = plan.of_type(PLACEMENT)
    assert group.name == "gpu-group-placement"
    assert group.inputs["strategy"] == "cluster"
    assert group.parent == plan.get("llm-infra:aws:NodeGroup", "gpu-group").urn
    template = plan.get(LAUNCH_TEMPLATE, "gpu-group-lt")
    assert template.property_dependencies["placement"] == [group.urn]
    nodes = plan.get(NG, "gpu-group-ng")
    assert nodes.inputs["instanceTypes"] == ["p5.48xlarge"]
    # one subnet, the pool's zone's: a cluster placement group lies in one zone
    (subnet,) = nodes.property_dependencies["subnetIds"]
    assert plan.index[subnet].inputs["availabilityZone"] == "us-east-1b"
    # every other pool as the shipped stack has it
    for type_ in (NG, LAUNCH_TEMPLATE):
        before = {r.name: r.inputs for r in shipped.of_type(type_)}
        after = {r.name: r.inputs for r in plan.of_type(type_)}
        assert set(after) - set(before) == {"gpu-group-ng" if type_ == NG else "gpu-group-lt"}
        assert {n: after[n] for n in before} == before
        assert all("placement" not in after[n] for n in before)
    assert shipped.of_type(PLACEMENT) == []
