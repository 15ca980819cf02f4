"""Every rendered container of every shipped stack against its image's contract
(workloads/images.yaml), and every pinned version against the contract it was read at."""

from collections.abc import Mapping
from typing import Any

import pytest

from policies.lib.pods import WORKLOAD_TYPES, containers, pod_spec
from tests.harness import SHIPPED_STACKS
from workloads import qdrant, snapshots
from workloads.contract_check import violations
from workloads.images import contract, contract_of_image, contracts

NAMESPACE = "kubernetes:core/v1:Namespace"
ENFORCE = "pod-security.kubernetes.io/enforce"
# Components whose containers we build from the contract: they set its entrypoint as the
# command explicitly.
OUR_SERVERS = ("llm-infra:workloads:ModelServer", "llm-infra:workloads:Embeddings")


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
