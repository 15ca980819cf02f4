"""Hardened pod and container security contexts (Pod Security Standards, restricted)."""

from typing import Any

# An unprivileged user the images run as (their files are world-readable); above 10000,
# so it never matches a user that exists on the node.
RUN_AS_USER = 10001
RUN_AS_GROUP = 10001
# Tags are pinned but a registry can re-push one; pulling checks the digest each start
# (layers already on the node are not downloaded again).
PULL_POLICY = "Always"


ROOT = 0


def pod_security_context(user: int = RUN_AS_USER, group: int = RUN_AS_GROUP) -> dict[str, Any]:
    """Non-root unless `user` is 0: an image whose contract says it cannot run otherwise
    (the Pod Security Standards' baseline level allows it; restricted does not)."""
    return {
        "runAsNonRoot": user != ROOT,
        "runAsUser": user,
        "runAsGroup": group,
        # Volumes (caches, Qdrant's storage) are group-writable by the pod's group.
        "fsGroup": group,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context(
    user: int = RUN_AS_USER, group: int = RUN_AS_GROUP
) -> dict[str, Any]:
    """Non-root, no privilege escalation, no capabilities, read-only root filesystem: every
    path a container writes is an explicitly mounted volume. As uid 0 (an image that needs
    it) the rest still holds: without capabilities root cannot read what it does not own,
    bind low ports or escape the read-only root filesystem."""
    return {
        "runAsNonRoot": user != ROOT,
        "runAsUser": user,
        "runAsGroup": group,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def resources(
    cpu: str, memory: str, *, extended: dict[str, str] | None = None
) -> dict[str, dict[str, str]]:
    """Requests equal to limits: the pod gets the Guaranteed QoS class and is the last to be
    evicted under node memory pressure."""
    amounts = {"cpu": cpu, "memory": memory, **(extended or {})}
    return {"requests": dict(amounts), "limits": dict(amounts)}
