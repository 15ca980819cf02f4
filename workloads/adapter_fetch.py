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
FETCH = """
import os, sys
import boto3

s3 = boto3.client("s3")
pairs = list(zip(sys.argv[1::2], sys.argv[2::2]))
for uri, directory in pairs:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    prefix = prefix.rstrip("/") + "/"
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [o["Key"] for p in pages for o in p.get("Contents", []) if not o["Key"].endswith("/")]
    if prefix + "adapter_config.json" not in keys:
        sys.exit(f"{uri}: no adapter_config.json directly under it, so no PEFT adapter")
    for key in keys:
        path = os.path.join(directory, key[len(prefix):])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        s3.download_file(bucket, key, path)
    print(f"{uri}: {len(keys)} file(s) in {directory}", flush=True)
""".strip()


def fetch_command(adapters: tuple[tuple[str, str], ...]) -> list[str]:
    """The init container's command for (name, bucket URI) adapters."""
    pairs = [part for name, uri in adapters for part in (uri, f"{engines.ADAPTERS_DIR}/{name}")]
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
