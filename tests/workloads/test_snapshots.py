"""The snapshot job's scripts, run for real: POSIX sh with fake `curl` (a Qdrant cluster)
and `rclone` (a bucket) on PATH, as the job's three steps run them in one pod."""

import datetime
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.enums import Cloud
from tests.workloads.snapshot_fakes import environment, install, read_state
from workloads.snapshots import (
    cleanup_script,
    node_url,
    rclone_remote,
    snapshot_script,
    stream_chunk_mib,
    upload_memory_mib,
    upload_script,
)

KEY = "k3y"
BUCKET = "snaps"
NODES = [node_url("qdrant", "llm-data", i, 6333).removeprefix("http://") for i in range(3)]
# The images run busybox ash; dash is the POSIX sh here. Both when busybox is installed.
SHELLS = [["sh", "-c"]] + ([["busybox", "sh", "-c"]] if shutil.which("busybox") else [])


@dataclass
class Run:
    code: int
    out: str
    err: str


class Job:
    def __init__(self, folder: Path, state: dict[str, Any], shell: list[str]) -> None:
        self.folder = folder
        self.state_file = install(folder, {"key": KEY, **state})
        self.work = folder / "work"
        self.work.mkdir()
        key_file = folder / "api-key"
        key_file.write_text(KEY)
        self.env = environment(folder, self.work, key_file, BUCKET)
        self.shell = shell

    def step(self, script: str) -> Run:
        done = subprocess.run(
            [*self.shell, script], env=self.env, capture_output=True, text=True, check=False
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def all_steps(self, retention_days: int = 14) -> list[Run]:
        """The pod: each step only after the one before it succeeded."""
        runs = []
        for script in (
            snapshot_script("qdrant", "llm-data", len(NODES), 6333),
            upload_script(retention_days),
            cleanup_script(),
        ):
            runs.append(self.step(script))
            if runs[-1].code != 0:
                break
        return runs

    @property
    def state(self) -> dict[str, Any]:
        return read_state(self.state_file)


def cluster(collections: dict[str, list[str]] | None = None, **node0: Any) -> dict[str, Any]:
    return {
        "nodes": {
            host: {
                "up": True,
                "collections": {c: [] for c in (collections or {"docs": [], "faq": []})},
                **(node0 if i == 0 else {}),
            }
            for i, host in enumerate(NODES)
        }
    }


@pytest.fixture(params=[" ".join(s[:-1]) for s in SHELLS])
def shell(request: pytest.FixtureRequest) -> list[str]:
    return [*request.param.split(), "-c"]


def left_on_nodes(state: dict[str, Any]) -> list[str]:
    return [
        s for n in state["nodes"].values() for snaps in n["collections"].values() for s in snaps
    ]


def test_every_collection_of_every_node_is_streamed_to_the_bucket_and_reported(tmp_path, shell):
    job = Job(tmp_path, cluster(), shell)
    runs = job.all_steps()
    assert [r.code for r in runs] == [0, 0, 0], [r.err for r in runs]
    stamp = (job.work / "stamp").read_text().strip()
    objects = job.state["bucket"]
    saved = sorted(k for k in objects if not k.endswith("MANIFEST"))
    # 3 nodes × 2 collections, each under its node (each node holds its own shards)
    assert len(saved) == 6
    assert all(k.startswith(f"{BUCKET}/qdrant/{stamp}/node-") for k in saved)
    assert {k.split("/")[3] for k in saved} == {"node-0", "node-1", "node-2"}
    manifest = objects[f"{BUCKET}/qdrant/{stamp}/MANIFEST"].splitlines()
    assert len(manifest) == 6 and {line.split()[2] for line in manifest} == {"docs", "faq"}
    # the nodes keep no snapshot once it is saved
    assert left_on_nodes(job.state) == []
    assert "6 snapshots saved" in runs[1].out
    assert f"backup {stamp} complete: 6 snapshots" in runs[2].out
    for line in manifest:
        i, _, collection, snap = line.split()
        assert f"node {i}: collection {collection}: saved as {stamp}/node-{i}/{snap}" in runs[2].out


def test_an_unreachable_node_fails_the_backup_and_removes_the_snapshots_it_made(tmp_path, shell):
    state = cluster()
    state["nodes"][NODES[1]]["up"] = False
    job = Job(tmp_path, state, shell)
    runs = job.all_steps()
    assert [r.code for r in runs] == [1]
    assert "FAILED: node 1" in runs[0].err and "cannot list its collections" in runs[0].err
    assert job.state["made"]  # node 0's collections were snapshotted first ...
    assert left_on_nodes(job.state) == []  # ... and removed again
    assert job.state["bucket"] == {}


def test_a_collection_that_cannot_be_snapshotted_fails_the_backup_naming_it(tmp_path, shell):
    job = Job(tmp_path, cluster(refuse=["faq"]), shell)
    runs = job.all_steps()
    assert [r.code for r in runs] == [1]
    assert "FAILED: node 0: collection faq: snapshot failed" in runs[0].err
    assert left_on_nodes(job.state) == []


def test_a_snapshot_not_saved_fails_the_upload_and_no_manifest_marks_the_backup(tmp_path, shell):
    job = Job(tmp_path, cluster(), shell)
    assert job.step(snapshot_script("qdrant", "llm-data", len(NODES), 6333)).code == 0
    broken = (job.work / "manifest").read_text().splitlines()[3].split()
    state = job.state
    state["fail_upload"] = [broken[3]]
    job.state_file.write_text(__import__("json").dumps(state))
    upload = job.step(upload_script(14))
    assert upload.code == 1
    assert f"FAILED: node {broken[0]}: collection {broken[2]}: {broken[3]} was not saved" in (
        upload.err
    )
    assert not any(k.endswith("MANIFEST") for k in job.state["bucket"])


def test_snapshots_left_by_a_failed_run_are_removed_first(tmp_path, shell):
    state = cluster()
    state["nodes"][NODES[2]]["collections"]["docs"] = ["docs-old.snapshot"]
    job = Job(tmp_path, state, shell)
    runs = job.all_steps()
    assert [r.code for r in runs] == [0, 0, 0]
    assert "node 2: collection docs: removed the old snapshot docs-old.snapshot" in runs[0].out
    assert left_on_nodes(job.state) == []


def test_no_collections_is_an_empty_complete_backup(tmp_path, shell):
    state = cluster()
    for node in state["nodes"].values():
        node["collections"] = {}
    job = Job(tmp_path, state, shell)
    runs = job.all_steps()
    assert [r.code for r in runs] == [0, 0, 0]
    assert "0 snapshots on 3 nodes" in runs[0].out
    (manifest,) = [k for k in job.state["bucket"] if k.endswith("MANIFEST")]
    assert job.state["bucket"][manifest] == ""


def test_a_collection_name_the_job_cannot_address_fails_loudly(tmp_path, shell):
    job = Job(tmp_path, cluster({"my docs?": []}), shell)
    runs = job.all_steps()
    assert runs[0].code == 1
    assert "collection 'my docs?'" in runs[0].err


def test_retention_deletes_backups_by_their_stamp_not_by_object_times(tmp_path, shell):
    # rclone's HTTP remote gives a streamed object no time (backend/http/http.go at
    # v1.72.0: timeUnset = time.Unix(0, 0), used when no_head is set), and the copy keeps
    # the source's time (fs/operations/copy.go: rcatSrc(..., c.src.ModTime(ctx), ...)): a
    # `--min-age` filter would take every new snapshot for 1970 and delete it.
    today = datetime.datetime.now(datetime.UTC)
    old = (today - datetime.timedelta(days=30)).strftime("%Y%m%dT%H%M%SZ")
    recent = (today - datetime.timedelta(days=3)).strftime("%Y%m%dT%H%M%SZ")
    state = cluster()
    state["bucket"] = {
        f"{BUCKET}/qdrant/{old}/node-0/docs-1.snapshot": "x",
        f"{BUCKET}/qdrant/{old}/MANIFEST": "",
        f"{BUCKET}/qdrant/{recent}/node-0/docs-2.snapshot": "x",
        f"{BUCKET}/qdrant/{recent}/MANIFEST": "",
    }
    job = Job(tmp_path, state, shell)
    runs = job.all_steps(retention_days=14)
    assert [r.code for r in runs] == [0, 0, 0]
    stamps = {k.split("/")[2] for k in job.state["bucket"]}
    assert old not in stamps
    assert recent in stamps
    assert (job.work / "stamp").read_text().strip() in stamps
    assert f"deleted the backup {old}" in runs[1].out
    log = (tmp_path / "state.json.log").read_text()
    assert "--min-age" not in log


def test_snapshots_stream_from_qdrant_through_rclones_http_remote():
    # Qdrant v1.15.5 serves a snapshot on GET only (src/actix/api/snapshot_api.rs:260,
    # `#[get(...)]`); rclone's HTTP remote would send HEAD first and, on the 404, take the
    # path for a directory (backend/http/http.go:233 at v1.72.0), so `no_head` is set, which
    # takes it for a file (http.go:211-213). A source of unknown size is streamed
    # (fs/operations/copy.go:271-272, rcat): nothing is staged on the job's disk. The API
    # key goes in the remote's own `headers`, sent to Qdrant only, never to the bucket.
    script = upload_script(14)
    assert "RCLONE_CONFIG_QDRANT_TYPE=http RCLONE_CONFIG_QDRANT_NO_HEAD=true" in script
    assert 'RCLONE_CONFIG_QDRANT_HEADERS="api-key,$key"' in script
    assert "--header" not in script  # rclone's global flag would send it to the bucket too
    assert 'rclone copyto "qdrant:collections/$c/snapshots/$snap"' in script


def test_gcs_uploads_send_no_object_acl():
    # googlecloudstorage.go at v1.72.0: `object_acl` defaults to "private" (line 525) and
    # every insert sends it as predefinedAcl unless `bucket_policy_only` is set (lines
    # 1469-1470); a bucket with uniform bucket-level access (ours, components/gcp/bucket.py)
    # rejects an object ACL.
    remote = rclone_remote(Cloud.GCP, "us-central1")
    assert remote["RCLONE_CONFIG_DEST_BUCKET_POLICY_ONLY"] == "true"
    for cloud in (Cloud.AWS, Cloud.AZURE):
        assert "RCLONE_CONFIG_DEST_BUCKET_POLICY_ONLY" not in rclone_remote(cloud, "r")


@pytest.mark.parametrize(
    ("cloud", "parts"),
    [(Cloud.AWS, 10_000), (Cloud.AZURE, 50_000)],
)
def test_a_streamed_snapshot_as_large_as_the_volume_fits_the_part_limit(cloud, parts):
    # A stream has no size, so rclone keeps the configured chunk size: at most 10,000
    # parts on S3 (backend/s3/s3.go: maxUploadParts, "48 GiB" at the 5 MiB default) and
    # 50,000 blocks on Azure (backend/azureblob/azureblob.go: blockblob.MaxBlocks).
    for volume_gib in (10, 200, 2048):
        chunk = stream_chunk_mib(cloud, volume_gib)
        assert chunk is not None
        assert chunk * parts >= volume_gib * 1024
        remote = rclone_remote(cloud, "r", largest_snapshot_gib=volume_gib)
        assert remote["RCLONE_CONFIG_DEST_CHUNK_SIZE"] == f"{chunk}M"
        assert upload_memory_mib(cloud, volume_gib) >= 4 * chunk + 256
    assert stream_chunk_mib(Cloud.GCP, 2048) is None  # resumable uploads: no part limit
