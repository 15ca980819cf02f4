"""Stand-ins for `curl` (against a Qdrant cluster) and `rclone` (against a bucket) that
the snapshot job's scripts call, as executables on PATH, sharing one JSON state file.

State: `nodes` maps a host (`qdrant-0.qdrant-headless.llm-data.svc:6333`) to
`{"up": bool, "collections": {name: [snapshot, ...]}, "refuse": [collection, ...]}`;
`bucket` maps object keys (`<bucket>/qdrant/...`) to their content; `fail_upload` lists
snapshot names whose upload fails; `key` is the API key Qdrant accepts.
"""

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CURL = """
import json, sys
from urllib.parse import urlsplit
state_file = {state!r}
state = json.load(open(state_file))
args = sys.argv[1:]
method, out, url, headers, fail = "GET", None, None, [], False
while args:
    arg = args.pop(0)
    if arg == "-X":
        method = args.pop(0)
    elif arg == "-H":
        headers.append(args.pop(0))
    elif arg == "-o":
        out = args.pop(0)
    elif arg.startswith("-"):
        fail = fail or "f" in arg
    else:
        url = arg
with open(state_file + ".log", "a") as log:
    log.write(f"curl {{method}} {{url}}\\n")
parts = urlsplit(url)
node = state["nodes"].get(parts.netloc)
if node is None or not node["up"]:
    print(f"curl: (7) Failed to connect to {{parts.netloc}}", file=sys.stderr)
    sys.exit(7)

def reply(status, body):
    if status >= 400:
        print(f"curl: (22) The requested URL returned error: {{status}}", file=sys.stderr)
        sys.exit(22 if fail else 0)
    text = json.dumps(body, separators=(",", ":"))
    if out:
        open(out, "w").write(text)
    else:
        sys.stdout.write(text)
    json.dump(state, open(state_file, "w"))
    sys.exit(0)

if f"api-key: {{state['key']}}" not in headers:
    reply(403, {{}})
path = [p for p in parts.path.split("/") if p]
collections = node["collections"]
if method == "GET" and path == ["collections"]:
    reply(200, {{"result": {{"collections": [{{"name": c}} for c in collections]}}, "status": "ok"}})
if len(path) >= 3 and path[0] == "collections" and path[2] == "snapshots":
    name = path[1]
    if name not in collections:
        reply(404, {{}})
    snaps = collections[name]
    if method == "GET" and len(path) == 3:
        reply(200, {{"result": [{{"name": s, "size": 1}} for s in snaps], "status": "ok"}})
    if method == "POST" and len(path) == 3:
        if name in node.get("refuse", []):
            reply(500, {{}})
        snap = f"{{name}}-{{parts.netloc.split('.')[0]}}-{{len(state['made'])}}.snapshot"
        state["made"].append(snap)
        snaps.append(snap)
        reply(200, {{"result": {{"name": snap, "size": 1}}, "status": "ok"}})
    if method == "DELETE" and len(path) == 4:
        if path[3] not in snaps:
            reply(404, {{}})
        snaps.remove(path[3])
        reply(200, {{"result": True, "status": "ok"}})
reply(404, {{}})
"""

RCLONE = """
import json, os, sys
from urllib.parse import urlsplit
state_file = {state!r}
state = json.load(open(state_file))
args = [a for a in sys.argv[1:] if not a.startswith("--")]
flags = [a for a in sys.argv[1:] if a.startswith("--")]
with open(state_file + ".log", "a") as log:
    log.write("rclone " + " ".join(sys.argv[1:]) + "\\n")
bucket = state["bucket"]

def key(remote):
    assert remote.startswith("dest:"), remote
    return remote[len("dest:"):]

def save():
    json.dump(state, open(state_file, "w"))

command = args.pop(0)
if command == "copyto":
    source, target = args
    if source.startswith("qdrant:"):
        assert os.environ["RCLONE_CONFIG_QDRANT_TYPE"] == "http"
        assert os.environ["RCLONE_CONFIG_QDRANT_NO_HEAD"] == "true"
        assert os.environ["RCLONE_CONFIG_QDRANT_HEADERS"] == "api-key," + state["key"]
        node = state["nodes"][urlsplit(os.environ["RCLONE_CONFIG_QDRANT_URL"]).netloc]
        _, collection, _, snap = source[len("qdrant:"):].split("/")
        if not node["up"] or snap not in node["collections"].get(collection, []):
            print(f"ERROR : {{snap}}: failed to open source object: HTTP error 404", file=sys.stderr)
            sys.exit(1)
        if snap in state["fail_upload"]:
            print(f"ERROR : {{snap}}: upload failed", file=sys.stderr)
            sys.exit(1)
        bucket[key(target)] = snap
    else:
        bucket[key(target)] = open(source).read()
    save()
elif command == "lsf":
    assert flags == ["--dirs-only"], flags
    prefix = key(args[0]).rstrip("/") + "/"
    found = sorted({{k[len(prefix):].split("/")[0] + "/" for k in bucket if k.startswith(prefix)}})
    print("\\n".join(found))
elif command == "purge":
    prefix = key(args[0]).rstrip("/") + "/"
    for k in [k for k in bucket if k.startswith(prefix)]:
        del bucket[k]
    save()
else:
    print(f"fake rclone: {{command}} is not expected", file=sys.stderr)
    sys.exit(2)
"""


def install(folder: Path, state: dict[str, Any]) -> Path:
    """Write the state file and the two executables into `folder/bin`; returns the state
    file."""
    state_file = folder / "state.json"
    state.setdefault("made", [])
    state.setdefault("bucket", {})
    state.setdefault("fail_upload", [])
    state_file.write_text(json.dumps(state))
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    for name, body in (("curl", CURL), ("rclone", RCLONE)):
        tool = bin_dir / name
        tool.write_text(f"#!{sys.executable}\n" + body.format(state=str(state_file)))
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return state_file


def read_state(state_file: Path) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(state_file.read_text())
    return state


def environment(folder: Path, work: Path, key_file: Path, bucket: str) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{folder / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "SNAPSHOT_WORK": str(work),
        "QDRANT_AUTH_FILE": str(key_file),
        "BUCKET": bucket,
    }


def host(url: str) -> str:
    return urlsplit(url).netloc
