"""The platform stage of a two-stage deploy: the engine's `--exclude` as it will run."""

from dataclasses import replace

import pytest

from infra.stages import (
    PLATFORM_EXCLUDES,
    deploy_line,
    excluded,
    matches,
    platform_stage,
    staged,
)
from tests.harness import SHIPPED_STACKS

# The engine's own cases (pulumi/pulumi pkg/resource/deploy/deployment_test.go, TestGlobUrn).
ENGINE_CASES = [
    (
        "**",
        ["urn:pulumi:stack::test::typ$aws:resource::aname"],
        [],
    ),
    (
        "urn:pulumi:stack::test::typ*:resource::bar",
        [
            "urn:pulumi:stack::test::typ$aws:resource::bar",
            "urn:pulumi:stack::test::typ$azure:resource::bar",
        ],
        [
            "urn:pulumi:stack::test::ty:resource::bar",
            "urn:pulumi:stack::test::type:resource::foobar",
        ],
    ),
    (
        "**:aname",
        ["urn:pulumi:stack::test::typ$aws:resource::aname"],
        ["urn:pulumi:stack::test::typ$aws:resource::somename"],
    ),
    (
        "*:*:stack::test::typ$aws:resource::*",
        ["urn:pulumi:stack::test::typ$aws:resource::aname"],
        ["urn:pulumi:stack::test::typ$azure:resource::aname"],
    ),
    (
        "stack::test::typ$aws:resource::none",
        ["stack::test::typ$aws:resource::none"],
        ["stack::test::typ$aws:resource::nonee"],
    ),
]


@pytest.mark.parametrize(("glob", "expected", "unexpected"), ENGINE_CASES)
def test_globs_match_as_the_engine_matches_them(glob, expected, unexpected):
    assert all(matches(glob, urn) for urn in expected)
    assert not any(matches(glob, urn) for urn in unexpected)


def is_kubernetes(type_: str) -> bool:
    return type_.startswith("kubernetes:")


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_platform_stage_leaves_out_exactly_what_goes_through_the_kubernetes_api(
    shipped_plan, stack
):
    plan = shipped_plan(stack)
    skipped = excluded(plan, PLATFORM_EXCLUDES)
    kubernetes = {r.urn for r in plan.resources if is_kubernetes(r.type)}
    assert kubernetes, "the stack creates Kubernetes resources"
    assert skipped == kubernetes


def test_providers_take_part_in_the_platform_stage_as_the_engine_includes_them(shipped_plan):
    """step_generator.go, `isImplicitlyTargetedResource`: providers are never excluded."""
    plan = shipped_plan("prod")
    providers = {r.urn for r in plan.resources if r.type == "pulumi:providers:kubernetes"}
    assert providers and providers <= {r.urn for r in platform_stage(plan)}
    assert providers <= {
        r.urn for r in plan.resources if any(matches(g, r.urn) for g in PLATFORM_EXCLUDES)
    }


def test_a_parent_or_deleted_with_counts_as_a_dependency(shipped_plan):
    """pkg/resource/state.go, `GetAllDependencies`: a child of an excluded resource, or one
    deleted with it, is excluded with it."""
    plan = shipped_plan("dev")
    (storage_class,) = plan.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    (bucket, *_) = plan.of_type("aws:s3/bucket:Bucket")
    child = replace(bucket, urn=bucket.urn + "-child", parent=storage_class.urn, dependencies=[])
    deleted = replace(
        bucket,
        urn=bucket.urn + "-deleted",
        parent=None,
        dependencies=[],
        options=replace(bucket.options, deleted_with=storage_class.urn),
    )
    edited = replace(plan, resources=[*plan.resources, child, deleted])
    assert {child.urn, deleted.urn} <= excluded(edited, PLATFORM_EXCLUDES)
    assert bucket.urn not in excluded(edited, PLATFORM_EXCLUDES)


def test_the_cluster_and_the_runner_come_in_the_platform_stage(shipped_plan):
    plan = shipped_plan("prod")
    assert staged(plan)
    types = {r.type for r in platform_stage(plan)}
    assert {"aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup"} <= types
    assert {"aws:codebuild/project:Project", "aws:codebuild/webhook:Webhook"} <= types
    assert not staged(shipped_plan("dev")) and not staged(shipped_plan("gcp-prod"))


def test_dependents_and_provider_users_are_excluded_with_what_they_wait_for(shipped_plan):
    plan = shipped_plan("dev")
    (storage_class,) = plan.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    waiting = {r.urn for r in plan.resources if storage_class.urn in r.dependencies}
    assert waiting and waiting <= excluded(plan, [storage_class.urn])
    provider = storage_class.provider
    assert provider is not None
    users = {r.urn for r in plan.resources if r.provider == provider}
    assert storage_class.urn in users and users <= excluded(plan, [provider])


def test_the_plan_says_how_each_stack_deploys(shipped_plan):
    prod = deploy_line(shipped_plan("prod"))
    assert prod is not None and prod.startswith("in-network runner, two stages:")
    assert '--exclude "**pulumi:providers:kubernetes::**" --exclude-dependents' in prod
    created = sum(
        1 for r in platform_stage(shipped_plan("prod")) if r.type != "pulumi:pulumi:Stack"
    )
    assert f"creates {created} of the " in prod
    assert deploy_line(shipped_plan("gcp-prod")) == "github-hosted runner, one `pulumi up`"
