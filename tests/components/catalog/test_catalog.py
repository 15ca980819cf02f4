import pytest
import yaml
from pydantic import ValidationError

from components.catalog import (
    CATALOG_FILE,
    Catalog,
    CatalogLookupError,
    catalog,
    gpus_on,
    resolve_instance,
)
from components.enums import Cloud, GpuType


def test_the_catalog_file_validates_and_covers_every_cloud():
    assert set(catalog().instances) == set(Cloud)


@pytest.mark.parametrize(
    ("cloud", "expected"),
    [
        (Cloud.AWS, list(GpuType)),
        (Cloud.GCP, [GpuType.L4, GpuType.A100_40GB, GpuType.A100_80GB, GpuType.H100]),
        (Cloud.AZURE, [GpuType.A10G, GpuType.A100_40GB, GpuType.A100_80GB, GpuType.H100]),
    ],
)
def test_gpus_offered_per_cloud(cloud, expected):
    assert gpus_on(catalog(), cloud) == expected


@pytest.mark.parametrize(
    ("cloud", "gpu", "count", "instance"),
    [
        (Cloud.AWS, GpuType.L4, 1, "g6.2xlarge"),
        (Cloud.AWS, GpuType.L4, 4, "g6.12xlarge"),
        (Cloud.AWS, GpuType.H100, 8, "p5.48xlarge"),
        (Cloud.AWS, GpuType.A100_40GB, 8, "p4d.24xlarge"),
        (Cloud.GCP, GpuType.L4, 4, "g2-standard-48"),
        (Cloud.GCP, GpuType.A100_80GB, 1, "a2-ultragpu-1g"),
        (Cloud.GCP, GpuType.H100, 8, "a3-highgpu-8g"),
        (Cloud.AZURE, GpuType.A10G, 1, "Standard_NV36ads_A10_v5"),
        (Cloud.AZURE, GpuType.A100_40GB, 8, "Standard_ND96asr_v4"),
        (Cloud.AZURE, GpuType.H100, 1, "Standard_NC40ads_H100_v5"),
        (Cloud.AZURE, GpuType.H100, 8, "Standard_ND96isr_H100_v5"),
    ],
)
def test_a_gpu_and_count_resolve_to_the_default_instance_type(cloud, gpu, count, instance):
    resolved = resolve_instance(catalog(), cloud, gpu=gpu, instance_type=None, gpus_per_node=count)
    assert (resolved.name, resolved.gpu, resolved.gpus) == (instance, gpu, count)


def test_an_explicit_instance_type_brings_its_gpu_and_count():
    resolved = resolve_instance(
        catalog(), Cloud.AWS, gpu=None, instance_type="g5.12xlarge", gpus_per_node=None
    )
    assert (resolved.gpu, resolved.gpus) == (GpuType.A10G, 4)


def test_a10g_on_gcp_points_at_l4_as_the_nearest_choice():
    with pytest.raises(CatalogLookupError) as error:
        resolve_instance(
            catalog(), Cloud.GCP, gpu=GpuType.A10G, instance_type=None, gpus_per_node=1
        )
    assert error.value.field == "gpu"
    assert "'a10g' is not offered on gcp" in error.value.message
    assert "l4" in error.value.fix


def test_l4_on_azure_points_at_a10g():
    with pytest.raises(CatalogLookupError) as error:
        resolve_instance(
            catalog(), Cloud.AZURE, gpu=GpuType.L4, instance_type=None, gpus_per_node=1
        )
    assert "a10g" in error.value.fix


def test_a_node_size_the_catalog_lacks_lists_the_sizes_it_has():
    with pytest.raises(CatalogLookupError) as error:
        resolve_instance(
            catalog(), Cloud.AWS, gpu=GpuType.H100, instance_type=None, gpus_per_node=2
        )
    assert error.value.field == "gpus_per_node"
    assert "sizes: 8" in error.value.message


@pytest.mark.parametrize(
    ("gpu", "count", "field"),
    [(GpuType.L4, None, "gpu"), (None, 8, "gpus_per_node")],
)
def test_an_instance_type_that_disagrees_with_gpu_or_count_is_refused(gpu, count, field):
    with pytest.raises(CatalogLookupError) as error:
        resolve_instance(
            catalog(), Cloud.AWS, gpu=gpu, instance_type="g5.12xlarge", gpus_per_node=count
        )
    assert error.value.field == field
    assert "g5.12xlarge" in error.value.message


def test_an_unknown_instance_type_lists_the_known_ones():
    with pytest.raises(CatalogLookupError) as error:
        resolve_instance(
            catalog(), Cloud.AWS, gpu=GpuType.L4, instance_type="g9.huge", gpus_per_node=None
        )
    assert error.value.field == "instance_type"
    assert "g6.12xlarge" in error.value.fix


