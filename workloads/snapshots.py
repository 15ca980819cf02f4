"""Qdrant snapshots to a bucket: the shell steps and the rclone destination, as plain values.

rclone reaches S3, GCS and Azure Blob with the pod's workload identity (`env_auth`), so the
same job runs on every cloud; only the remote's settings differ.
"""

from components.enums import Cloud

CURL_IMAGE = "curlimages/curl:8.16.0"
RCLONE_IMAGE = "rclone/rclone:1.72.0"
SNAPSHOT_DIR = "/snapshots"
# The API key reaches the job as a file from the Secret, not as an environment variable.
API_KEY_DIR = "/var/run/secrets/qdrant"
API_KEY_FILE = "api-key"
REMOTE = "DEST"
# The storage account of an Azure Blob remote (S3 and GCS need none).
ACCOUNT_ENV = f"RCLONE_CONFIG_{REMOTE}_ACCOUNT"


def rclone_remote(cloud: Cloud, region: str) -> dict[str, str]:
    """Environment that defines the rclone remote `dest:` for the stack's bucket."""
    prefix = f"RCLONE_CONFIG_{REMOTE}_"
    if cloud is Cloud.AWS:
        settings = {"TYPE": "s3", "PROVIDER": "AWS", "ENV_AUTH": "true", "REGION": region}
    elif cloud is Cloud.GCP:
        settings = {"TYPE": "google cloud storage", "ENV_AUTH": "true", "LOCATION": region}
    else:
        settings = {"TYPE": "azureblob", "ENV_AUTH": "true"}
    return {f"{prefix}{key}": value for key, value in settings.items()}


def snapshot_script(service: str, namespace: str, replicas: int, port: int) -> str:
    """Snapshot every collection on every node (each holds its own shards), download the
    files, then free the nodes' disk. Runs in the curl image (busybox sh)."""
    return "\n".join(
        [
            "set -eu",
            'stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
            f'mkdir -p "{SNAPSHOT_DIR}/$stamp"',
            f"for i in $(seq 0 {replicas - 1}); do",
            f'  node="http://{service}-$i.{service}-headless.{namespace}.svc:{port}"',
            f'  auth="api-key: $(cat {API_KEY_DIR}/{API_KEY_FILE})"',
            '  for c in $(curl -fsS -H "$auth" "$node/collections" '
            '| grep -o \'"name":"[^"]*"\' | cut -d\'"\' -f4); do',
            '    snap="$(curl -fsS -X POST -H "$auth" "$node/collections/$c/snapshots?wait=true" '
            '| grep -o \'"name":"[^"]*"\' | head -n1 | cut -d\'"\' -f4)"',
            f'    curl -fsS -H "$auth" -o "{SNAPSHOT_DIR}/$stamp/node-$i-$snap" '
            '"$node/collections/$c/snapshots/$snap"',
            '    curl -fsS -X DELETE -H "$auth" "$node/collections/$c/snapshots/$snap" >/dev/null',
            "  done",
            "done",
        ]
    )


def upload_script(retention_days: int) -> str:
    """Copy the new snapshots to the bucket and delete those past retention."""
    return "\n".join(
        [
            "set -eu",
            f'rclone copy "{SNAPSHOT_DIR}" "dest:$BUCKET/qdrant"',
            f'rclone delete --min-age {retention_days}d "dest:$BUCKET/qdrant"',
        ]
    )
