import pytest

from components.catalog import CatalogLookupError, catalog, gpus_on, resolve_instance
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
