"""The model-cache claims of a replica across nodes: one volume per pod of every group,
named as the StatefulSets of a LeaderWorkerSet name their claims, sized in coarse steps.
Plain values, shared by the group's component and the cost report."""

CACHE_VOLUME = "model-cache"  # the volume name the server's pod spec mounts at /models
# A claim's size is its model's download rounded up to this step, so that a change moving
# the download a little (an adapter, a longer context) leaves the claims as they are: a
# claim's size is replaced, not changed in place (workloads/model_group.py).
CLAIM_STEP_GIB = 128


def claim_size_gib(cache_gib: int) -> int:
    """A group pod's cache claim: the model's download, rounded up to `CLAIM_STEP_GIB`."""
    return -(-cache_gib // CLAIM_STEP_GIB) * CLAIM_STEP_GIB


def claimed_groups(min_replicas: int, max_replicas: int, surge: int) -> int:
    """The groups whose claims exist: every group autoscaling may run, and the `surge`
    more a rollout starts."""
    return max(max_replicas, min_replicas, 1) + surge


def cache_claim_names(set_name: str, groups: int, nodes: int) -> list[tuple[int, int, str]]:
    """(group, pod index, claim name) of every pod's cache claim, as the StatefulSets of a
    LeaderWorkerSet would name them: `<template>-<set>-<ordinal>` (kubernetes
    pkg/controller/statefulset/stateful_set_utils.go, getPersistentVolumeClaimName). The
    leaders are ordinal g of the StatefulSet named after the set (kubernetes-sigs/lws
    v0.10.0 pkg/controllers/leaderworkerset_controller.go:845-866); group g's workers are
    ordinals 1… of the StatefulSet named after its leader pod, `<set>-<g>`
    (pkg/controllers/pod_controller.go:436-452)."""
    return [
        (g, i, f"{CACHE_VOLUME}-{set_name}-{g}" + (f"-{i}" if i else ""))
        for g in range(groups)
        for i in range(nodes)
    ]
