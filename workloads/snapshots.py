"""Qdrant snapshots to a bucket: the job's three shell steps and its rclone remotes, as
plain values.

One pod runs the steps in order, each a POSIX sh script (busybox ash in the curl and
rclone images), sharing a small work directory:

1. `snapshot` (curl image): on every node, remove snapshots an earlier run left behind,
   then snapshot every collection (each node holds its own shards) into the manifest.
   A node that cannot be listed, or a collection that cannot be snapshotted, fails the
   step loudly, and the snapshots it already made are removed again.
2. `upload` (rclone image): streams each snapshot from its node straight to the bucket
   through rclone's HTTP remote (no copy on the job's disk), then writes the manifest
   as `MANIFEST` (a backup is complete when its MANIFEST exists), then deletes backups
   older than the retention. Any snapshot not saved fails the step, naming it.
3. `cleanup` (curl image): deletes the uploaded snapshots from the nodes and reports what
   was saved.

A `for` over a command substitution hides the command's failure from `set -e`, so every
list the scripts walk is first written to a file by a command whose status is checked.

rclone reaches S3, GCS and Azure Blob with the pod's workload identity (`env_auth`), so
the same job runs on every cloud; only the remote's settings differ.
"""

import math

from components.enums import Cloud

CURL_IMAGE = "curlimages/curl:8.16.0"
RCLONE_IMAGE = "rclone/rclone:1.72.0"
WORK_DIR = "/work"
# The API key reaches the job as a file from the Secret, not as an environment variable.
API_KEY_DIR = "/var/run/secrets/qdrant"
API_KEY_FILE = "api-key"
# The scripts read their paths from these, so they run unchanged outside a pod.
WORK_ENV = "SNAPSHOT_WORK"
API_KEY_FILE_ENV = "QDRANT_AUTH_FILE"
REMOTE = "DEST"
# The storage account of an Azure Blob remote (S3 and GCS need none).
ACCOUNT_ENV = f"RCLONE_CONFIG_{REMOTE}_ACCOUNT"
PREFIX = "qdrant"
"""Backups land under `<bucket>/qdrant/<UTC stamp>/node-<i>/<snapshot>`."""

# A streamed upload has no size up front, so rclone uses its configured chunk size and
# the backend's part limit caps the object: 10,000 parts on S3 (backend/s3/s3.go,
# maxUploadParts) and 50,000 blocks on Azure Blob (backend/azureblob/azureblob.go,
# blockblob.MaxBlocks). GCS resumable uploads have no part limit.
MAX_PARTS = {Cloud.AWS: 10_000, Cloud.AZURE: 50_000}
MIN_CHUNK_MIB = {Cloud.AWS: 5, Cloud.AZURE: 4}
UPLOAD_CONCURRENCY = 4
"""Chunks of one upload in flight at once, each buffered in memory."""


def stream_chunk_mib(cloud: Cloud, largest_snapshot_gib: int) -> int | None:
    """Chunk size that lets a streamed snapshot of `largest_snapshot_gib` fit the backend's
    part limit; None where the backend has none (GCS)."""
    parts = MAX_PARTS.get(cloud)
    if parts is None:
        return None
    return max(MIN_CHUNK_MIB[cloud], math.ceil(largest_snapshot_gib * 1024 / parts))


def upload_memory_mib(cloud: Cloud, largest_snapshot_gib: int) -> int:
    """Memory for the upload step: rclone itself plus the chunks in flight."""
    chunk = stream_chunk_mib(cloud, largest_snapshot_gib) or 16
    return max(512, 256 + UPLOAD_CONCURRENCY * chunk)


