"""Every rendered container of every shipped stack against its image's contract
(workloads/images.yaml), and every pinned version against the contract it was read at."""

from collections.abc import Mapping
from typing import Any

import pytest

from policies.lib.pods import WORKLOAD_TYPES, containers, pod_spec
from tests.harness import SHIPPED_STACKS
from workloads import qdrant, snapshots
from workloads.images import ImageContract, contract, contract_of_image, contracts
from workloads.model_server import RUNS_AS_ROOT

NAMESPACE = "kubernetes:core/v1:Namespace"
ENFORCE = "pod-security.kubernetes.io/enforce"
# Components whose containers we build from the contract: they set its entrypoint as the
# command explicitly.
OUR_SERVERS = ("llm-infra:workloads:ModelServer", "llm-infra:workloads:Embeddings")


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
    if found.metrics is not None:
        ports = {p.get("name") for p in container.get("ports", [])}
        if found.metrics.port not in ports:
            problems.append(
                f"serves metrics on port '{found.metrics.port}', which it does not name"
            )
    return problems


def _rendered_containers(plan: Any) -> list[tuple[str, Any, Mapping[str, Any], Mapping[str, Any]]]:
    found = []
    for resource in plan.resources:
        if resource.type not in WORKLOAD_TYPES:
            continue
        spec = pod_spec(resource.type, resource.inputs)
        for _, container in containers(spec):
            found.append((resource.name, resource, spec, container))
    return found


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_rendered_container_keeps_its_image_contract(shipped_plan, stack):
    plan = shipped_plan(stack)
    levels = {
        ns.inputs["metadata"]["name"]: ns.inputs["metadata"]["labels"].get(ENFORCE)
        for ns in plan.of_type(NAMESPACE)
    }
    parents = {r.urn: r.type for r in plan.resources}
    problems = []
    rendered = _rendered_containers(plan)
    for name, resource, spec, container in rendered:
        where = f"{stack}: {name} container {container.get('name')}"
        found = contract_of_image(str(container.get("image")))
        if found is None:
            problems.append(f"{where}: image {container.get('image')} has no contract")
            continue
        claims = {
            t["metadata"]["name"] for t in resource.inputs["spec"].get("volumeClaimTemplates", [])
        }
        problems += [
            f"{where}: {problem}"
            for problem in violations(
                found,
                spec=spec,
                container=container,
                claims=claims,
                annotations=(resource.inputs.get("metadata") or {}).get("annotations") or {},
                namespace_level=levels.get(resource.inputs["metadata"].get("namespace")),
                ours=parents.get(resource.parent or "") in OUR_SERVERS,
            )
        ]
    images = {str(c.get("image")).split(":")[0] for *_, c in rendered}
    assert {"vllm/vllm-openai", "qdrant/qdrant", "curlimages/curl", "rclone/rclone"} <= images
    assert not problems, "\n".join(problems)


def test_the_check_catches_what_the_contract_forbids():
    vllm = contract("vllm")
    spec = {"volumes": [{"name": "tmp", "emptyDir": {}}], "securityContext": {}}
    container = {
        "name": "vllm",
        "command": ["vllm", "serve"],
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
        "env": [{"name": "HOME", "value": "/tmp"}],
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        "ports": [{"name": "http"}],
    }
    problems = violations(
        vllm,
        spec=spec,
        container=container,
        claims=set(),
        annotations={},
        namespace_level="restricted",
        ours=True,
    )
    assert any("root filesystem is writable" in p for p in problems)
    assert any("/models" in p for p in problems)
    assert any("needs USER" in p for p in problems)
    assert any("command ['vllm', 'serve']" in p for p in problems)
    tgi = violations(
        contract("tgi"),
        spec=spec,
        container={**container, "command": ["/tgi-entrypoint.sh"]},
        claims=set(),
        annotations={},
        namespace_level="restricted",
        ours=True,
    )
    assert any("runs as uid 10001" in p for p in tgi)
    assert any("restricted" in p for p in tgi)


def test_every_pinned_version_has_its_contract():
    # The engines and TEI take their tags from the contracts; the images pinned elsewhere
    # must each have one: bumping a tag without re-reading its sources fails here.
    assert f"{qdrant.IMAGE}:{qdrant.VERSION}" in contract("qdrant").images()
    assert snapshots.CURL_IMAGE in contract("curl").images()
    assert snapshots.RCLONE_IMAGE in contract("rclone").images()
    assert contract("tei-cpu").tag == f"cpu-{contract('tei-gpu').tag}"
    for found in contracts().values():
        assert found.tag != "latest" and found.upstream.split("@")[1]


def test_every_fact_names_its_source():
    for name, found in contracts().items():
        facts = [found.entrypoint, found.user, *found.writes, *found.env, *found.commands]
        if found.metrics:
            facts.append(found.metrics)
        for fact in facts:
            repo = found.upstream.split("@")[0]
            assert fact.source.strip(), name
            assert repo in fact.source or "CPython" in fact.source or "pytorch" in fact.source, (
                f"{name}: {fact.source}"
            )
