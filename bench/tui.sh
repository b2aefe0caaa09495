#!/usr/bin/env bash
# The terminal UI on a store of 10,000 runtime versions (100 runtimes × 100
# versions, fabricated in Starwhale's layout): time to the first frame and to
# the full list, the cost of one filter keystroke, and peak RSS, next to
# `swrt --version`. Drives the real binary in a pseudo-terminal.
#
#   bench/tui.sh [path/to/swrt]     (default: $CARGO_TARGET_DIR/debug/swrt)
set -euo pipefail
cd "$(dirname "$0")/.."
SWRT="${1:-${CARGO_TARGET_DIR:-target}/debug/swrt}"
[ -x "$SWRT" ] || { echo "build swrt first (cargo build)" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

python3 - "$SWRT" "$WORK" <<'PY'
import io, os, pty, select, signal, statistics, subprocess, sys, tarfile, time, fcntl, termios, struct

swrt, work = sys.argv[1], sys.argv[2]
root = os.path.join(work, "root")
NAMES, VERSIONS = int(os.environ.get("BENCH_NAMES", 100)), int(os.environ.get("BENCH_VERSIONS", 100))

# ---- a store of NAMES × VERSIONS bundles ---------------------------------
B32 = "abcdefghijklmnopqrstuvwxyz234567"
def version(n, v):
    x = n * 100_003 + v * 7919 + 1
    out = []
    for _ in range(40):
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        out.append(B32[x >> 59])
    return "".join(out)

t = time.perf_counter()
for n in range(NAMES):
    name = f"rt{n:03d}"
    base = os.path.join(root, "self", "runtime", name)
    tags, versions = [], []
    for v in range(VERSIONS):
        ver = version(n, v)
        shard = os.path.join(base, ver[:2])
        os.makedirs(shard, exist_ok=True)
        py = ["3.9", "3.10", "3.11", "3.12"][v % 4]
        members = {
            "_manifest.yaml": f"version: {ver}\ncreated_at: 2026-01-{1 + v % 28:02d} 10:00:00 UTC\nenvironment:\n  mode: venv\n  python: '{py}'\n",
            "runtime.yaml": f"name: {name}\nenvironment:\n  python: \"{py}\"\n",
            "dependencies/.starwhale/lock/requirements-sw-lock.txt": "numpy==2.1.0\n",
        }
        with tarfile.open(os.path.join(shard, ver + ".swrt"), "w") as tar:
            for path, text in members.items():
                data = text.encode()
                info = tarfile.TarInfo(path)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        tags.append(f"  v{v}: {ver}")
        last = v == VERSIONS - 1
        versions.append(f"  {ver}: {{v{v}: true{', latest: true' if last else ''}}}")
    tags.append(f"  latest: {ver}")
    with open(os.path.join(base, "_manifest.yaml"), "w") as f:
        f.write(f"name: {name}\ntyp: runtime\ntags:\n" + "\n".join(tags) + "\nversions:\n" + "\n".join(versions) + "\n")
print(f"fabricated {NAMES * VERSIONS} versions in {time.perf_counter() - t:.1f}s", file=sys.stderr)

env = {"PATH": os.environ["PATH"], "HOME": work, "TERM": "xterm-256color",
       "SWRT_ROOT": root, "SWRT_CACHE_DIR": os.path.join(work, "cache")}

# ---- swrt --version -------------------------------------------------------
runs = []
for _ in range(20):
    t = time.perf_counter()
    subprocess.run([swrt, "--version"], env=env, stdout=subprocess.DEVNULL, check=True)
    runs.append(time.perf_counter() - t)
version_s = statistics.median(runs)

# ---- the UI in a pseudo-terminal -------------------------------------------
def start():
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        os.execve(swrt, [swrt, "tui"], env)
    return pid, fd, t0

buf = bytearray()
def wait_for(fd, needle, timeout=60.0):
    deadline = time.perf_counter() + timeout
    while needle not in buf:
        left = deadline - time.perf_counter()
        if left <= 0:
            raise SystemExit(f"timed out waiting for {needle!r}; last output: {bytes(buf[-400:])!r}")
        r, _, _ = select.select([fd], [], [], left)
        if r:
            buf.extend(os.read(fd, 65536))
    return time.perf_counter()

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0

pid, fd, t0 = start()
first = wait_for(fd, b"runtimes") - t0
full = wait_for(fd, b"rt000") - t0  # only there once the store is read

keys = []
buf.clear()
os.write(fd, b"/")
wait_for(fd, "\u258f".encode())
for ch in "rt05":
    # Let the previous frame go out, so pacing does not count.
    time.sleep(0.05)
    buf.clear()
    t = time.perf_counter()
    os.write(fd, ch.encode())
    keys.append(wait_for(fd, (ch + "\u258f").encode()) - t)
rss = rss_kib(pid)
# Enter leaves the prompt (Esc followed at once by q would read as Alt-q).
os.write(fd, b"\r")
os.write(fd, b"q")
_, status = os.waitpid(pid, 0)

# A second start: the store's listing cache is warm now.
buf.clear()
pid, fd, t0 = start()
warm_first = wait_for(fd, b"runtimes") - t0
warm_full = wait_for(fd, b"rt000") - t0
os.write(fd, b"q")
os.waitpid(pid, 0)

print(f"swrt --version (median of 20)      {version_s * 1000:7.1f} ms")
print(f"UI first frame                      {first * 1000:7.1f} ms   ({first / version_s:.1f}× --version; goal ≤ 5×)")
print(f"UI full list of 10,000 versions     {full * 1000:7.1f} ms   (first listing: the store builds its summary cache)")
print(f"second start: first frame, list     {warm_first * 1000:7.1f} ms, {warm_full * 1000:.1f} ms")
print(f"filter keystroke (median, max)      {statistics.median(keys) * 1000:7.1f} ms, {max(keys) * 1000:.1f} ms   (goal ≤ 16.7 ms)")
print(f"peak RSS                            {rss / 1024:7.1f} MiB   (goal ≤ 64 MiB)")
print(f"exit status                         {os.waitstatus_to_exitcode(status)}")
PY