def rclone_remote(cloud: Cloud, region: str, *, largest_snapshot_gib: int = 0) -> dict[str, str]:
    """Environment that defines the rclone remote `dest:` for the stack's bucket."""
    prefix = f"RCLONE_CONFIG_{REMOTE}_"
    if cloud is Cloud.AWS:
        settings = {"TYPE": "s3", "PROVIDER": "AWS", "ENV_AUTH": "true", "REGION": region}
    elif cloud is Cloud.GCP:
        settings = {
            "TYPE": "google cloud storage",
            "ENV_AUTH": "true",
            "LOCATION": region,
            # The platform's buckets have uniform bucket-level access; without this rclone
            # sends an object ACL ("private") with every upload, which such a bucket refuses.
            "BUCKET_POLICY_ONLY": "true",
        }
    else:
        settings = {"TYPE": "azureblob", "ENV_AUTH": "true"}
    chunk = stream_chunk_mib(cloud, largest_snapshot_gib)
    if chunk is not None:
        settings["CHUNK_SIZE"] = f"{chunk}M"
        settings["UPLOAD_CONCURRENCY"] = str(UPLOAD_CONCURRENCY)
    return {f"{prefix}{key}": value for key, value in settings.items()}


def node_url(service: str, namespace: str, index: int, port: int) -> str:
    return f"http://{service}-{index}.{service}-headless.{namespace}.svc:{port}"


_COMMON = [
    "set -eu",
    f'work="${WORK_ENV}"',
    f'key="$(cat "${API_KEY_FILE_ENV}")"',
    # Names from a Qdrant JSON reply, one a line; a reply without names gives no lines.
    'names() { grep -o \'"name":"[^"]*"\' "$1" | cut -d\'"\' -f4 || true; }',
]


def snapshot_script(service: str, namespace: str, replicas: int, port: int) -> str:
    """Step 1: snapshot every collection on every node into `$work/manifest`, one line
    `<node index> <node url> <collection> <snapshot>` each, and the backup's UTC stamp
    into `$work/stamp`."""
    nodes = " ".join(str(i) for i in range(replicas))
    return "\n".join(
        [
            *_COMMON,
            'stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
            ': > "$work/manifest"',
            ': > "$work/made"',
            'fail() { echo "snapshot: FAILED: $*" >&2; exit 1; }',
            # On failure, remove the snapshots this run made: they would fill the volumes.
            "undo() {",
            "  status=$?",
            '  [ "$status" -eq 0 ] && return 0',
            "  while read -r node c snap; do",
            '    curl -sS -X DELETE -H "api-key: $key" '
            '"$node/collections/$c/snapshots/$snap" >/dev/null || true',
            '  done < "$work/made"',
            '  exit "$status"',
            "}",
            "trap undo EXIT",
            f"for i in {nodes}; do",
            f'  node="http://{service}-$i.{service}-headless.{namespace}.svc:{port}"',
            '  curl -fsS -H "api-key: $key" -o "$work/collections" "$node/collections" '
            '|| fail "node $i ($node): cannot list its collections"',
            '  names "$work/collections" > "$work/names"',
            "  while read -r c; do",
            '    case "$c" in',
            "      *[!A-Za-z0-9_.-]*) fail \"node $i: collection '$c': its name cannot be "
            'used in a URL here; snapshot it by hand" ;;',
            "    esac",
            '    curl -fsS -H "api-key: $key" -o "$work/existing" '
            '"$node/collections/$c/snapshots" '
            '|| fail "node $i: collection $c: cannot list its snapshots"',
            '    names "$work/existing" > "$work/old"',
            "    while read -r old; do",
            '      curl -fsS -X DELETE -H "api-key: $key" '
            '"$node/collections/$c/snapshots/$old" >/dev/null '
            '|| fail "node $i: collection $c: cannot remove the old snapshot $old"',
            '      echo "snapshot: node $i: collection $c: removed the old snapshot $old"',
            '    done < "$work/old"',
            '    curl -fsS -X POST -H "api-key: $key" -o "$work/created" '
            '"$node/collections/$c/snapshots?wait=true" '
            '|| fail "node $i: collection $c: snapshot failed"',
            '    snap="$(names "$work/created" | head -n 1)"',
            '    [ -n "$snap" ] || fail "node $i: collection $c: Qdrant named no snapshot"',
            '    printf \'%s %s %s\\n\' "$node" "$c" "$snap" >> "$work/made"',
            '    printf \'%s %s %s %s\\n\' "$i" "$node" "$c" "$snap" >> "$work/manifest"',
            '    echo "snapshot: node $i: collection $c: $snap"',
            '  done < "$work/names"',
            "done",
            'echo "$stamp" > "$work/stamp"',
            f'echo "snapshot: $(wc -l < "$work/manifest") snapshots on {replicas} nodes, '
            'backup $stamp"',
        ]
    )


