"""GCP: GKE, node pools, GCS, Cloud KMS, firewall, subnets."""

from collections.abc import Iterator, Mapping
from typing import Any

from policies.lib.props import environment, get, items
from policies.lib.rules import Resource, Rule, StackRule, rule

GKE = "gcp:container/cluster:Cluster"
NODE_POOL = "gcp:container/nodePool:NodePool"
BUCKET = "gcp:storage/bucket:Bucket"
NINETY_DAYS_S = 90 * 24 * 3600


@rule("gke-private-nodes", "GKE nodes have no public IPs", [GKE], mirrors="CKV_GCP_64")
def private_nodes(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not get(resource.props, "privateClusterConfig", "enablePrivateNodes", default=False):
        yield "privateClusterConfig.enablePrivateNodes is off"


@rule(
    "gke-private-endpoint-in-prod",
    "GKE control planes are private in prod",
    [GKE],
    mirrors="CKV_GCP_20",
)
def private_endpoint(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if environment(resource.props, config) == "prod" and not get(
        resource.props, "privateClusterConfig", "enablePrivateEndpoint", default=False
    ):
        yield "privateClusterConfig.enablePrivateEndpoint is off"


@rule("gke-workload-identity", "GKE uses Workload Identity", [GKE], mirrors="CKV_GCP_66")
def workload_identity(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not get(resource.props, "workloadIdentityConfig", "workloadPool"):
        yield "workloadIdentityConfig.workloadPool is not set"


@rule("gke-shielded-nodes", "GKE nodes are shielded", [GKE], mirrors="CKV_GCP_71")
def shielded_nodes(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if get(resource.props, "enableShieldedNodes", default=True) is False:
        yield "enableShieldedNodes is off"


@rule(
    "gke-secrets-encryption",
    "GKE encrypts secrets at the application layer with Cloud KMS",
    [GKE],
    mirrors="CKV_GCP_73",
)
def secrets_encryption(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    encryption = get(resource.props, "databaseEncryption", default={})
    if get(encryption, "state") != "ENCRYPTED" or not get(encryption, "keyName"):
        yield "databaseEncryption is not ENCRYPTED with a key"


@rule("gke-network-policy", "GKE enforces network policy", [GKE], mirrors="CKV_GCP_12")
def network_policy(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    dataplane_v2 = get(resource.props, "datapathProvider") == "ADVANCED_DATAPATH"
    if not dataplane_v2 and not get(resource.props, "networkPolicy", "enabled", default=False):
        yield "neither Dataplane V2 nor networkPolicy.enabled"


@rule(
    "gke-metadata-server",
    "Node pools hide node metadata (GKE metadata server)",
    [NODE_POOL],
    mirrors="CKV_GCP_69",
)
def metadata_server(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if get(resource.props, "nodeConfig", "workloadMetadataConfig", "mode") != "GKE_METADATA":
        yield "nodeConfig.workloadMetadataConfig.mode is not GKE_METADATA"


@rule("gke-secure-boot", "Node pools boot securely", [NODE_POOL], mirrors="CKV_GCP_68")
def secure_boot(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not get(
        resource.props, "nodeConfig", "shieldedInstanceConfig", "enableSecureBoot", default=False
    ):
        yield "nodeConfig.shieldedInstanceConfig.enableSecureBoot is off"


@rule(
    "gcs-uniform-access", "Buckets use uniform bucket-level access", [BUCKET], mirrors="CKV_GCP_29"
)
def uniform_access(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not get(resource.props, "uniformBucketLevelAccess", default=False):
        yield "uniformBucketLevelAccess is off"


@rule(
    "gcs-public-access-prevention",
    "Buckets enforce public access prevention",
    [BUCKET],
    mirrors="CKV_GCP_114",
)
def public_access_prevention(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if get(resource.props, "publicAccessPrevention") != "enforced":
        yield "publicAccessPrevention is not 'enforced'"


@rule(
    "gcs-customer-key",
    "Buckets encrypt with a customer-managed key",
    [BUCKET],
    mirrors="CKV_GCP_81-family",
)
def bucket_cmek(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not get(resource.props, "encryption", "defaultKmsKeyName"):
        yield "encryption.defaultKmsKeyName is not set"


@rule("gcs-versioning", "Buckets keep versions", [BUCKET], mirrors="CKV_GCP_78")
def gcs_versioning(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not get(resource.props, "versioning", "enabled", default=False):
        yield "versioning.enabled is off"


@rule(
    "gcp-kms-rotation",
    "Cloud KMS keys rotate at least every 90 days",
    ["gcp:kms/cryptoKey:CryptoKey"],
    mirrors="CKV_GCP_43",
)
def kms_rotation(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    period = str(get(resource.props, "rotationPeriod", default=""))
    seconds = (
        float(period.rstrip("s")) if period.rstrip("s").replace(".", "", 1).isdigit() else None
    )
    if seconds is None or seconds > NINETY_DAYS_S:
        yield f"rotationPeriod {period or 'unset'} is longer than 90 days"


@rule(
    "gcp-firewall-no-world-ingress",
    "No firewall rule admits the whole internet",
    ["gcp:compute/firewall:Firewall"],
    mirrors="CKV_GCP_2 / CKV_GCP_3 / CKV_GCP_106",
)
def firewall_world(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    ingress = get(resource.props, "direction", default="INGRESS") == "INGRESS"
    if (
        ingress
        and items(resource.props, "allows")
        and {"0.0.0.0/0", "::/0"} & set(items(resource.props, "sourceRanges"))
    ):
        yield "ingress allowed from 0.0.0.0/0"


@rule(
    "gcp-subnet-private-access-and-flow-logs",
    "Subnets use Private Google Access, and flow logs in prod",
    ["gcp:compute/subnetwork:Subnetwork"],
    mirrors="CKV_GCP_74 / CKV_GCP_26",
)
def subnet(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not get(resource.props, "privateIpGoogleAccess", default=False):
        yield "privateIpGoogleAccess is off"
    if environment(resource.props, config) == "prod" and not get(resource.props, "logConfig"):
        yield "flow logs (logConfig) are off"


RULES: list[Rule | StackRule] = [
    private_nodes,
    private_endpoint,
    workload_identity,
    shielded_nodes,
    secrets_encryption,
    network_policy,
    metadata_server,
    secure_boot,
    uniform_access,
    public_access_prevention,
    bucket_cmek,
    gcs_versioning,
    kms_rotation,
    firewall_world,
    subnet,
]
