"""Writes a local conda channel for bench/conda.sh: a python stand-in made
from `python3 -m venv --copies --without-pip` (conda-forge's python is not
reachable here) and N synthetic noarch packages, each in three versions,
each depending on the next two with version bounds, so the solver has real
choices to make. Indexed by writing noarch/ and linux-64/repodata.json.

usage: python3 conda_channel.py CHANNEL_DIR [N]
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

channel = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 150
repodata = {"noarch": {}, "linux-64": {}}


def add(name, version, build, subdir, depends, files):
    """files: list of (relpath, bytes, executable, placeholder or None)."""
    index = {
        "name": name,
        "version": version,
        "build": build,
        "build_number": 0,
        "depends": depends,
        "subdir": subdir,
        "license": "MIT",
    }
    if subdir == "noarch":
        index["noarch"] = "generic"
    else:
        index["arch"], index["platform"] = "x86_64", "linux"
    paths = []
    for rel, data, _, ph in files:
        entry = {
            "_path": rel,
            "path_type": "hardlink",
            "sha256": hashlib.sha256(data).hexdigest(),
            "size_in_bytes": len(data),
        }
        if ph:
            entry["prefix_placeholder"] = ph
            entry["file_mode"] = "text"
        paths.append(entry)
    members = [
        ("info/index.json", json.dumps(index).encode(), False),
        ("info/paths.json", json.dumps({"paths": paths, "paths_version": 1}).encode(), False),
        ("info/files", "".join(f[0] + "\n" for f in files).encode(), False),
    ] + [(rel, data, ex) for rel, data, ex, _ in files]
    fn = f"{name}-{version}-{build}.tar.bz2"
    out = os.path.join(channel, subdir, fn)
    with tarfile.open(out, "w:bz2", compresslevel=1) as tar:
        for rel, data, ex in members:
            info = tarfile.TarInfo(rel)
            info.size = len(data)
            info.mode = 0o755 if ex else 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    blob = open(out, "rb").read()
    record = dict(index, sha256=hashlib.sha256(blob).hexdigest(), size=len(blob))
    record["md5"] = hashlib.md5(blob).hexdigest()
    repodata[subdir][fn] = record


for subdir in repodata:
    os.makedirs(os.path.join(channel, subdir), exist_ok=True)

# The python stand-in.
version = "%d.%d.%d" % sys.version_info[:3]
xy = "%d.%d" % sys.version_info[:2]
with tempfile.TemporaryDirectory() as tmp:
    venv = os.path.join(tmp, "swrt_python_standin_placeholder_prefix")
    subprocess.run([sys.executable, "-m", "venv", "--copies", "--without-pip", venv], check=True)
    files = []
    for root, _, names in os.walk(venv):
        for nm in names:
            p = os.path.join(root, nm)
            if os.path.islink(p):
                continue
            data = open(p, "rb").read()
            rel = os.path.relpath(p, venv)
            ex = os.access(p, os.X_OK)
            ph = venv if venv.encode() in data and b"\0" not in data else None
            files.append((rel, data, ex, ph))
    files.append((f"lib/python{xy}/site-packages/README.txt", b"stand-in\n", False, None))
    add("python", version, "swrt_standin_0", "linux-64", [], files)

for i in range(n):
    for v in ("1.0", "1.1", "2.0"):
        deps = [f"bench{j:03d} >=1.1" for j in (i + 1, i + 2) if j < n]
        files = [
            (f"share/bench{i:03d}/file{k}.txt", f"bench{i:03d} {v} {k}\n".encode() * 50, False, None)
            for k in range(10)
        ]
        add(f"bench{i:03d}", v, "h0_0", "noarch", deps, files)

for subdir, pkgs in repodata.items():
    doc = {"info": {"subdir": subdir}, "packages": pkgs, "packages.conda": {}, "repodata_version": 1}
    with open(os.path.join(channel, subdir, "repodata.json"), "w") as f:
        json.dump(doc, f)
print(f"channel {channel}: python {version} stand-in + {n} packages x 3 versions")
