"""Kubernetes workloads: Pod Security Standards (restricted) and Checkov's Kubernetes checks."""

import re
from collections.abc import Iterator, Mapping
from typing import Any

from policies.lib.pods import WORKLOAD_TYPES, containers, pod_spec, pod_template
from policies.lib.props import get, items
from policies.lib.rules import Resource, Rule, StackRule, rule
from workloads.contract_check import CALLS_API, RUNS_AS_ROOT

SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|CREDENTIAL|PRIVATE_KEY)", re.I)
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def _spec(resource: Resource) -> Mapping[str, Any]:
    return pod_spec(resource.type, resource.props)


def _pod_security(spec: Mapping[str, Any], container: Mapping[str, Any], key: str) -> Any:
    """A container's securityContext setting, falling back to the pod's."""
    own = get(container, "securityContext", key)
    return own if own is not None else get(spec, "securityContext", key)


@rule(
    "k8s-no-privileged",
    "Containers are not privileged",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_16 / PSS baseline",
)
def privileged(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for kind, container in containers(_spec(resource)):
        if get(container, "securityContext", "privileged") is True:
            yield f"{kind} {container.get('name')} is privileged"


@rule(
    "k8s-no-host-namespaces",
    "Pods share no host namespace",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_17 / CKV_K8S_18 / CKV_K8S_19 / PSS baseline",
)
def host_namespaces(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    spec = _spec(resource)
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key) is True:
            yield f"{key} is true"


@rule(
    "k8s-no-host-path",
    "Pods mount no hostPath volume",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_27-family / PSS baseline",
)
def host_path(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for volume in items(_spec(resource), "volumes"):
        if get(volume, "hostPath"):
            yield f"volume {volume.get('name')} mounts a host path"


@rule(
    "k8s-no-host-ports",
    "Containers bind no host port",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_26 / PSS baseline",
)
def host_ports(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for kind, container in containers(_spec(resource)):
        for port in items(container, "ports"):
            if get(port, "hostPort"):
                yield f"{kind} {container.get('name')} binds host port {port['hostPort']}"


@rule(
    "k8s-no-privilege-escalation",
    "Containers cannot escalate privileges",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_20 / PSS restricted",
)
def privilege_escalation(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for kind, container in containers(_spec(resource)):
        if get(container, "securityContext", "allowPrivilegeEscalation") is not False:
            yield f"{kind} {container.get('name')} does not set allowPrivilegeEscalation: false"


def _runs_as_root_by_contract(resource: Resource) -> str | None:
    """A workload whose image cannot run as non-root says why in its annotation; the
    deploy pack's contract rule holds it to that image's contract (workloads/images.yaml)."""
    reason = get(resource.props, "metadata", "annotations", RUNS_AS_ROOT)
    return str(reason) if reason else None


@rule(
    "k8s-run-as-non-root",
    "Containers run as a non-root user (a workload whose pinned image cannot says why in "
    f"its `{RUNS_AS_ROOT}` annotation, and is listed as exempted with that reason)",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_23 / CKV_K8S_40 / PSS restricted",
    declared_exemption=_runs_as_root_by_contract,
)
def non_root(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    spec = _spec(resource)
    for kind, container in containers(spec):
        user = _pod_security(spec, container, "runAsUser")
        if _pod_security(spec, container, "runAsNonRoot") is not True or user == 0:
            yield f"{kind} {container.get('name')} may run as root"


@rule(
    "k8s-drop-all-capabilities",
    "Containers drop every capability",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_28 / CKV_K8S_37 / PSS restricted",
)
def capabilities(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for kind, container in containers(_spec(resource)):
        dropped = [
            str(c).upper() for c in items(container, "securityContext", "capabilities", "drop")
        ]
        added = items(container, "securityContext", "capabilities", "add")
        if "ALL" not in dropped:
            yield f"{kind} {container.get('name')} does not drop ALL capabilities"
        if added:
            yield f"{kind} {container.get('name')} adds capabilities {added}"


@rule(
    "k8s-seccomp-runtime-default",
    "Pods use the RuntimeDefault seccomp profile",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_31 / PSS restricted",
)
def seccomp(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    spec = _spec(resource)
    for kind, container in containers(spec):
        profile = get(container, "securityContext", "seccompProfile", "type") or get(
            spec, "securityContext", "seccompProfile", "type"
        )
        if profile not in ("RuntimeDefault", "Localhost"):
            yield f"{kind} {container.get('name')} has no RuntimeDefault seccomp profile"


@rule(
    "k8s-read-only-root-fs",
    "Containers have a read-only root filesystem",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_22",
)
def read_only_root(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for kind, container in containers(_spec(resource)):
        if get(container, "securityContext", "readOnlyRootFilesystem") is not True:
            yield f"{kind} {container.get('name')} has a writable root filesystem"


@rule(
    "k8s-requests-and-limits",
    "Containers set CPU and memory requests and limits",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_10 / CKV_K8S_11 / CKV_K8S_12 / CKV_K8S_13",
)
def resources_set(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for kind, container in containers(_spec(resource)):
        for scope in ("requests", "limits"):
            for unit in ("cpu", "memory"):
                if not get(container, "resources", scope, unit):
                    yield f"{kind} {container.get('name')} sets no {unit} {scope[:-1]}"


@rule(
    "k8s-probes",
    "Containers have liveness and readiness probes",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_8 / CKV_K8S_9",
)
def probes(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for kind, container in containers(_spec(resource)):
        if kind == "init container":
            continue  # init containers run to completion and take no probes
        for probe in ("livenessProbe", "readinessProbe"):
            if not get(container, probe):
                yield f"container {container.get('name')} has no {probe}"


@rule(
    "k8s-image-pinned",
    "Images are pinned to a version or digest, never latest",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_14 / CKV_K8S_43",
)
def image_pinned(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for kind, container in containers(_spec(resource)):
        image = str(container.get("image", ""))
        if DIGEST.search(image):
            continue
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if not tag or tag == "latest":
            yield f"{kind} {container.get('name')} image {image!r} is not pinned"


@rule(
    "k8s-no-literal-secret-env",
    "Secrets come from Secrets, never literal env values",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_35-family",
)
def literal_secrets(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for kind, container in containers(_spec(resource)):
        for variable in items(container, "env"):
            name = str(get(variable, "name", default=""))
            if SECRET_NAME.search(name) and get(variable, "value") not in (None, ""):
                yield f"{kind} {container.get('name')} sets {name} as a literal value"


@rule(
    "k8s-no-default-namespace",
    "Workloads do not run in the default namespace",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_21",
)
def default_namespace(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if get(resource.props, "metadata", "namespace", default="default") == "default":
        yield "the workload runs in the default namespace"


def _calls_api(resource: Resource) -> str | None:
    """A workload that needs its token says what it reads from the API in its annotation."""
    reason = get(resource.props, "metadata", "annotations", CALLS_API)
    return str(reason) if reason else None


@rule(
    "k8s-no-token-automount",
    "Pods do not mount an API token they do not need (a workload that calls the API says "
    f"what for in its `{CALLS_API}` annotation, and is listed as exempted with that reason)",
    WORKLOAD_TYPES,
    mirrors="CKV_K8S_38",
    declared_exemption=_calls_api,
)
def token_automount(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if (
        get(pod_template(resource.type, resource.props), "spec", "automountServiceAccountToken")
        is not False
    ):
        yield "automountServiceAccountToken is not false (exempt the workload if it calls the API)"


RULES: list[Rule | StackRule] = [
    privileged,
    host_namespaces,
    host_path,
    host_ports,
    privilege_escalation,
    non_root,
    capabilities,
    seccomp,
    read_only_root,
    resources_set,
    probes,
    image_pinned,
    literal_secrets,
    default_namespace,
    token_automount,
]