EIGHT_GPU_TYPES = {
    Cloud.AWS: {"p4d.24xlarge", "p4de.24xlarge", "p5.48xlarge", "g5.48xlarge", "g6.48xlarge"},
    Cloud.GCP: {"a2-highgpu-8g", "a2-ultragpu-8g", "a3-highgpu-8g", "g2-standard-96"},
    Cloud.AZURE: {
        "Standard_ND96amsr_A100_v4",
        "Standard_ND96asr_v4",
        "Standard_ND96isr_H100_v5",
    },
}


def _yaml_source_of(name):
    """The comment lines just above an instance's entry in instances.yaml."""
    lines = CATALOG_FILE.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith(f"- {{name: {name},"))
    comments: list[str] = []
    for line in reversed(lines[:index]):
        if not line.strip().startswith("#"):
            break
        comments.insert(0, line.strip())
    return " ".join(comments)


def test_every_8_gpu_instance_has_its_network_with_a_source():
    for cloud, types in catalog().instances.items():
        eight = {t.name for t in types if t.gpus == 8}
        assert eight == EIGHT_GPU_TYPES[cloud]
        for instance in types:
            if instance.gpus != 8:
                continue
            assert instance.network_gbps is not None and instance.network_gbps > 0
            source = _yaml_source_of(instance.name)
            assert source.startswith("# network_gbps:"), instance.name
            # a URL, a repository path, or one of the header's shorthands for one
            assert any(s in source for s in ("https://", ".md", ".go", "KP-bw", "GCP-NET")), (
                instance.name
            )
            if instance.interconnect is not None:
                assert instance.interconnect.source.strip()


@pytest.mark.parametrize(
    ("cloud", "name", "network", "kind", "gbps"),
    [
        # 32 network cards of 100 Gbps, one EFA each; IP on card 0: "up to 3,200 Gbps EFA + up
        # to 100 Gbps IP" (https://docs.amazonaws.cn/AWSEC2/latest/UserGuide/efa-acc-inst-types.html;
        # aws/karpenter-provider-aws zz_generated.bandwidth.go:1408, 3200000 Mbps)
        (Cloud.AWS, "p5.48xlarge", 100, "efa", 3200),
        (Cloud.AWS, "p4d.24xlarge", 100, "efa", 400),
        (Cloud.AWS, "g5.48xlarge", 100, "efa", 100),
        (Cloud.AWS, "g6.48xlarge", 100, "efa", 100),
        # 4 secondary NICs of 200 Gbps beside a 200 Gbps primary
        # (https://cloud.google.com/kubernetes-engine/docs/how-to/gpu-bandwidth-gpudirect-tcpx)
        (Cloud.GCP, "a3-highgpu-8g", 200, "gpudirect-tcpx", 800),
        (Cloud.GCP, "a2-highgpu-8g", 100, None, None),
        (Cloud.GCP, "g2-standard-96", 100, None, None),
        # 8 × 400 Gb/s NDR InfiniBand, one per GPU, 3.2 Tbps per VM; Ethernet 80,000 Mbps
        # (MicrosoftDocs/azure-compute-docs sizes/gpu-accelerated/ndh100v5-series.md and
        # includes/ndh100v5-series-summary.md)
        (Cloud.AZURE, "Standard_ND96isr_H100_v5", 80, "infiniband", 3200),
        (Cloud.AZURE, "Standard_ND96asr_v4", 24, "infiniband", 1600),
    ],
)
def test_network_facts_as_published(cloud, name, network, kind, gbps):
    instance = next(t for t in catalog().instances[cloud] if t.name == name)
    assert instance.network_gbps == network
    fabric = instance.interconnect
    assert (fabric and (fabric.kind, fabric.gbps)) == ((kind, gbps) if kind else None)


def _catalog_document():
    return yaml.safe_load(CATALOG_FILE.read_text())


def test_an_8_gpu_instance_without_its_network_is_refused():
    document = _catalog_document()
    p5 = next(t for t in document["instances"]["aws"] if t["name"] == "p5.48xlarge")
    del p5["network_gbps"]
    with pytest.raises(ValidationError, match=r"no network_gbps for p5\.48xlarge"):
        Catalog.model_validate(document)


@pytest.mark.parametrize(
    "fabric",
    [
        {"kind": "nvlink", "gbps": 100, "source": "x"},
        {"kind": "efa", "gbps": 0, "source": "x"},
        {"kind": "efa", "gbps": 100, "source": ""},
        {"kind": "efa", "gbps": 100},
        {"kind": "efa", "gbps": 100, "source": "x", "latency_us": 10},
    ],
)
def test_an_interconnect_is_strict(fabric):
    document = _catalog_document()
    document["instances"]["aws"][0]["interconnect"] = fabric
    with pytest.raises(ValidationError):
        Catalog.model_validate(document)
