"""The deploy stages: what the platform stage of an in-network deploy creates.

With `deploy.runner: in-network` the cluster's API server is reachable only from inside
the network, which the same stack creates. So the deploy workflow runs `pulumi up` twice
on the same stack: first on a GitHub-hosted runner with the Kubernetes providers excluded
(`--exclude` PLATFORM_EXCLUDES `--exclude-dependents`), which builds the network, the
cluster, its node pools, buckets and the runner inside the network; then the whole
program on that runner. Nothing is split or renamed: one stack, one state, the same URNs.

The engine's exclusion is mirrored here so that the plan can show, and the tests prove,
what the first stage creates (pulumi/pulumi pkg/resource/deploy/deployment.go,
`getMatcher`: `*` matches within a `:`-separated part, `**` across parts, anchored;
step_generator.go: with `--exclude-dependents` a resource is excluded when its provider or
any of its dependencies is; providers themselves always take part, so the Kubernetes
providers are configured, against an endpoint they cannot reach, and used by nothing;
excluded resources not yet in state are skipped, existing ones are left as they are, never
deleted). `--exclude` needs Pulumi CLI 3.158 or newer, and
wildcards are handled in every case from 3.188.
"""

import re
from collections.abc import Iterable
from functools import cache

from components.deploy_path import TYPE as DEPLOY_PATH
from components.enums import DeployRunner
from infra.offline.record import PlanRecord, ResourceRecord

# The name of .github/workflows/deploy.yml; the CodeBuild runner starts only for its jobs.
DEPLOY_WORKFLOW = "deploy"
# Every Kubernetes resource is created through one of the stack's Kubernetes providers.
PLATFORM_EXCLUDES = ("**pulumi:providers:kubernetes::**",)
MIN_CLI_VERSION = "3.188.0"
ROOT_STACK = "pulumi:pulumi:Stack"
PROVIDERS = "pulumi:providers:"


@cache
def _matcher(glob: str) -> re.Pattern[str]:
    segments = ["[^:]*".join(re.escape(p) for p in part.split("*")) for part in glob.split("**")]
    return re.compile("^" + ".*".join(segments) + "$")


def matches(glob: str, urn: str) -> bool:
    """Whether the engine's `--exclude`/`--target` pattern `glob` names `urn`."""
    if "*" not in glob:
        return glob == urn
    return _matcher(glob).match(urn) is not None


def implicit(resource: ResourceRecord) -> bool:
    """Providers and the root stack take part in every update, whatever is excluded
    (step_generator.go: `isImplicitlyTargetedResource`): the platform stage registers
    and configures the Kubernetes providers, and creates nothing through them."""
    return resource.type.startswith(PROVIDERS) or resource.type == ROOT_STACK


def excluded(plan: PlanRecord, globs: Iterable[str]) -> set[str]:
    """The URNs `pulumi up --exclude <globs> --exclude-dependents` leaves alone: those the
    globs name, and those whose provider or any dependency (parent, dependsOn, property
    dependencies, deletedWith) is excluded or named (step_generator.go:
    `isExcludedFromUpdate`, which also tests a provider's URN against the globs)."""
    patterns = tuple(globs)

    def left_out(urn: str, out: set[str]) -> bool:
        return urn in out or any(matches(g, urn) for g in patterns)

    out: set[str] = set()
    # The engine decides in registration order, dependencies first; a fixed point over
    # the plan (sorted by URN) gives the same set.
    changed = True
    while changed:
        changed = False
        for resource in plan.resources:
            if resource.urn in out or implicit(resource):
                continue
            if any(matches(g, resource.urn) for g in patterns) or any(
                left_out(urn, out) for urn in _all_dependencies(resource)
            ):
                out.add(resource.urn)
                changed = True
    return out


def _all_dependencies(resource: ResourceRecord) -> list[str]:
    """What the engine counts as a resource's dependencies (pkg/resource/state.go,
    `GetAllDependencies`): its provider, parent, dependencies, property dependencies and
    deletedWith."""
    found = [*resource.dependencies]
    for urns in resource.property_dependencies.values():
        found += urns
    if resource.parent:
        found.append(resource.parent)
    if resource.options.deleted_with:
        found.append(resource.options.deleted_with)
    if resource.provider:
        # the plan records a provider by its URN; the engine's references add `::<id>`
        provider = resource.provider
        found += [provider, provider.rsplit("::", 1)[0]]
    return found


def staged(plan: PlanRecord) -> bool:
    """Whether the stack deploys in two stages: its DeployPath runs in the network."""
    return any(
        r.type == DEPLOY_PATH and r.inputs.get("runner") == DeployRunner.IN_NETWORK.value
        for r in plan.resources
    )


def platform_stage(plan: PlanRecord) -> list[ResourceRecord]:
    """What the platform stage creates: every resource not excluded."""
    skipped = excluded(plan, PLATFORM_EXCLUDES)
    return [r for r in plan.resources if r.urn not in skipped]


def deploy_line(plan: PlanRecord) -> str | None:
    """How the stack deploys, for the plan's renderings; None without a DeployPath."""
    paths = plan.of_type(DEPLOY_PATH)
    if not paths:
        return None
    runner = str(paths[0].inputs.get("runner"))
    if not staged(plan):
        return f"{runner} runner, one `pulumi up`"
    first = sum(1 for r in platform_stage(plan) if r.type != ROOT_STACK)
    total = sum(1 for r in plan.resources if r.type != ROOT_STACK)
    excludes = " ".join(f'--exclude "{g}"' for g in PLATFORM_EXCLUDES)
    return (
        f"{runner} runner, two stages: `pulumi up {excludes} --exclude-dependents` on a "
        f"GitHub-hosted runner creates {first} of the {total} resources, then the "
        "whole program on the runner inside the network"
    )
