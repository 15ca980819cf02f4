"""Storage: volume types, log retention, bucket lifecycle."""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies.lib.props import environment, get, items
from policies.lib.rules import Resource, Rule, StackRule, rule, stack_rule

RETENTION = {"dev": 30, "staging": 90, "prod": 731}


@rule(
    "cost-gp3-not-gp2",
    "EBS volumes are gp3 (20% cheaper than gp2, with baseline IOPS)",
    [
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ebs/volume:Volume",
        "kubernetes:storage.k8s.io/v1:StorageClass",
    ],
)
def gp3(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.type == "aws:ec2/launchTemplate:LaunchTemplate":
        kinds = [
            get(m, "ebs", "volumeType", default="gp2")
            for m in items(resource.props, "blockDeviceMappings")
        ]
    elif resource.type == "aws:ebs/volume:Volume":
        kinds = [get(resource.props, "type", default="gp2")]
    else:
        provisioner = get(resource.props, "provisioner", default="")
        kinds = (
            [get(resource.props, "parameters", "type", default="gp2")]
            if "ebs" in provisioner
            else []
        )
    for kind in kinds:
        if kind == "gp2":
            yield "volume type gp2; use gp3"


@rule(
    "cost-log-retention-bounded",
    "Log groups keep logs for a bounded time",
    ["aws:cloudwatch/logGroup:LogGroup"],
    config={"max_days": {"type": "object", "default": RETENTION}},
)
def retention(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    days = get(resource.props, "retentionInDays", default=0)
    limit = int(config["max_days"].get(environment(resource.props, config), RETENTION["prod"]))
    if not days:
        yield "retentionInDays is unset: logs are kept (and billed) forever"
    elif days > limit:
        yield f"retention {days} days is above the {limit}-day limit"


@stack_rule("cost-bucket-lifecycle", "Buckets expire old versions and abandoned uploads")
def lifecycle(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str | None]]:
    governed = {
        urn
        for r in resources
        if r.type
        in (
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
        )
        for urn in r.input_from("bucket")
    }
    for bucket in resources:
        if (
            bucket.type in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
            and bucket.urn not in governed
        ):
            yield f"bucket {bucket.name} has no lifecycle configuration", bucket.urn
        if bucket.type == "gcp:storage/bucket:Bucket" and not items(bucket.props, "lifecycleRules"):
            yield f"bucket {bucket.name} has no lifecycle rules", bucket.urn


RULES: list[Rule | StackRule] = [gp3, retention, lifecycle]
