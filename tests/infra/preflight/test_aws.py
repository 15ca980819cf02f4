"""AWS preflight against moto (zones and offerings) and botocore's Stubber (quotas, EKS)."""

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from infra.preflight.findings import Severity
from infra.preflight.run import failed, preflight, render_preflight_table
from tests.harness import load, minimal_platform

REGION = "us-east-1"
QUOTAS = {
    "L-DB2E81BA": 64.0,
    "L-417A185B": 0.0,
    "L-3819A6DF": 64.0,
    "L-7212CCBC": 0.0,
    "L-1216C47A": 512.0,
}


class FakeSession:
    """EC2 from moto; Service Quotas and EKS (which moto lacks) from stubbed clients."""

    def __init__(self, quotas: dict[str, float], version_status: str | None = "STANDARD_SUPPORT"):
        self.quotas = boto3.client(
            "service-quotas", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
        )
        self.eks = boto3.client(
            "eks", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
        )
        self.stubs = [Stubber(self.quotas), Stubber(self.eks)]
        self.quota_values = quotas
        self.version_status = version_status

    def client(self, name: str, region_name: str) -> Any:
        if name == "ec2":
            return boto3.client("ec2", region_name=region_name)
        return {"service-quotas": self.quotas, "eks": self.eks}[name]

    def expect(self, codes: list[str], version: str) -> None:
        quota_stub, eks_stub = self.stubs
        for code in codes:
            quota_stub.add_response(
                "get_service_quota",
                {"Quota": {"QuotaCode": code, "Value": self.quota_values[code]}},
                {"ServiceCode": "ec2", "QuotaCode": code},
            )
        versions = (
            []
            if self.version_status is None
            else [{"clusterVersion": version, "versionStatus": self.version_status}]
        )
        eks_stub.add_response(
            "describe_cluster_versions",
            {"clusterVersions": versions},
            {"clusterType": "eks", "clusterVersions": [version]},
        )
        for stub in self.stubs:
            stub.activate()


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def platform(pools, zones=("us-east-1a", "us-east-1b")):
    return minimal_platform(
        network={"availability_zones": list(zones)},
        gpu_pools=pools,
        models=[],
        cost={},
    )


def run(config, session):
    return preflight(config, lambda: session)


def test_an_instance_type_not_offered_in_a_zone_is_an_error_with_the_zones_that_offer_it(aws):
    # moto's offerings data has g6.12xlarge in us-east-1a/b/c/d/f, not in us-east-1e
    config = load(
        platform(
            [
                {
                    "name": "standard",
                    "gpu": "l4",
                    "gpus_per_node": 4,
                    "max_nodes": 1,
                    "capacity_type": "on_demand",
                }
            ],
            zones=("us-east-1a", "us-east-1e"),
        )
    )
    session = FakeSession(QUOTAS)
    session.expect(["L-DB2E81BA", "L-1216C47A"], "1.34")
    findings = run(config, session)
    errors = {f.message: f.fix for f in findings if f.severity is Severity.ERROR}
    assert errors == {
        "llm-infra:platform.gpu_pools[0]: g6.12xlarge is not offered in us-east-1e": "set llm-infra:platform.gpu_pools[0].zones to zones that offer it (us-east-1a)",
        # the CPU pool as the platform sizes it for this stack (components/aws/cpu_pool.py)
        "llm-infra:platform.cluster.system_pool: m6i.xlarge is not offered in us-east-1e": "set llm-infra:platform.network.availability_zones to zones that offer it (us-east-1a), or choose another llm-infra:platform.cluster.system_pool.instance_type",
    }
    assert failed(findings)


def test_a_quota_below_the_maximum_scale_is_an_error_with_the_request_command(aws):
    config = load(
        platform(
            [
                {
                    "name": "large",
                    "gpu": "h100",
                    "gpus_per_node": 8,
                    "max_nodes": 2,
                    "capacity_type": "on_demand",
                }
            ]
        )
    )
    session = FakeSession(QUOTAS)
    session.expect(["L-417A185B", "L-1216C47A"], "1.34")
    findings = run(config, session)
    quota = next(f for f in findings if f.check == "quota L-417A185B")
    assert quota.severity is Severity.ERROR
    assert (
        quota.message
        == "'Running On-Demand P instances' is 0 vCPUs; the stack needs 384 at max scale (2 × p5.48xlarge (192 vCPUs))"
    )
    assert quota.fix.endswith("--quota-code L-417A185B --desired-value 384")
    standard = next(f for f in findings if f.check == "quota L-1216C47A")
    assert standard.severity is Severity.OK  # 4 × m6i.large = 8 vCPUs of 512


def test_spot_pools_are_checked_against_the_spot_quota(aws):
    config = load(
        platform([{"name": "standard", "gpu": "l4", "gpus_per_node": 4, "max_nodes": 2}])
    )  # dev: spot
    session = FakeSession({**QUOTAS, "L-3819A6DF": 64.0})
    session.expect(["L-3819A6DF", "L-1216C47A"], "1.34")
    findings = run(config, session)
    spot = next(f for f in findings if f.check == "quota L-3819A6DF")
    assert spot.severity is Severity.ERROR and "needs 96" in spot.message


