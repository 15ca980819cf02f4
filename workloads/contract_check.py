"""Does a container keep its image's contract (workloads/images.yaml)? Pure checks over a
rendered pod spec, shared by the tests and the deploy-truth pack."""

from collections.abc import Mapping
from typing import Any

from workloads.images import ImageContract

# A workload whose image must run as uid 0 says why in this annotation.
RUNS_AS_ROOT = "llm-infra.io/runs-as-root"
# A workload that talks to the Kubernetes API (so mounts its service account's token)
# says what it reads in this annotation.
CALLS_API = "llm-infra.io/calls-kubernetes-api"


def _under(path: str, mounts: list[str]) -> bool:
    return any(path == m or path.startswith(m.rstrip("/") + "/") for m in mounts)


def writable_mounts(
    spec: Mapping[str, Any], container: Mapping[str, Any], claims: set[str]
) -> list[str]:
    """Mount paths backed by a writable volume (emptyDir or a claim), not mounted read-only."""
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    found = []
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount["name"], {})
        writable = "emptyDir" in volume or "persistentVolumeClaim" in volume
        if (writable or mount["name"] in claims) and not mount.get("readOnly"):
            found.append(mount["mountPath"])
    return found


def _security(spec: Mapping[str, Any], container: Mapping[str, Any], key: str) -> Any:
    own = (container.get("securityContext") or {}).get(key)
    return own if own is not None else (spec.get("securityContext") or {}).get(key)


def violations(
    found: ImageContract,
    *,
    spec: Mapping[str, Any],
    container: Mapping[str, Any],
    claims: set[str],
    annotations: Mapping[str, str],
    namespace_level: str | None,
    ours: bool,
) -> list[str]:
    problems = []
    mounts = writable_mounts(spec, container, claims)
    if (container.get("securityContext") or {}).get("readOnlyRootFilesystem") is not True:
        problems.append("the root filesystem is writable")
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    for written in found.writes:
        # the image writes where its own setting says, once the container sets it
        path = str(env.get(written.moved_by) or written.path) if written.moved_by else written.path
        if not _under(path, mounts):
            problems.append(f"writes {path} ({written.why}) but no writable volume is there")
    for fact in found.env:
        if fact.name not in env:
            problems.append(f"needs {fact.name} ({fact.why})")
        elif fact.value is not None and env[fact.name] != fact.value:
            problems.append(f"{fact.name} is {env[fact.name]!r}, the contract says {fact.value!r}")
        elif fact.path and not _under(str(env[fact.name]), mounts):
            problems.append(f"{fact.name}={env[fact.name]} is not in a writable volume")
    uid = _security(spec, container, "runAsUser")
    if found.user.arbitrary_uid:
        if _security(spec, container, "runAsNonRoot") is not True or uid in (None, 0):
            problems.append(f"may run as root (uid {uid}) though the image runs as any uid")
    else:
        if uid != 0:
            problems.append(f"runs as uid {uid}; the image cannot: {found.user.reason}")
        if not annotations.get(RUNS_AS_ROOT):
            problems.append(f"runs as root without the {RUNS_AS_ROOT} annotation saying why")
        if namespace_level == "restricted":
            problems.append("runs as root in a namespace whose Pod Security level is restricted")
    command = container.get("command")
    allowed = [found.entrypoint.argv, *(c.argv for c in found.commands)]
    if command is None:
        if ours:
            problems.append(
                f"sets no command; the contract's entrypoint is {found.entrypoint.argv}"
            )
    elif not any(tuple(command[: len(prefix)]) == prefix for prefix in allowed):
        problems.append(f"command {command} is none of the image's {allowed}")
    helper = command is not None and any(
        tuple(command[: len(c.argv)]) == c.argv and not c.serves for c in found.commands
    )
    if found.metrics is not None and not helper:
        ports = {p.get("name") for p in container.get("ports", [])}
        if found.metrics.port not in ports:
            problems.append(
                f"serves metrics on port '{found.metrics.port}', which it does not name"
            )
    return problems
