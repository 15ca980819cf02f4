"""The Cluster Autoscaler release for each Kubernetes minor: chart version and image tag.

Pure facts, so that config checks can refuse a minor with no pinned release.
"""

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class AutoscalerRelease:
    chart_version: str
    image_tag: str
    """The chart release's own `image.tag` default."""
    watches_volume_attachments: bool
    """Autoscaler 1.32+ watches VolumeAttachments (kubernetes/autoscaler#7663); the
    chart's ClusterRole must grant it (`templates/clusterrole.yaml`)."""


# One autoscaler per Kubernetes minor: the autoscaler's minor must match the cluster's.
# Read from kubernetes/autoscaler at each tag `cluster-autoscaler-chart-<version>`:
# `charts/cluster-autoscaler/Chart.yaml` appVersion and `values.yaml` image.tag (from 9.52.0
# under `cluster-autoscaler/charts/cluster-autoscaler/`), and whether
# `templates/clusterrole.yaml` lists `volumeattachments` (first in 9.46.3). Each is the
# newest chart release of its appVersion minor: 9.44.0 (1.31.0), 9.46.6 (1.32.0), 9.51.0
# (1.33.0), 9.53.0 (1.34.2), 9.59.0 (1.35.0).
AUTOSCALER_RELEASES: Mapping[str, AutoscalerRelease] = {
    "1.31": AutoscalerRelease("9.44.0", "v1.31.0", watches_volume_attachments=False),
    "1.32": AutoscalerRelease("9.46.6", "v1.32.0", watches_volume_attachments=True),
    "1.33": AutoscalerRelease("9.51.0", "v1.33.0", watches_volume_attachments=True),
    "1.34": AutoscalerRelease("9.53.0", "v1.34.2", watches_volume_attachments=True),
    "1.35": AutoscalerRelease("9.59.0", "v1.35.0", watches_volume_attachments=True),
}


class UnsupportedKubernetesVersionError(ValueError):
    """No autoscaler release is pinned for this Kubernetes minor."""


def autoscaler_release(kubernetes_version: str) -> AutoscalerRelease:
    release = AUTOSCALER_RELEASES.get(kubernetes_version)
    if release is None:
        known = ", ".join(AUTOSCALER_RELEASES)
        raise UnsupportedKubernetesVersionError(
            f"no Cluster Autoscaler release is pinned for Kubernetes {kubernetes_version} "
            f"(pinned: {known})"
        )
    return release