def test_a_clean_stack_passes(aws):
    config = load(
        platform(
            [
                {
                    "name": "standard",
                    "gpu": "l4",
                    "gpus_per_node": 1,
                    "max_nodes": 2,
                    "capacity_type": "on_demand",
                }
            ]
        )
    )
    session = FakeSession(QUOTAS)
    session.expect(["L-DB2E81BA", "L-1216C47A"], "1.34")
    findings = run(config, session)
    assert not failed(findings)
    assert {f.severity for f in findings} == {Severity.OK}, findings
    assert "0 error(s), 0 warning(s)" in render_preflight_table("dev", findings)


@pytest.mark.parametrize(
    ("status", "severity"),
    [
        (None, Severity.ERROR),
        ("EXTENDED_SUPPORT", Severity.WARNING),
        ("STANDARD_SUPPORT", Severity.OK),
    ],
)
def test_the_kubernetes_version_must_be_offered(aws, status, severity):
    config = load(platform([]))
    session = FakeSession(QUOTAS, version_status=status)
    session.expect(["L-1216C47A"], "1.34")
    finding = run(config, session)[-1]
    assert finding.check == "kubernetes 1.34" and finding.severity is severity


def test_zones_default_to_the_first_available_ones(aws):
    raw = platform(
        [
            {
                "name": "p",
                "instance_type": "p4de.24xlarge",
                "max_nodes": 1,
                "capacity_type": "on_demand",
            }
        ]
    )
    raw["network"] = {"zone_count": 2}
    session = FakeSession({**QUOTAS, "L-417A185B": 96.0})
    session.expect(["L-417A185B", "L-1216C47A"], "1.34")
    findings = run(load(raw), session)
    offering = next(f for f in findings if f.check == "offering p4de.24xlarge")
    # moto offers p4de.24xlarge in us-east-1b and c only; the first two zones are a and b
    assert offering.severity is Severity.ERROR and offering.message.endswith(
        "not offered in us-east-1a"
    )


def test_gcp_and_azure_say_plainly_they_are_not_checked():
    config = load(
        minimal_platform(
            cloud="gcp",
            region="us-central1",
            network={},
            gpu_pools=[{"name": "standard", "gpu": "l4"}],
        ),
        gcp_project="p",
    )
    findings = preflight(config, lambda: pytest.fail("no session is needed"))
    assert [f.severity for f in findings] == [Severity.UNSUPPORTED]
    assert "not supported yet" in findings[0].message
    assert not failed(findings)


ARN = (
    "arn:aws:codeconnections:us-east-1:111122223333:connection/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
)


class ConnectionSession(FakeSession):
    """FakeSession plus a stubbed CodeConnections client (moto has none)."""

    def __init__(self, status: str | None) -> None:
        super().__init__(QUOTAS)
        self.connections = boto3.client(
            "codeconnections", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
        )
        stub = Stubber(self.connections)
        if status is None:
            stub.add_client_error(
                "get_connection",
                "ResourceNotFoundException",
                expected_params={"ConnectionArn": ARN},
            )
        else:
            stub.add_response(
                "get_connection",
                {
                    "Connection": {
                        "ConnectionName": "github",
                        "ConnectionArn": ARN,
                        "ConnectionStatus": status,
                    }
                },
                {"ConnectionArn": ARN},
            )
        stub.activate()

    def client(self, name: str, region_name: str) -> Any:
        if name == "codeconnections":
            assert region_name == "us-east-1"  # the connection's own region
            return self.connections
        return super().client(name, region_name)


def in_network():
    return load(
        {
            **platform([]),
            "deploy": {
                "runner": "in-network",
                "github_repository": "o/r",
                "aws_connection_arn": ARN,
            },
        }
    )


@pytest.mark.parametrize(
    ("status", "severity", "text"),
    [
        ("AVAILABLE", Severity.OK, "connection 'github' to GitHub is available"),
        ("PENDING", Severity.ERROR, "connection 'github' is PENDING"),
        ("ERROR", Severity.ERROR, "connection 'github' is ERROR"),
        (None, Severity.ERROR, f"no connection {ARN}"),
    ],
)
def test_an_in_network_runners_github_connection_must_be_available(aws, status, severity, text):
    session = ConnectionSession(status)
    session.expect(["L-1216C47A"], "1.34")
    (finding,) = [f for f in run(in_network(), session) if f.check == "github connection"]
    assert finding.severity is severity and text in finding.message
    if severity is Severity.ERROR:
        assert "Developer Tools → Settings → Connections" in finding.fix


def test_without_an_in_network_runner_the_connection_is_not_asked_for(aws):
    session = FakeSession(QUOTAS)
    session.expect(["L-1216C47A"], "1.34")
    assert not [f for f in run(load(platform([])), session) if f.check == "github connection"]
