"""LoRA adapters from the models bucket: an init container of the engine's own image copies
each adapter's prefix into the model cache before the server starts, through the pod's
workload identity, and refuses a prefix that holds no PEFT adapter.

The vLLM image installs boto3 (docker/Dockerfile:529 at v0.11.0) and runs Python 3
(docker/Dockerfile:306-309), so the copy needs no image of its own. boto3 finds the
pod's credentials from the web identity the cluster injects (IRSA), and follows an S3
bucket's region by itself.
"""

from typing import Any

from workloads import engines

# Run as `python3 -c FETCH <s3 uri> <directory> [<s3 uri> <directory> …]`.
# - Each adapter lands whole or not at all: it is copied beside its directory, which it
#   then replaces, so a file deleted from the bucket leaves no stale copy in a cache that
#   outlives the pod, and a copy cut short is never loaded.
# - A key leading out of its adapter's directory (`..`) is refused.
# - Errors from S3 or the credentials are retried with backoff for about four minutes, on
#   top of botocore's own retries: LeaderWorkerSet counts an init container's failure as a
#   restart of the pod and recreates the whole group (pkg/utils/pod/pod_utils.go:29-45 at
#   v0.10.0), and a role just granted its bucket may take a while to be honoured. A prefix
#   holding no PEFT adapter fails at once.
FETCH = """
import os, shutil, sys, time
import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

DELAYS = (5, 10, 20, 40, 60, 60, 60)
s3 = boto3.client("s3", config=Config(retries={"mode": "adaptive", "max_attempts": 10}))


def copy(uri, directory):
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    prefix = prefix.rstrip("/") + "/"
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [o["Key"] for p in pages for o in p.get("Contents", []) if not o["Key"].endswith("/")]
    if prefix + "adapter_config.json" not in keys:
        sys.exit(f"{uri}: no adapter_config.json directly under it, so no PEFT adapter")
    target = os.path.realpath(directory)
    staging = target + ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    for key in keys:
        path = os.path.realpath(os.path.join(staging, key[len(prefix):]))
        if not path.startswith(staging + os.sep):
            sys.exit(f"{uri}: the key {key!r} leads outside {directory}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        s3.download_file(bucket, key, path)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    print(f"{uri}: {len(keys)} file(s) in {directory}", flush=True)


for uri, directory in zip(sys.argv[1::2], sys.argv[2::2]):
    for delay in (*DELAYS, None):
        try:
            copy(uri, directory)
            break
        except (BotoCoreError, ClientError) as error:
            if delay is None:
                sys.exit(f"{uri}: {error}")
            print(f"{uri}: {error}; retrying in {delay} s", file=sys.stderr, flush=True)
            time.sleep(delay)
""".strip()


def fetch_command(adapters: tuple[tuple[str, str], ...]) -> list[str]:
    """The init container's command for (name, bucket URI) adapters."""
    pairs = [
        part
        for name, uri in adapters
        for part in (engines.storage_uri(uri), f"{engines.ADAPTERS_DIR}/{name}")
    ]
    return ["python3", "-c", FETCH, *pairs]


def fetch_container(main: dict[str, Any], adapters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The server container's image, environment, security context and volumes, copying
    the adapters instead of serving; small requests of its own (an init container's count
    alone when larger than the server's, which they are not)."""
    kept = ("image", "imagePullPolicy", "securityContext", "volumeMounts")
    return {
        "name": "fetch-adapters",
        **{key: main[key] for key in kept},
        # the bucket needs no Hub token
        "env": [e for e in main["env"] if e["name"] != "HF_TOKEN"],
        "command": fetch_command(adapters),
        "resources": {
            "requests": {"cpu": "1", "memory": "2Gi"},
            "limits": {"cpu": "1", "memory": "2Gi"},
        },
    }
