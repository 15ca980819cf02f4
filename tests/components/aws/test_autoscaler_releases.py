"""One Cluster Autoscaler release per Kubernetes minor: chart and image from one table."""

import pytest

from components.aws.autoscaler_releases import (
    AUTOSCALER_RELEASES,
    UnsupportedKubernetesVersionError,
    autoscaler_release,
)

# Read from kubernetes/autoscaler at tags cluster-autoscaler-chart-<version>:
# charts/cluster-autoscaler/Chart.yaml `appVersion`, values.yaml `image.tag` and
# templates/clusterrole.yaml (the chart moved under cluster-autoscaler/charts/ in 9.52.0).
CHART_FACTS = {
    # chart: (appVersion, values.yaml image.tag, clusterrole lists volumeattachments)
    "9.43.1": ("1.31.0", "v1.31.0", False),
    "9.44.0": ("1.31.0", "v1.31.0", False),
    "9.46.2": ("1.32.0", "v1.32.0", False),  # the last 1.32 chart without the rule
    "9.46.3": ("1.32.0", "v1.32.0", True),
    "9.46.6": ("1.32.0", "v1.32.0", True),
    "9.51.0": ("1.33.0", "v1.33.0", True),
    "9.53.0": ("1.34.2", "v1.34.2", True),
    "9.59.0": ("1.35.0", "v1.35.0", True),
}


def minor(version: str) -> str:
    return ".".join(version.lstrip("v").split(".")[:2])


@pytest.mark.parametrize(("kubernetes", "release"), AUTOSCALER_RELEASES.items())
def test_chart_and_image_match_the_kubernetes_minor(kubernetes, release):
    app_version, chart_image, has_rule = CHART_FACTS[release.chart_version]
    assert minor(app_version) == kubernetes
    assert release.image_tag == chart_image
    assert minor(release.image_tag) == kubernetes
    # autoscaler 1.32+ watches VolumeAttachments (kubernetes/autoscaler#7663); without the
    # rule its watch is forbidden and it stops scaling while staying Ready
    assert release.watches_volume_attachments == (tuple(map(int, kubernetes.split("."))) >= (1, 32))
    if release.watches_volume_attachments:
        assert has_rule


def test_the_old_pin_is_refused_for_a_132_cluster():
    app_version, _, has_rule = CHART_FACTS["9.43.1"]
    assert minor(app_version) != "1.32" and not has_rule
    assert autoscaler_release("1.32").chart_version != "9.43.1"


def test_an_unpinned_minor_is_an_error_naming_the_pinned_ones():
    with pytest.raises(UnsupportedKubernetesVersionError, match=r"1\.29.*pinned: 1\.31, 1\.32"):
        autoscaler_release("1.29")
