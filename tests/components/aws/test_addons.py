"""Add-ons, autoscaler and device plugin on a cluster with a system node group."""

import json

import pytest
import yaml

from components.aws.addons import ClusterAddons, ClusterAddonsArgs
from components.aws.autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs, image_tag
from components.aws.cluster import Cluster, ClusterArgs
from components.aws.node_group import NodeGroup, NodeGroupArgs
from components.device_plugin import DevicePluginArgs, NvidiaDevicePlugin
from components.enums import CapacityType, Cloud, EndpointAccess
from tests.harness import run_components

RELEASE = "kubernetes:helm.sh/v3:Release"
ADDON = "aws:eks/addon:Addon"


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
        system = NodeGroup(
            "system-nodes",
            NodeGroupArgs(
                pool="system",
                cluster_name="llm-test",
                instance_type="m6i.large",
                capacity_type=CapacityType.ON_DEMAND,
                min_nodes=2,
                max_nodes=4,
                disk_size_gib=50,
            ),
            cluster_name=cluster.cluster_name,
            node_role_arn=cluster.node_role_arn,
            subnet_ids=["subnet-a"],
            cluster_security_group_id=cluster.cluster_security_group_id,
        )
        ClusterAddons(
            "addons",
            ClusterAddonsArgs(tags={"team": "ml"}),
            cluster=cluster,
            nodes=system.node_group,
        )
        ClusterAutoscaler(
            "autoscaler",
            ClusterAutoscalerArgs(
                cluster_name="llm-test", region="us-east-1", kubernetes_version="1.34"
            ),
            cluster=cluster,
            nodes=system.node_group,
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


def test_coredns_and_ebs_csi_wait_for_the_system_nodes(plan):
    nodes = plan.get("aws:eks/nodeGroup:NodeGroup", "system-nodes-ng")
    for name, addon in (
        ("addons-coredns", "coredns"),
        ("addons-ebs-csi-driver", "aws-ebs-csi-driver"),
    ):
        record = plan.get(ADDON, name)
        assert record.inputs["addonName"] == addon
        assert record.options.depends_on == [nodes.urn]


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
    assert release.inputs["version"] == "9.43.1"
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


def test_autoscaler_runs_on_the_cluster_after_the_system_nodes(plan):
    release = plan.get(RELEASE, "autoscaler-release")
    assert release.provider == plan.get("pulumi:providers:kubernetes", "cluster-k8s").urn
    nodes = plan.get("aws:eks/nodeGroup:NodeGroup", "system-nodes-ng")
    assert release.options.depends_on == [nodes.urn]


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


def test_an_unlisted_kubernetes_minor_gets_its_first_autoscaler_release():
    assert image_tag("1.35") == "v1.35.0"
    assert image_tag("1.33").startswith("v1.33.")
