"""Add-ons, autoscaler and device plugin on a cluster with a CPU node group per zone."""

import json

import pytest
import yaml

from components.aws.addons import ClusterAddons, ClusterAddonsArgs
from components.aws.autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from components.aws.cluster import Cluster, ClusterArgs
from components.aws.node_group import NodeGroup, NodeGroupArgs
from components.device_plugin import DevicePluginArgs, NvidiaDevicePlugin
from components.enums import CapacityType, Cloud, EndpointAccess
from tests.harness import run_components

RELEASE = "kubernetes:helm.sh/v3:Release"
ADDON = "aws:eks/addon:Addon"
NG = "aws:eks/nodeGroup:NodeGroup"


@pytest.fixture(scope="module")
def plan():
    def body():
        cluster = Cluster(
            "cluster",
            ClusterArgs(
                cluster_name="llm-test",
                kubernetes_version="1.34",
                region="us-east-1",
                endpoint_access=EndpointAccess.PRIVATE,
            ),
            subnet_ids=["subnet-a"],
        )
        zones = [
            NodeGroup(
                f"system-nodes-{index}",
                NodeGroupArgs(
                    pool="system",
                    cluster_name="llm-test",
                    instance_type="m6i.large",
                    capacity_type=CapacityType.ON_DEMAND,
                    min_nodes=1,
                    max_nodes=2,
                    disk_size_gib=50,
                ),
                cluster_name=cluster.cluster_name,
                kubernetes_version=cluster.kubernetes_version,
                node_role_arn=cluster.node_role_arn,
                subnet_ids=[subnet],
                cluster_security_group_id=cluster.cluster_security_group_id,
            ).node_group
            for index, subnet in enumerate(["subnet-a", "subnet-b"])
        ]
        ClusterAddons(
            "addons",
            ClusterAddonsArgs(tags={"team": "ml"}),
            cluster=cluster,
            nodes=zones,
        )
        ClusterAutoscaler(
            "autoscaler",
            ClusterAutoscalerArgs(
                cluster_name="llm-test", region="us-east-1", kubernetes_version="1.34"
            ),
            cluster=cluster,
            nodes=zones,
        )
        NvidiaDevicePlugin(
            "nvidia-device-plugin",
            DevicePluginArgs(cloud=Cloud.AWS),
            kubernetes_provider=cluster.kubernetes_provider,
        )

    return run_components(body)


def trust_subject(plan, role_name):
    role = plan.get("aws:iam/role:Role", role_name)
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    conditions = statement["Condition"]["StringEquals"]
    sub = next(v for k, v in conditions.items() if k.endswith(":sub"))
    aud = next(v for k, v in conditions.items() if k.endswith(":aud"))
    return sub, aud


def cpu_groups(plan):
    return [plan.get(NG, f"system-nodes-{i}-ng").urn for i in range(2)]


def test_coredns_and_ebs_csi_wait_for_every_zones_cpu_nodes(plan):
    nodes = cpu_groups(plan)
    for name, addon in (
        ("addons-coredns", "coredns"),
        ("addons-ebs-csi-driver", "aws-ebs-csi-driver"),
    ):
        record = plan.get(ADDON, name)
        assert record.inputs["addonName"] == addon
        assert record.options.depends_on == nodes


def test_ebs_csi_driver_runs_with_its_own_irsa_role(plan):
    assert trust_subject(plan, "addons-ebs-csi-role") == (
        "system:serviceaccount:kube-system:ebs-csi-controller-sa",
        "sts.amazonaws.com",
    )
    driver = plan.get(ADDON, "addons-ebs-csi-driver")
    assert driver.inputs["serviceAccountRoleArn"].startswith(
        "arn:aws:iam::123456789012:role/addons-ebs-csi-role"
    )
    policy = plan.get("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "addons-ebs-csi-policy")
    assert policy.inputs["policyArn"].endswith("service-role/AmazonEBSCSIDriverPolicy")
    assert policy.urn in driver.property_dependencies["serviceAccountRoleArn"]


def test_autoscaler_is_a_pinned_chart_with_least_privilege_irsa(plan):
    release = plan.get(RELEASE, "autoscaler-release")
    assert release.inputs["chart"] == "cluster-autoscaler"
    # the chart release of the cluster's minor (components.aws.autoscaler_releases)
    assert release.inputs["version"] == "9.53.0"
    assert release.inputs["repositoryOpts"] == {"repo": "https://kubernetes.github.io/autoscaler"}
    assert trust_subject(plan, "autoscaler-identity-role") == (
        "system:serviceaccount:kube-system:cluster-autoscaler",
        "sts.amazonaws.com",
    )
    policy = json.loads(
        plan.get("aws:iam/rolePolicy:RolePolicy", "autoscaler-policy").inputs["policy"]
    )
    scale = next(s for s in policy["Statement"] if s["Sid"] == "ScaleOwnGroups")
    assert scale["Condition"]["StringEquals"] == {
        "aws:ResourceTag/k8s.io/cluster-autoscaler/llm-test": "owned"
    }


def test_autoscaler_discovers_by_tags_expands_least_waste_and_spares_busy_gpu_nodes(plan):
    values = plan.get(RELEASE, "autoscaler-release").inputs["values"]
    assert values["autoDiscovery"] == {"clusterName": "llm-test"}
    assert values["image"]["tag"] == "v1.34.2"  # the autoscaler's minor follows the cluster's
    args = values["extraArgs"]
    assert args["expander"] == "least-waste"
    assert args["skip-nodes-with-local-storage"] == "true"
    assert float(args["scale-down-utilization-threshold"]) <= 0.5
    account = values["rbac"]["serviceAccount"]
    assert account["name"] == "cluster-autoscaler"
    assert account["annotations"]["eks.amazonaws.com/role-arn"].startswith(
        "arn:aws:iam::123456789012:role/autoscaler-identity-role"
    )
    assert values["nodeSelector"] == {"llm-infra.io/pool": "system"}


def test_autoscaler_balances_the_per_zone_cpu_groups(plan):
    # One group per zone is how the autoscaler serves zonal EBS volumes, with
    # --balance-similar-node-groups (cluster-autoscaler/cloudprovider/aws/README.md, "Common
    # Notes and Gotchas"); the groups differ in their launch template labels (EKS user guide,
    # "managed-node-update-behavior"), which must not make them dissimilar.
    args = plan.get(RELEASE, "autoscaler-release").inputs["values"]["extraArgs"]
    assert args["balance-similar-node-groups"] == "true"
    ignored = {v for k, v in args.items() if k.split("_")[0] == "balancing-ignore-label"}
    assert ignored == {
        "eks.amazonaws.com/sourceLaunchTemplateId",
        "eks.amazonaws.com/sourceLaunchTemplateVersion",
    }


def test_autoscaler_runs_on_the_cluster_after_every_zones_cpu_nodes(plan):
    release = plan.get(RELEASE, "autoscaler-release")
    assert release.provider == plan.get("pulumi:providers:kubernetes", "cluster-k8s").urn
    assert release.options.depends_on == cpu_groups(plan)


def test_device_plugin_runs_only_on_gpu_nodes_and_tolerates_their_taint(plan):
    release = plan.get(RELEASE, "nvidia-device-plugin-release")
    assert release.inputs["chart"] == "nvidia-device-plugin"
    assert release.inputs["version"] == "0.17.1"
    values = release.inputs["values"]
    (term,) = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert term["matchExpressions"] == [{"key": "llm-infra.io/gpu", "operator": "Exists"}]
    assert values["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]
    assert release.options.depends_on == []
    yaml.safe_dump(values)  # plain values a chart can take
