"""A passing and a failing input set for every security rule."""

import copy
import json
from typing import Any

from policies.lib.pods import LEADER_WORKER_SET
from tests.policies.cases_cost import agent_pool, aks_cluster, gke_pool
from tests.policies.conftest import resource

PROD = {"llm-infra-environment": "prod"}
STAGING = {"llm-infra-environment": "staging"}
DEV = {"llm-infra-environment": "dev"}


def changed(base: dict[str, Any], path: str | tuple[str, ...], value: Any) -> dict[str, Any]:
    """A deep copy of `base` with `path` (dotted, or a tuple for keys with dots) set; ints
    index lists; None deletes."""
    result = copy.deepcopy(base)
    node: Any = result
    keys = path.split(".") if isinstance(path, str) else list(path)
    parts = [int(p) if p.isdigit() else p for p in keys]
    for part in parts[:-1]:
        node = node[part]
    if value is None:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return result


# --- AWS -------------------------------------------------------------------------------
EKS = "aws:eks/cluster:Cluster"
GOOD_EKS = {
    "tags": PROD,
    "vpcConfig": {
        "endpointPublicAccess": False,
        "endpointPrivateAccess": True,
        "publicAccessCidrs": [],
    },
    "encryptionConfig": {
        "resources": ["secrets"],
        "provider": {"keyArn": "arn:aws:kms:us-east-1:1:key/k"},
    },
    "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
}
LT = "aws:ec2/launchTemplate:LaunchTemplate"
GOOD_LT = {
    "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1},
    "networkInterfaces": [{"associatePublicIpAddress": "false"}],
    "blockDeviceMappings": [
        {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeType": "gp3"}}
    ],
}
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
GOOD_PAB = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
GOOD_SSE = {
    "rules": [
        {
            "applyServerSideEncryptionByDefault": {
                "sseAlgorithm": "aws:kms",
                "kmsMasterKeyId": "arn:k",
            },
            "bucketKeyEnabled": True,
        }
    ]
}
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_URN = f"urn:pulumi:t::llm-infra::{BUCKET}::models"
TLS_POLICY = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    }
)


def tls_policy(body: str) -> dict[str, Any]:
    return resource(
        "aws:s3/bucketPolicy:BucketPolicy",
        {"bucket": "b-1", "policy": body},
        name="models-tls-only",
        property_dependencies={"bucket": [BUCKET_URN]},
    )


def policy(
    document: dict[str, Any], type_: str = "aws:iam/rolePolicy:RolePolicy"
) -> dict[str, Any]:
    return resource(type_, {"policy": json.dumps(document)})


IAM_POLICIES = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
)
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/ABC"


def trust(condition: dict[str, Any]) -> dict[str, Any]:
    return resource(
        "aws:iam/role:Role",
        {
            "assumeRolePolicy": json.dumps(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRoleWithWebIdentity",
                            "Principal": {"Federated": "arn"},
                            "Condition": condition,
                        }
                    ]
                }
            )
        },
    )


PINNED = {
    "StringEquals": {
        f"{ISSUER}:sub": "system:serviceaccount:serving:vllm",
        f"{ISSUER}:aud": "sts.amazonaws.com",
    }
}
VPC = "aws:ec2/vpc:Vpc"
VPC_URN = f"urn:pulumi:t::llm-infra::{VPC}::vpc"

# --- GCP -------------------------------------------------------------------------------
GKE = "gcp:container/cluster:Cluster"
GOOD_GKE = {
    "resourceLabels": PROD,
    "privateClusterConfig": {"enablePrivateNodes": True, "enablePrivateEndpoint": True},
    "workloadIdentityConfig": {"workloadPool": "p.svc.id.goog"},
    "enableShieldedNodes": True,
    "databaseEncryption": {
        "state": "ENCRYPTED",
        "keyName": "projects/p/locations/l/keyRings/r/cryptoKeys/k",
    },
    "datapathProvider": "ADVANCED_DATAPATH",
}
NODE_POOL = "gcp:container/nodePool:NodePool"
GOOD_NODE_POOL = {
    "nodeConfig": {
        "workloadMetadataConfig": {"mode": "GKE_METADATA"},
        "shieldedInstanceConfig": {"enableSecureBoot": True},
    }
}
GCS = "gcp:storage/bucket:Bucket"
GOOD_GCS = {
    "uniformBucketLevelAccess": True,
    "publicAccessPrevention": "enforced",
    "encryption": {"defaultKmsKeyName": "projects/p/locations/l/keyRings/r/cryptoKeys/k"},
    "versioning": {"enabled": True},
}
GOOD_SUBNET = {"privateIpGoogleAccess": True, "logConfig": {"flowSampling": 0.5}}

