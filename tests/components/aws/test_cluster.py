import json
from typing import Any

import pulumi
import pytest

from components.aws.bucket import Bucket, BucketArgs
from components.aws.cluster import Cluster, ClusterArgs
from components.enums import ControlPlaneLog, EndpointAccess
from components.seam import KubernetesCluster
from tests.harness import run_components

EKS = "aws:eks/cluster:Cluster"
KEY = "aws:kms/key:Key"
LOGS = "aws:cloudwatch/logGroup:LogGroup"
ADMIN = "arn:aws:iam::123456789012:role/platform-admin"
SUBNETS = ["subnet-a", "subnet-b"]
POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE = "aws:iam/role:Role"


def build(*, prod: bool, **overrides):
    args = {
        "cluster_name": "llm-test",
        "kubernetes_version": "1.34",
        "region": "us-east-1",
        "endpoint_access": EndpointAccess.PRIVATE if prod else EndpointAccess.PUBLIC_AND_PRIVATE,
        "public_access_cidrs": () if prod else ("198.51.100.0/24",),
        "log_retention_days": 365 if prod else 30,
        "admin_principals": (ADMIN,),
        "keep": prod,
        "tags": {"team": "ml"},
        **overrides,
    }

    def body():
        cluster = Cluster("cluster", ClusterArgs(**args), subnet_ids=SUBNETS)
        pulumi.export("kubeconfig", cluster.kubeconfig)
        pulumi.export("issuer", cluster.oidc_issuer_url)

    return run_components(body)


@pytest.fixture(scope="module")
def dev():
    return build(prod=False)


@pytest.fixture(scope="module")
def prod():
    return build(prod=True)


def test_children_are_parented_and_named_after_the_component(dev):
    component = dev.get("llm-infra:aws:Cluster", "cluster")
    children = dev.children(component.urn)
    assert children and all(c.name.startswith("cluster-") for c in children)
    assert {c.name for c in children} >= {
        "cluster-role",
        "cluster-secrets-key",
        "cluster-logs",
        "cluster-eks",
        "cluster-oidc",
        "cluster-node-role",
        "cluster-k8s",
        "cluster-gp3",
    }


def test_secrets_are_envelope_encrypted_with_a_rotating_key(dev):
    key = dev.get(KEY, "cluster-secrets-key")
    assert key.inputs["enableKeyRotation"] is True
    eks = dev.get(EKS, "cluster-eks")
    encryption = eks.inputs["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"].startswith("arn:aws:kms:us-east-1:")
    assert key.urn in eks.property_dependencies["encryptionConfig"]


def test_the_cluster_role_may_use_the_secrets_key_and_nothing_else(dev):
    grant = dev.get("aws:iam/rolePolicy:RolePolicy", "cluster-role-secrets-key")
    (statement,) = json.loads(grant.inputs["policy"])["Statement"]
    assert statement["Resource"].startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert set(statement["Action"]) == {
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ListGrants",
        "kms:DescribeKey",
    }
    assert grant.property_dependencies["policy"] == [dev.get(KEY, "cluster-secrets-key").urn]
    assert grant.urn in dev.get(EKS, "cluster-eks").options.depends_on


def test_prod_endpoint_is_private_only(prod):
    vpc = prod.get(EKS, "cluster-eks").inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc


def test_dev_public_endpoint_is_limited_to_the_configured_ranges(dev):
    vpc = dev.get(EKS, "cluster-eks").inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["publicAccessCidrs"] == ["198.51.100.0/24"]
    assert vpc["subnetIds"] == SUBNETS


def test_control_plane_logs_go_to_a_retained_encrypted_log_group_made_first(dev):
    eks = dev.get(EKS, "cluster-eks")
    assert eks.inputs["enabledClusterLogTypes"] == [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ]
    logs = dev.get(LOGS, "cluster-logs")
    assert logs.inputs["name"] == "/aws/eks/llm-test/cluster"
    assert logs.inputs["retentionInDays"] == 30
    assert logs.property_dependencies["kmsKeyId"] == [dev.get(KEY, "cluster-logs-key").urn]
    assert logs.urn in eks.options.depends_on


def test_only_the_configured_log_types_are_enabled():
    plan = build(prod=False, control_plane_logs=(ControlPlaneLog.AUDIT,))
    assert plan.get(EKS, "cluster-eks").inputs["enabledClusterLogTypes"] == ["audit"]


