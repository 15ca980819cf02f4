"""Every choice in the stack config is one of these enums; their values are what users write."""

from enum import StrEnum


class Cloud(StrEnum):
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"


class Environment(StrEnum):
    """Drives the defaults: dev is cheap, prod is hardened (see infra.config.defaults)."""

    DEV = "dev"
    STAGING = "staging"
    PROD = "prod"


class GpuType(StrEnum):
    """Cloud-neutral GPU names; each cloud maps them to its own instance types."""

    A10G = "a10g"
    L4 = "l4"
    A100_40GB = "a100-40gb"
    A100_80GB = "a100-80gb"
    H100 = "h100"


class CapacityType(StrEnum):
    ON_DEMAND = "on_demand"
    SPOT = "spot"


class NatStrategy(StrEnum):
    """How private subnets reach the internet."""

    NONE = "none"  # no egress at all: images and weights must come through private endpoints
    SINGLE = "single"  # one NAT gateway shared by every zone: cheap, one zone's outage cuts egress
    ONE_PER_AZ = "one_per_az"  # a NAT gateway per zone: survives a zone outage, costs one per zone


class EndpointAccess(StrEnum):
    """Who can reach the Kubernetes API server."""

    PUBLIC = "public"
    PRIVATE = "private"
    PUBLIC_AND_PRIVATE = "public_and_private"

    @property
    def is_public(self) -> bool:
        return self is not EndpointAccess.PRIVATE


class ControlPlaneLog(StrEnum):
    """Control-plane log streams; each cloud maps them to its own names."""

    API = "api"
    AUDIT = "audit"
    AUTHENTICATOR = "authenticator"
    CONTROLLER_MANAGER = "controller_manager"
    SCHEDULER = "scheduler"


class Engine(StrEnum):
    VLLM = "vllm"
    TGI = "tgi"


class Dtype(StrEnum):
    AUTO = "auto"
    BFLOAT16 = "bfloat16"
    FLOAT16 = "float16"


class Quantization(StrEnum):
    AWQ = "awq"
    GPTQ = "gptq"
    FP8 = "fp8"


class DeployRunner(StrEnum):
    """Where `pulumi up` runs, and so how it reaches the cluster's API server."""

    GITHUB_HOSTED = "github-hosted"  # a GitHub-hosted runner: anywhere on the internet
    IN_NETWORK = "in-network"  # a runner the stack creates inside its own network
    SELF_HOSTED = "self-hosted"  # a machine of yours whose egress ranges the config lists