# --- Azure -----------------------------------------------------------------------------
AKS = "azure-native:containerservice:ManagedCluster"
GOOD_AKS = {
    "tags": PROD,
    "disableLocalAccounts": True,
    "enableRBAC": True,
    "aadProfile": {"managed": True, "enableAzureRBAC": True},
    "networkProfile": {"networkPolicy": "cilium"},
    "apiServerAccessProfile": {"enablePrivateCluster": True},
    "oidcIssuerProfile": {"enabled": True},
    "securityProfile": {"workloadIdentity": {"enabled": True}},
}
STORAGE = "azure-native:storage:StorageAccount"
GOOD_STORAGE = {
    "enableHttpsTrafficOnly": True,
    "minimumTlsVersion": "TLS1_2",
    "allowBlobPublicAccess": False,
    "allowSharedKeyAccess": False,
}
NSG = "azure-native:network:NetworkSecurityGroup"

# --- Kubernetes ------------------------------------------------------------------------
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
PROBE = {"httpGet": {"path": "/health", "port": 8000}}
GOOD_CONTAINER = {
    "name": "server",
    "image": "vllm/vllm-openai:v0.6.4",
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "runAsNonRoot": True,
        "runAsUser": 1000,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "resources": {
        "requests": {"cpu": "4", "memory": "16Gi"},
        "limits": {"cpu": "4", "memory": "16Gi"},
    },
    "livenessProbe": PROBE,
    "readinessProbe": PROBE,
    "env": [{"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}}],
}
GOOD_DEPLOYMENT = {
    "metadata": {"name": "llama", "namespace": "serving"},
    "spec": {
        "template": {
            "spec": {"automountServiceAccountToken": False, "containers": [GOOD_CONTAINER]}
        }
    },
}
C = "spec.template.spec.containers.0"


def k8s(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    return [resource(DEPLOYMENT, inputs, name="llama")]


def as_workload(type_: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A Deployment's metadata and pod template in another workload kind, where that kind
    keeps its pod template (Kubernetes API reference, workload resources: apps/v1
    StatefulSet, DaemonSet and ReplicaSet specs and batch/v1 JobSpec have `template`,
    CronJobSpec has `jobTemplate.spec.template`, a Pod is the template itself)."""
    metadata, template = inputs["metadata"], inputs["spec"]["template"]
    if type_ == "kubernetes:core/v1:Pod":
        shaped = {"metadata": metadata, "spec": template["spec"]}
    elif type_ == "kubernetes:batch/v1:CronJob":
        shaped = {
            "metadata": metadata,
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}},
        }
    elif type_ == LEADER_WORKER_SET:
        # one group of one pod, the leader's template being the worker's too
        # (kubernetes-sigs/lws@v0.10.0 api/leaderworkerset/v1/leaderworkerset_types.go:151-191)
        group = {"size": 1, "leaderTemplate": template, "workerTemplate": template}
        shaped = {"metadata": metadata, "spec": {"replicas": 1, "leaderWorkerTemplate": group}}
    else:
        shaped = {"metadata": metadata, "spec": {"template": template}}
    return resource(type_, shaped, name="llama")


WORKLOAD_KINDS = (
    DEPLOYMENT,
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
    "kubernetes:core/v1:Pod",
    LEADER_WORKER_SET,
)


def workloads(inputs: dict[str, Any]) -> list[dict[str, Any]]:
    """The same pod in every workload kind a pod rule reads."""
    return [as_workload(kind, inputs) for kind in WORKLOAD_KINDS]


# --- LLM serving -----------------------------------------------------------------------
GPU_CONTAINER = changed(
    GOOD_CONTAINER,
    "resources",
    {
        "requests": {"cpu": "8", "memory": "64Gi", "nvidia.com/gpu": 4},
        "limits": {"cpu": "8", "memory": "64Gi", "nvidia.com/gpu": 4},
    },
)
GPU_CONTAINER_8 = changed(
    GOOD_CONTAINER,
    "resources",
    {
        "requests": {"cpu": "160", "memory": "1500Gi", "nvidia.com/gpu": 8},
        "limits": {"cpu": "160", "memory": "1500Gi", "nvidia.com/gpu": 8},
    },
)
MODEL_SERVER = {
    "metadata": {
        "name": "llama-70b",
        "namespace": "serving",
        "annotations": {
            "llm-infra.io/model-architecture": "meta-llama/Llama-3.1-70B-Instruct",
            "llm-infra.io/gpu": "h100",
            "llm-infra.io/tensor-parallel-size": "4",
            "llm-infra.io/max-model-len": "32768",
            "llm-infra.io/max-replicas": "4",
        },
    },
    "spec": {
        "template": {
            "spec": {
                "automountServiceAccountToken": False,
                "containers": [GPU_CONTAINER],
                "nodeSelector": {"llm-infra.io/pool": "large", "llm-infra.io/gpu": "h100"},
                "tolerations": [
                    {
                        "key": "nvidia.com/gpu",
                        "operator": "Equal",
                        "value": "present",
                        "effect": "NoSchedule",
                    }
                ],
            }
        }
    },
}


def pool_group(max_size: int) -> dict[str, Any]:
    return resource(
        "aws:eks/nodeGroup:NodeGroup",
        {
            "instanceTypes": ["p5.48xlarge"],
            "scalingConfig": {"minSize": 0, "maxSize": max_size, "desiredSize": 0},
            "labels": {"llm-infra.io/pool": "large"},
        },
        name="gpu-large",
    )


def group_server(size: int = 2, stages: int = 2) -> dict[str, Any]:
    """Llama 3.1 405B as one LeaderWorkerSet group of `size` pods of 8 H100 each, annotated
    with `stages` pipeline stages (workloads/model_group.py)."""
    eight = changed(
        changed(MODEL_SERVER, "spec.template.spec.containers", [GPU_CONTAINER_8]),
        "metadata.annotations",
        {
            "llm-infra.io/model-architecture": "meta-llama/Llama-3.1-405B-Instruct",
            "llm-infra.io/gpu": "h100",
            "llm-infra.io/tensor-parallel-size": "8",
            "llm-infra.io/pipeline-parallel-size": str(stages),
            "llm-infra.io/max-model-len": "16384",
            "llm-infra.io/max-replicas": "1",
        },
    )
    found = as_workload(LEADER_WORKER_SET, eight)
    found["inputs"]["spec"]["leaderWorkerTemplate"]["size"] = size
    return found


def zoned_pool(subnets: list[str], max_size: int = 2) -> dict[str, Any]:
    """An EKS node group of p5.48xlarge in these subnets (one per zone)."""
    found = pool_group(max_size)
    found["inputs"]["subnetIds"] = subnets
    return found


# rule name -> (passing resources, failing resources, pack config or None)
CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any] | None]] = {
    "eks-endpoint-private-in-prod": (
        [resource(EKS, GOOD_EKS)],
        [resource(EKS, changed(GOOD_EKS, "vpcConfig.endpointPublicAccess", True))],
        None,
    ),
    "eks-public-endpoint-restricted": (
        [
            resource(
                EKS, changed(changed(GOOD_EKS, "vpcConfig.endpointPublicAccess", True), "tags", DEV)
            )
        ],
        [
            resource(
                EKS,
                changed(changed(GOOD_EKS, "vpcConfig.endpointPublicAccess", True), "tags", STAGING),
            )
        ],
        None,
    ),
    "eks-secrets-encryption": (
        [resource(EKS, GOOD_EKS)],
        [resource(EKS, changed(GOOD_EKS, "encryptionConfig", None))],
        None,
    ),
    "eks-control-plane-logs": (
        [resource(EKS, GOOD_EKS)],
        [resource(EKS, changed(GOOD_EKS, "enabledClusterLogTypes", ["api"]))],
        None,
    ),
    "launch-template-imdsv2": (
        [resource(LT, GOOD_LT)],
        [resource(LT, changed(GOOD_LT, "metadataOptions.httpTokens", "optional"))],
        None,
    ),
    "launch-template-hop-limit": (
        [resource(LT, GOOD_LT)],
        [resource(LT, changed(GOOD_LT, "metadataOptions.httpPutResponseHopLimit", 2))],
        None,
    ),
    "launch-template-no-public-ip": (
        [resource(LT, GOOD_LT)],
        [resource(LT, changed(GOOD_LT, "networkInterfaces.0.associatePublicIpAddress", "true"))],
        None,
    ),
    "launch-template-encrypted-volumes": (
        [resource(LT, GOOD_LT)],
        [resource(LT, changed(GOOD_LT, "blockDeviceMappings.0.ebs.encrypted", "false"))],
        None,
    ),
    "ebs-volume-encrypted": (
        [resource("aws:ebs/volume:Volume", {"encrypted": True, "type": "gp3"})],
        [resource("aws:ebs/volume:Volume", {"type": "gp3"})],
        None,
    ),
    "security-group-no-world-ingress": (
        [
            resource(
                "aws:ec2/securityGroup:SecurityGroup",
                {"ingress": [{"fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"]}]},
            )
        ],
        [
            resource(
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                {"fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"},
            ),
            resource(
                "aws:ec2/securityGroup:SecurityGroup",
                {
                    "ingress": [
                        {"fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"]},
                        {"fromPort": 22, "toPort": 22, "ipv6CidrBlocks": ["::/0"]},
                    ]
                },
            ),
        ],
        None,
    ),
    "subnet-no-public-ip-on-launch": (
        [resource("aws:ec2/subnet:Subnet", {"mapPublicIpOnLaunch": False})],
        [resource("aws:ec2/subnet:Subnet", {"mapPublicIpOnLaunch": True})],
        None,
    ),
    "default-security-group-closed": (
        [
            resource(
                "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", {"ingress": [], "egress": []}
            )
        ],
        [
            resource(
                "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
                {"ingress": [{"protocol": "-1", "self": True}]},
            )
        ],
        None,
    ),
    "s3-public-access-block": (
        [resource(PAB, GOOD_PAB)],
        [resource(PAB, changed(GOOD_PAB, "restrictPublicBuckets", False))],
        None,
    ),
    "s3-encryption-customer-key": (
        [resource(SSE, GOOD_SSE)],
        [
            resource(
                SSE,
                changed(
                    GOOD_SSE, "rules.0.applyServerSideEncryptionByDefault.sseAlgorithm", "AES256"
                ),
            )
        ],
        None,
    ),
    "s3-versioning": (
        [
            resource(
                "aws:s3/bucketVersioning:BucketVersioning",
                {"versioningConfiguration": {"status": "Enabled"}},
            )
        ],
        [
            resource(
                "aws:s3/bucketVersioning:BucketVersioning",
                {"versioningConfiguration": {"status": "Suspended"}},
            ),
            resource("aws:s3/bucketVersioningV2:BucketVersioningV2", {}),
        ],
        None,
    ),
    "s3-tls-only": (
        [resource(BUCKET, {}, name="models"), tls_policy(TLS_POLICY)],
        [
            resource(BUCKET, {}, name="models"),
            tls_policy(json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]})),
            resource("aws:s3/bucketV2:BucketV2", {}, name="logs"),
        ],
        None,
    ),
    "kms-key-rotation": (
        [resource("aws:kms/key:Key", {"enableKeyRotation": True})],
        [resource("aws:kms/key:Key", {"enableKeyRotation": False})],
        None,
    ),
    "iam-no-wildcard-actions": (
        [
            policy(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetObject"],
                            "Resource": "arn:aws:s3:::b/*",
                        }
                    ]
                }
            )
        ],
        [
            policy(
                {
                    "Statement": [
                        {"Effect": "Allow", "Action": action, "Resource": "arn:aws:s3:::b/*"}
                    ]
                },
                type_,
            )
            for type_, action in zip(
                IAM_POLICIES, ("s3:*", ["s3:GetObject", "*"], "kms:*"), strict=True
            )
        ],
        None,
    ),
    "iam-no-wildcard-resources-for-data": (
        [
            policy(
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["kms:Decrypt"],
                            "Resource": "arn:aws:kms:us-east-1:1:key/k",
                        }
                    ]
                }
            )
        ],
        [
            policy({"Statement": [{"Effect": "Allow", "Action": [action], "Resource": "*"}]}, type_)
            for type_, action in zip(
                IAM_POLICIES, ("kms:Decrypt", "s3:GetObject", "s3:PutObject"), strict=True
            )
        ],
        None,
    ),
    "irsa-trust-pinned": (
        [trust(PINNED)],
        [trust({"StringLike": {f"{ISSUER}:sub": "system:serviceaccount:*"}})],
        None,
    ),
    "log-group-encrypted": (
        [
            resource(
                "aws:cloudwatch/logGroup:LogGroup",
                {"tags": PROD, "kmsKeyId": "arn:k", "retentionInDays": 365},
            )
        ],
        [resource("aws:cloudwatch/logGroup:LogGroup", {"tags": PROD, "retentionInDays": 365})],
        None,
    ),
    "node-group-no-remote-access": (
        [resource("aws:eks/nodeGroup:NodeGroup", {"instanceTypes": ["m6i.large"]})],
        [resource("aws:eks/nodeGroup:NodeGroup", {"remoteAccess": {"ec2SshKey": "k"}})],
        None,
    ),
    "vpc-flow-logs-in-prod": (
        [
            resource(VPC, {"tags": PROD}, name="vpc"),
            resource(
                "aws:ec2/flowLog:FlowLog",
                {"vpcId": "vpc-1"},
                name="fl",
                property_dependencies={"vpcId": [VPC_URN]},
            ),
        ],
        [resource(VPC, {"tags": PROD}, name="vpc")],
        None,
    ),
    # GCP
    "gke-private-nodes": (
        [resource(GKE, GOOD_GKE)],
        [resource(GKE, changed(GOOD_GKE, "privateClusterConfig.enablePrivateNodes", False))],
        None,
    ),
    "gke-private-endpoint-in-prod": (
        [resource(GKE, GOOD_GKE)],
        [resource(GKE, changed(GOOD_GKE, "privateClusterConfig.enablePrivateEndpoint", False))],
        None,
    ),
    "gke-workload-identity": (
        [resource(GKE, GOOD_GKE)],
        [resource(GKE, changed(GOOD_GKE, "workloadIdentityConfig", None))],
        None,
    ),
    "gke-shielded-nodes": (
        [resource(GKE, GOOD_GKE)],
        [resource(GKE, changed(GOOD_GKE, "enableShieldedNodes", False))],
        None,
    ),
    "gke-secrets-encryption": (
        [resource(GKE, GOOD_GKE)],
        [resource(GKE, changed(GOOD_GKE, "databaseEncryption.state", "DECRYPTED"))],
        None,
    ),
    "gke-network-policy": (
        [resource(GKE, GOOD_GKE)],
        [resource(GKE, changed(GOOD_GKE, "datapathProvider", "LEGACY_DATAPATH"))],
        None,
    ),
    "gke-metadata-server": (
        [resource(NODE_POOL, GOOD_NODE_POOL)],
        [
            resource(
                NODE_POOL,
                changed(GOOD_NODE_POOL, "nodeConfig.workloadMetadataConfig.mode", "GCE_METADATA"),
            )
        ],
        None,
    ),
    "gke-secure-boot": (
        [resource(NODE_POOL, GOOD_NODE_POOL)],
        [resource(NODE_POOL, changed(GOOD_NODE_POOL, "nodeConfig.shieldedInstanceConfig", None))],
        None,
    ),
    "gcs-uniform-access": (
        [resource(GCS, GOOD_GCS)],
        [resource(GCS, changed(GOOD_GCS, "uniformBucketLevelAccess", False))],
        None,
    ),
    "gcs-public-access-prevention": (
        [resource(GCS, GOOD_GCS)],
        [resource(GCS, changed(GOOD_GCS, "publicAccessPrevention", "inherited"))],
        None,
    ),
    "gcs-customer-key": (
        [resource(GCS, GOOD_GCS)],
        [resource(GCS, changed(GOOD_GCS, "encryption", None))],
        None,
    ),
    "gcs-versioning": (
        [resource(GCS, GOOD_GCS)],
        [resource(GCS, changed(GOOD_GCS, "versioning.enabled", False))],
        None,
    ),
    "gcp-kms-rotation": (
        [resource("gcp:kms/cryptoKey:CryptoKey", {"rotationPeriod": "7776000s"})],
        [resource("gcp:kms/cryptoKey:CryptoKey", {"rotationPeriod": "31536000s"})],
        None,
    ),
    "gcp-firewall-no-world-ingress": (
        [
            resource(
                "gcp:compute/firewall:Firewall",
                {
                    "direction": "INGRESS",
                    "allows": [{"protocol": "tcp"}],
                    "sourceRanges": ["35.191.0.0/16"],
                },
            )
        ],
        [
            resource(
                "gcp:compute/firewall:Firewall",
                {
                    "direction": "INGRESS",
                    "allows": [{"protocol": "tcp", "ports": ["22"]}],
                    "sourceRanges": ["0.0.0.0/0"],
                },
            )
        ],
        None,
    ),
    "gcp-subnet-private-access-and-flow-logs": (
        [resource("gcp:compute/subnetwork:Subnetwork", GOOD_SUBNET)],
        [resource("gcp:compute/subnetwork:Subnetwork", {"privateIpGoogleAccess": True})],
        {"*": {"environment": "prod"}},
    ),
    # Azure
    "aks-local-accounts-disabled": (
        [resource(AKS, GOOD_AKS)],
        [resource(AKS, changed(GOOD_AKS, "disableLocalAccounts", False))],
        None,
    ),
    "aks-entra-rbac": (
        [resource(AKS, GOOD_AKS)],
        [resource(AKS, changed(GOOD_AKS, "aadProfile.enableAzureRBAC", False))],
        None,
    ),
    "aks-network-policy": (
        [resource(AKS, GOOD_AKS)],
        [resource(AKS, changed(GOOD_AKS, "networkProfile", {"networkPlugin": "azure"}))],
        None,
    ),
    "aks-private-cluster-in-prod": (
        [resource(AKS, GOOD_AKS)],
        [resource(AKS, changed(GOOD_AKS, "apiServerAccessProfile.enablePrivateCluster", False))],
        None,
    ),
    "aks-workload-identity": (
        [resource(AKS, GOOD_AKS)],
        [resource(AKS, changed(GOOD_AKS, "securityProfile", None))],
        None,
    ),
    "storage-https-only": (
        [resource(STORAGE, GOOD_STORAGE)],
        [resource(STORAGE, changed(GOOD_STORAGE, "enableHttpsTrafficOnly", False))],
        None,
    ),
    "storage-tls12": (
        [resource(STORAGE, GOOD_STORAGE)],
        [resource(STORAGE, changed(GOOD_STORAGE, "minimumTlsVersion", "TLS1_0"))],
        None,
    ),
    "storage-no-public-blobs": (
        [resource(STORAGE, GOOD_STORAGE)],
        [resource(STORAGE, changed(GOOD_STORAGE, "allowBlobPublicAccess", True))],
        None,
    ),
    "storage-no-shared-key": (
        [resource(STORAGE, GOOD_STORAGE)],
        [resource(STORAGE, changed(GOOD_STORAGE, "allowSharedKeyAccess", None))],
        None,
    ),
    "azure-nsg-no-world-ingress": (
        [
            resource(
                NSG,
                {
                    "securityRules": [
                        {
                            "name": "https",
                            "direction": "Inbound",
                            "access": "Allow",
                            "sourceAddressPrefix": "VirtualNetwork",
                        }
                    ]
                },
            )
        ],
        [
            resource(
                NSG,
                {
                    "securityRules": [
                        {
                            "name": "ssh",
                            "direction": "Inbound",
                            "access": "Allow",
                            "sourceAddressPrefix": "*",
                        }
                    ]
                },
            ),
            resource(
                "azure-native:network:SecurityRule",
                {
                    "name": "rdp",
                    "direction": "Inbound",
                    "access": "Allow",
                    "sourceAddressPrefixes": ["10.0.0.0/8", "Internet"],
                },
            ),
        ],
        None,
    ),
    # Kubernetes
    "k8s-no-privileged": (
        workloads(GOOD_DEPLOYMENT),
        workloads(changed(GOOD_DEPLOYMENT, f"{C}.securityContext.privileged", True)),
        None,
    ),
    "k8s-no-host-namespaces": (
        workloads(GOOD_DEPLOYMENT),
        workloads(changed(GOOD_DEPLOYMENT, "spec.template.spec.hostNetwork", True)),
        None,
    ),
    "k8s-no-host-path": (
        workloads(
            changed(
                GOOD_DEPLOYMENT,
                "spec.template.spec.volumes",
                [{"name": "shm", "emptyDir": {"medium": "Memory"}}],
            )
        ),
        workloads(
            changed(
                GOOD_DEPLOYMENT,
                "spec.template.spec.volumes",
                [{"name": "h", "hostPath": {"path": "/var"}}],
            )
        ),
        None,
    ),
    "k8s-no-host-ports": (
        workloads(changed(GOOD_DEPLOYMENT, f"{C}.ports", [{"containerPort": 8000}])),
        workloads(
            changed(GOOD_DEPLOYMENT, f"{C}.ports", [{"containerPort": 8000, "hostPort": 8000}])
        ),
        None,
    ),
    "k8s-no-privilege-escalation": (
        workloads(GOOD_DEPLOYMENT),
        workloads(changed(GOOD_DEPLOYMENT, f"{C}.securityContext.allowPrivilegeEscalation", None)),
        None,
    ),
    "k8s-run-as-non-root": (
        workloads(GOOD_DEPLOYMENT),
        workloads(changed(GOOD_DEPLOYMENT, f"{C}.securityContext.runAsUser", 0)),
        None,
    ),
    "k8s-drop-all-capabilities": (
        workloads(GOOD_DEPLOYMENT),
        workloads(
            changed(GOOD_DEPLOYMENT, f"{C}.securityContext.capabilities", {"drop": ["NET_RAW"]})
        ),
        None,
    ),
    "k8s-seccomp-runtime-default": (
        workloads(GOOD_DEPLOYMENT),
        workloads(
            changed(GOOD_DEPLOYMENT, f"{C}.securityContext.seccompProfile.type", "Unconfined")
        ),
        None,
    ),
    "k8s-read-only-root-fs": (
        workloads(GOOD_DEPLOYMENT),
        workloads(changed(GOOD_DEPLOYMENT, f"{C}.securityContext.readOnlyRootFilesystem", False)),
        None,
    ),
    "k8s-requests-and-limits": (
        workloads(GOOD_DEPLOYMENT),
        workloads(changed(GOOD_DEPLOYMENT, f"{C}.resources.limits", {"cpu": "4"})),
        None,
    ),
    "k8s-probes": (
        workloads(GOOD_DEPLOYMENT),
        workloads(changed(GOOD_DEPLOYMENT, f"{C}.livenessProbe", None)),
        None,
    ),
    "k8s-image-pinned": (
        workloads(changed(GOOD_DEPLOYMENT, f"{C}.image", "qdrant/qdrant@sha256:" + "a" * 64)),
        workloads(changed(GOOD_DEPLOYMENT, f"{C}.image", "vllm/vllm-openai:latest")),
        None,
    ),
    "k8s-no-literal-secret-env": (
        workloads(GOOD_DEPLOYMENT),
        workloads(changed(GOOD_DEPLOYMENT, f"{C}.env", [{"name": "HF_TOKEN", "value": "hf_abc"}])),
        None,
    ),
    "k8s-no-default-namespace": (
        workloads(GOOD_DEPLOYMENT),
        workloads(changed(GOOD_DEPLOYMENT, "metadata.namespace", None)),
        None,
    ),
    "k8s-no-token-automount": (
        workloads(GOOD_DEPLOYMENT),
        workloads(
            changed(GOOD_DEPLOYMENT, "spec.template.spec.automountServiceAccountToken", None)
        ),
        None,
    ),
    # LLM serving
    "llm-model-sized": (
        workloads(MODEL_SERVER),
        workloads(
            changed(
                MODEL_SERVER, ("metadata", "annotations", "llm-infra.io/model-architecture"), None
            )
        ),
        None,
    ),
    "llm-model-fits-gpus": (
        workloads(MODEL_SERVER),
        workloads(changed(MODEL_SERVER, ("metadata", "annotations", "llm-infra.io/gpu"), "a10g")),
        None,
    ),
    "llm-gpu-request-equals-tensor-parallel": (
        workloads(MODEL_SERVER),
        workloads(
            changed(
                MODEL_SERVER, ("metadata", "annotations", "llm-infra.io/tensor-parallel-size"), "8"
            )
        ),
        None,
    ),
    "llm-gpu-pods-on-gpu-pools": (
        workloads(MODEL_SERVER),
        workloads(changed(MODEL_SERVER, "spec.template.spec.tolerations", [])),
        None,
    ),
    "llm-capacity-coherence": (
        [pool_group(2), *k8s(MODEL_SERVER)],  # 2 × 8 GPUs ≥ 4 replicas × 4
        [pool_group(1), *k8s(MODEL_SERVER)],  # 8 GPUs < 16
        None,
    ),
    "llm-group-in-one-zone": (
        [zoned_pool(["subnet-a"]), group_server()],
        [zoned_pool(["subnet-a", "subnet-b"]), group_server()],
        None,
    ),
}

LARGE = {"llm-infra.io/pool": "large"}

# --- the gateway -------------------------------------------------------------------------
GATEWAY_CR = "kubernetes:gateway.networking.k8s.io/v1:Gateway"
SECURITY_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"
ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
GATEWAY = resource(
    GATEWAY_CR,
    {"metadata": {"name": "llm-gateway", "namespace": "gw"}, "spec": {"gatewayClassName": "c"}},
    name="gateway",
)


def api_keys(target: str = "llm-gateway", **auth: Any) -> dict[str, Any]:
    spec = {
        "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": target}],
        **(auth or {"apiKeyAuth": {"credentialRefs": [{"kind": "Secret", "name": "keys"}]}}),
    }
    return resource(
        SECURITY_POLICY,
        {"metadata": {"name": "auth", "namespace": "gw"}, "spec": spec},
        name="auth",
    )


def limits(target: str = "llm-gateway") -> dict[str, Any]:
    spec = {
        "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": target}],
        "rateLimit": {
            "type": "Local",
            "local": {"rules": [{"limit": {"requests": 1, "unit": "Minute"}}]},
        },
    }
    return resource(
        "kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy",
        {"metadata": {"name": "limits", "namespace": "gw"}, "spec": spec},
        name="limits",
    )


def proxy(**service: Any) -> dict[str, Any]:
    envoy_service = {"type": "LoadBalancer", **service}
    return resource(
        ENVOY_PROXY,
        {
            "metadata": {"name": "llm-gateway", "namespace": "gw"},
            "spec": {
                "provider": {"type": "Kubernetes", "kubernetes": {"envoyService": envoy_service}}
            },
        },
        name="proxy",
    )


CASES.update(
    {
        "gateway-requires-auth": (
            [GATEWAY, api_keys()],
            [GATEWAY, api_keys(target="another")],
            None,
        ),
        "gateway-load-balancer-internal": (
            [proxy(annotations={"networking.gke.io/load-balancer-type": "Internal"})],
            [proxy(annotations={})],
            None,
        ),
        "gateway-tls-in-prod": (
            [changed(GATEWAY, "inputs.spec.listeners", [{"name": "https", "protocol": "HTTPS"}])],
            [changed(GATEWAY, "inputs.spec.listeners", [{"name": "http", "protocol": "HTTP"}])],
            {"*": {"environment": "prod"}},
        ),
        "gateway-rate-limits-in-prod": (
            [GATEWAY, limits()],
            [GATEWAY, limits(target="another")],
            {"*": {"environment": "prod"}},
        ),
    }
)

# More failing sets, for stack rules whose finding names one resource: one set per
# workload kind holding the model server, and one per cloud's pool type holding only that
# pool (one node of 8 H100s for a model needing 4 replicas × 4 GPUs).
MORE_FAILING: dict[str, list[list[dict[str, Any]]]] = {
    "gateway-requires-auth": [
        [GATEWAY],  # no policy at all
        [GATEWAY, api_keys(cors={"allowOrigins": ["*"]})],  # a policy that authenticates nothing
        # a JWT that may be missing lets requests without credentials through
        [GATEWAY, api_keys(jwt={"optional": True, "providers": [{"name": "idp"}]})],
    ],
    "gateway-load-balancer-internal": [
        [proxy(annotations={}, loadBalancerSourceRanges=["0.0.0.0/0"])],
        [
            proxy(
                annotations={
                    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"
                }
            )
        ],
    ],
    "llm-group-in-one-zone": [
        [pool, group_server()]
        for pool in (
            gke_pool("a3-highgpu-8g", 0, 2, labels=LARGE),
            agent_pool("Standard_ND96isr_H100_v5", 0, 2, PROD, labels=LARGE),
            aks_cluster("Standard_ND96isr_H100_v5", 0, 2, PROD, labels=LARGE),
        )
    ],
    # a group of two pods whose annotations say one stage
    "llm-gpu-request-equals-tensor-parallel": [[group_server(size=2, stages=1)]],
    "llm-capacity-coherence": [
        # one group is 2 nodes × 8 GPUs: more than one node of 8 holds
        [zoned_pool(["subnet-a"], max_size=1), group_server()],
        *([pool_group(1), as_workload(kind, MODEL_SERVER)] for kind in WORKLOAD_KINDS[1:]),
        *(
            [pool, *k8s(MODEL_SERVER)]
            for pool in (
                gke_pool("a3-highgpu-8g", 0, 1, labels=LARGE),
                agent_pool("Standard_ND96isr_H100_v5", 0, 1, PROD, labels=LARGE),
                aks_cluster("Standard_ND96isr_H100_v5", 0, 1, PROD, labels=LARGE),
            )
        ),
    ],
}