def test_logs_key_lets_cloudwatch_use_it_only_for_this_accounts_log_groups(dev):
    policy = json.loads(dev.get(KEY, "cluster-logs-key").inputs["policy"])
    logs = next(s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsUse")
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:*"
    )


def test_api_authentication_with_admin_access_entries(dev):
    eks = dev.get(EKS, "cluster-eks")
    assert eks.inputs["accessConfig"]["authenticationMode"] == "API"
    entry = dev.get("aws:eks/accessEntry:AccessEntry", "cluster-admin-0")
    assert entry.inputs["principalArn"] == ADMIN
    assert entry.inputs["type"] == "STANDARD"
    association = dev.get(
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "cluster-admin-0-policy"
    )
    assert association.inputs["policyArn"] == (
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    )
    assert association.inputs["accessScope"] == {"type": "cluster"}
    assert association.property_dependencies["principalArn"] == [entry.urn]


def test_no_admin_entries_without_admin_principals():
    plan = build(prod=False, admin_principals=())
    assert plan.of_type("aws:eks/accessEntry:AccessEntry") == []


def test_oidc_provider_trusts_the_clusters_issuer_for_sts(dev):
    eks = dev.get(EKS, "cluster-eks")
    oidc = dev.get("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "cluster-oidc")
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert oidc.inputs["url"] == dev.outputs["issuer"]
    assert dev.outputs["issuer"].startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")
    assert oidc.property_dependencies["url"] == [eks.urn]


def test_cluster_role_is_assumable_by_eks_and_attached_before_the_cluster(dev):
    role = dev.get("aws:iam/role:Role", "cluster-role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "eks.amazonaws.com"}
    attachment = dev.get(
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "cluster-role-cluster"
    )
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    assert attachment.urn in dev.get(EKS, "cluster-eks").options.depends_on


def test_node_role_has_worker_cni_and_ecr_read_policies(dev):
    role = dev.get("aws:iam/role:Role", "cluster-node-role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "ec2.amazonaws.com"}
    policies = {
        a.inputs["policyArn"]
        for a in dev.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.name.startswith("cluster-node-role-")
    }
    assert policies == {
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
    }


def test_daemonset_addons_are_managed_and_wait_only_for_the_cluster(dev):
    eks = dev.get(EKS, "cluster-eks")
    for addon in ("vpc-cni", "kube-proxy"):
        record = dev.get("aws:eks/addon:Addon", f"cluster-{addon}")
        assert record.inputs["addonName"] == addon
        assert record.dependencies == [eks.urn]


def test_kubeconfig_is_a_secret_that_uses_aws_eks_get_token(dev):
    assert dev.outputs["kubeconfig"] == "[secret]"
    provider = dev.get("pulumi:providers:kubernetes", "cluster-k8s")
    assert provider.inputs["kubeconfig"] == "[secret]"
    assert provider.property_dependencies["kubeconfig"] == [dev.get(EKS, "cluster-eks").urn]


def test_default_storage_class_is_encrypted_gp3_on_the_clusters_provider(dev):
    storage = dev.get("kubernetes:storage.k8s.io/v1:StorageClass", "cluster-gp3")
    assert storage.inputs["provisioner"] == "ebs.csi.aws.com"
    assert storage.inputs["parameters"]["type"] == "gp3"
    assert storage.inputs["parameters"]["encrypted"] == "true"
    annotations = storage.inputs["metadata"]["annotations"]
    assert annotations["storageclass.kubernetes.io/is-default-class"] == "true"
    assert storage.provider == dev.get("pulumi:providers:kubernetes", "cluster-k8s").urn


def test_prod_protects_secrets_key_and_logs_and_turns_on_deletion_protection(prod):
    for type_, name in (
        (KEY, "cluster-secrets-key"),
        (KEY, "cluster-logs-key"),
        (LOGS, "cluster-logs"),
    ):
        options = prod.get(type_, name).options
        assert options.protect and options.retain_on_delete, name
    assert prod.get(EKS, "cluster-eks").inputs["deletionProtection"] is True


def test_dev_protects_nothing(dev):
    assert not any(r.options.protect or r.options.retain_on_delete for r in dev.resources)


def test_every_taggable_resource_carries_the_tags(dev):
    tagged = [r for r in dev.resources if r.type.startswith("aws:") and "tags" in r.inputs]
    assert len(tagged) >= 8
    assert all(r.inputs["tags"]["team"] == "ml" for r in tagged)


def test_the_cluster_is_the_cloud_neutral_seam():
    captured: dict[str, Any] = {}

    def body():
        cluster = Cluster(
            "cluster",
            ClusterArgs(
                cluster_name="llm-test",
                kubernetes_version="1.34",
                region="us-east-1",
                endpoint_access=EndpointAccess.PRIVATE,
            ),
            subnet_ids=SUBNETS,
        )
        captured["cluster"] = cluster
        captured["binding"] = cluster.bind_workload_identity(
            "vllm", namespace="serving", service_account="vllm"
        )

    plan = run_components(body)
    cluster = captured["cluster"]
    assert isinstance(cluster, KubernetesCluster)
    assert cluster.default_storage_class == "gp3-encrypted"
    assert cluster.gpu_node_selector("standard") == {"llm-infra.io/pool": "standard"}
    assert [t.as_dict() for t in cluster.gpu_tolerations("standard")] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
    ]
    assert set(captured["binding"].annotations) == {"eks.amazonaws.com/role-arn"}
    identity = plan.get("llm-infra:aws:WorkloadIdentity", "cluster-vllm")
    assert identity.parent == plan.get("llm-infra:aws:Cluster", "cluster").urn
    role = plan.get("aws:iam/role:Role", "cluster-vllm-role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    subject = next(
        v for k, v in statement["Condition"]["StringEquals"].items() if k.endswith(":sub")
    )
    assert subject == "system:serviceaccount:serving:vllm"
    # the binding leaves the ServiceAccount to the workload
    assert plan.of_type("kubernetes:core/v1:ServiceAccount") == []


def build_with_buckets(**access: Any):
    def body():
        cluster = Cluster(
            "cluster",
            ClusterArgs(
                cluster_name="llm-test",
                kubernetes_version="1.34",
                region="us-east-1",
                endpoint_access=EndpointAccess.PRIVATE,
            ),
            subnet_ids=SUBNETS,
        )
        cluster.attach_buckets(
            {
                "models": Bucket("models", BucketArgs(purpose="model weights")),
                "vector_snapshots": Bucket("vector-snapshots", BucketArgs(purpose="snapshots")),
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

    return run_components(body)


def grant_statements(plan, name):
    return json.loads(plan.get(POLICY, name).inputs["policy"])["Statement"]


def test_bound_identities_get_only_the_bucket_grants_they_ask_for():
    plan = build_with_buckets()
    policies = {p.name: p for p in plan.of_type(POLICY) if p.name != "cluster-role-secrets-key"}
    assert set(policies) == {
        "cluster-qdrant-snapshots-vector-snapshots-read-write",
        "cluster-llama-weights-models-read",
    }
    for name, role in (
        ("cluster-qdrant-snapshots-vector-snapshots-read-write", "cluster-qdrant-snapshots-role"),
        ("cluster-llama-weights-models-read", "cluster-llama-weights-role"),
    ):
        assert policies[name].property_dependencies["role"] == [plan.get(ROLE, role).urn]
    for name, bucket in (
        ("cluster-qdrant-snapshots-vector-snapshots-read-write", "vector-snapshots"),
        ("cluster-llama-weights-models-read", "models"),
    ):
        # the policy names that bucket, its objects and its key, and nothing else
        assert set(policies[name].property_dependencies["policy"]) == {
            plan.get("aws:s3/bucket:Bucket", f"{bucket}-bucket").urn,
            plan.get(KEY, f"{bucket}-key").urn,
        }
        statements = grant_statements(plan, name)
        resources = {s["Resource"] for s in statements}
        arn = next(r for r in resources if r.startswith(f"arn:aws:s3:::{bucket}-bucket-"))
        key = next(r for r in resources if r.startswith("arn:aws:kms:"))
        assert resources == {arn.removesuffix("/*"), f"{arn.removesuffix('/*')}/*", key}
        writes = "s3:PutObject" in {a for s in statements for a in s["Action"]}
        assert writes == name.endswith("-read-write")


def test_an_unknown_bucket_key_names_it_and_the_known_ones():
    with pytest.raises(Exception, match=r"unknown bucket 'weights'.*models, vector_snapshots"):
        build_with_buckets(read_buckets=("weights",))