def upload_script(retention_days: int) -> str:
    """Step 2: stream every snapshot in the manifest to `dest:$BUCKET/qdrant/<stamp>/`, then
    the manifest, then delete backups older than `retention_days`.

    Retention reads the backup's stamp from its path, not the objects' modification
    times: a snapshot streamed from the HTTP remote carries no time, so rclone stores
    the Unix epoch as its mtime and `--min-age` would delete it at once."""
    return "\n".join(
        [
            *_COMMON,
            'stamp="$(cat "$work/stamp")"',
            f'dest="dest:$BUCKET/{PREFIX}/$stamp"',
            # The snapshot source: Qdrant's HTTP API, with the key sent to Qdrant only.
            "export RCLONE_CONFIG_QDRANT_TYPE=http RCLONE_CONFIG_QDRANT_NO_HEAD=true",
            'export RCLONE_CONFIG_QDRANT_HEADERS="api-key,$key"',
            "saved=0",
            "while read -r i node c snap; do",
            '  export RCLONE_CONFIG_QDRANT_URL="$node/"',
            '  rclone copyto "qdrant:collections/$c/snapshots/$snap" "$dest/node-$i/$snap" '
            '|| { echo "upload: FAILED: node $i: collection $c: $snap was not saved" >&2; '
            "exit 1; }",
            "  saved=$((saved + 1))",
            '  echo "upload: saved $dest/node-$i/$snap"',
            'done < "$work/manifest"',
            'rclone copyto "$work/manifest" "$dest/MANIFEST"',
            'echo "upload: $saved snapshots saved to $dest"',
            f'cutoff="$(date -u -d "@$(( $(date -u +%s) - {retention_days} * 86400 ))" +%Y%m%d)"',
            f'rclone lsf --dirs-only "dest:$BUCKET/{PREFIX}" > "$work/backups"',
            "while read -r backup; do",
            '  case "$backup" in',
            "    [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T*Z/) ;;",
            "    *) continue ;;",
            "  esac",
            '  if [ "${backup%%T*}" -lt "$cutoff" ]; then',
            f'    rclone purge "dest:$BUCKET/{PREFIX}/${{backup%/}}"',
            f'    echo "upload: deleted the backup ${{backup%/}}, '
            f'older than {retention_days} days"',
            "  fi",
            'done < "$work/backups"',
        ]
    )


def cleanup_script() -> str:
    """Step 3: delete the saved snapshots from the nodes and report the backup."""
    return "\n".join(
        [
            *_COMMON,
            'stamp="$(cat "$work/stamp")"',
            "left=0",
            "while read -r i node c snap; do",
            '  if curl -fsS -X DELETE -H "api-key: $key" '
            '"$node/collections/$c/snapshots/$snap" >/dev/null; then',
            '    echo "cleanup: node $i: collection $c: saved as $stamp/node-$i/$snap"',
            "  else",
            # The backup is saved; the next run removes what is left on the node.
            '    echo "cleanup: node $i: collection $c: saved, but $snap is still on the node" >&2',
            "    left=$((left + 1))",
            "  fi",
            'done < "$work/manifest"',
            f'echo "cleanup: backup $stamp complete: $(wc -l < "$work/manifest") snapshots '
            f'in $BUCKET/{PREFIX}/$stamp ($left left on the nodes for the next run)"',
        ]
    )
