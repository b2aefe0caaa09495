#!/usr/bin/env bash
# Conda mode, solve + install: swrt's built-in conda (rattler crates, resolvo)
# against py-rattler (the same library family, from PyPI) doing the same work
# on the same local channel, cold caches, in one run.
#
# The channel is written by bench/conda_channel.py: a python stand-in (a
# copied venv; conda-forge is not reachable here) plus N noarch packages in
# three versions each, chained by bounded dependencies, so asking for
# `bench000` pulls in all N.
#
# usage: bench/conda.sh [N] [ROUNDS]      (defaults 150 and 3)
# Needs: cargo, python3, uv (py-rattler is installed into a scratch venv).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-150}"
ROUNDS="${2:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

cargo build --quiet --bin swrt
SWRT="$CARGO_TARGET_DIR/debug/swrt"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 bench/conda_channel.py "$work/chan" "$N" >&2
xy="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

uv venv -q "$work/pyr"
if ! uv pip install -q --python "$work/pyr/bin/python" py-rattler; then
    echo "py-rattler is not installable here; only swrt is measured" >&2
    PYR=""
else
    PYR="$work/pyr/bin/python"
    echo "py-rattler $("$PYR" -c 'import importlib.metadata as m; print(m.version("py-rattler"))')" >&2
fi

mkdir -p "$work/project"
cat > "$work/project/runtime.yaml" <<YAML
name: condabench
mode: conda
environment:
  python: "$xy"
configs:
  conda:
    channels:
      - file://$work/chan
dependencies:
  - conda:
      - bench000
YAML

now() { python3 -c 'import time; print(time.perf_counter())'; }

printf '%-10s %5s %9s %9s %9s\n' tool round solve_s install_s wall_s
for round in $(seq 1 "$ROUNDS"); do
    # swrt: a fresh store and cache each round (cold repodata and packages).
    root="$work/swrt-$round"
    t0="$(now)"
    SWRT_ROOT="$root/store" SWRT_CACHE_DIR="$root/cache" \
        "$SWRT" build -y "$work/project/runtime.yaml" >/dev/null 2>"$root.err" \
        || { cat "$root.err" >&2; exit 1; }
    t1="$(now)"
    log="$(ls "$root"/store/.swrt/logs/condabench/*.log | head -n1)"
    solve="$(sed -n 's/.*conda: solved [0-9]* packages in \([0-9.]*\)s.*/\1/p' "$log" | head -n1)"
    install="$(sed -n 's/.*conda: installed [0-9]* packages in \([0-9.]*\)s.*/\1/p' "$log" | head -n1)"
    printf '%-10s %5s %9s %9s %9.3f\n' swrt "$round" "$solve" "$install" "$(python3 -c "print($t1 - $t0)")"

    if [ -n "$PYR" ]; then
        t0="$(now)"
        "$PYR" bench/py_rattler_env.py "file://$work/chan" "$work/pyr-prefix-$round" \
            "$work/pyr-cache-$round" "python=$xy" bench000 >"$work/pyr-$round.out" 2>"$work/pyr-$round.err"
        t1="$(now)"
        solve="$(sed -n 's/# solve \([0-9.]*\)s.*/\1/p' "$work/pyr-$round.err")"
        install="$(sed -n 's/.* install \([0-9.]*\)s.*/\1/p' "$work/pyr-$round.err")"
        printf '%-10s %5s %9s %9s %9.3f\n' py-rattler "$round" "$solve" "$install" "$(python3 -c "print($t1 - $t0)")"
    fi
done

# Both must have installed the same packages.
if [ -n "$PYR" ]; then
    prefix="$(ls -d "$work"/swrt-1/store/self/workdir/runtime/condabench/*/*/export/conda)"
    ls "$prefix/conda-meta" | grep '\.json$' | sort >"$work/swrt.list"
    ls "$work/pyr-prefix-1/conda-meta" | grep '\.json$' | sort >"$work/pyr.list"
    if cmp -s "$work/swrt.list" "$work/pyr.list"; then
        echo "same $(wc -l <"$work/swrt.list") packages installed by both" >&2
    else
        echo "the two prefixes differ:" >&2
        diff "$work/swrt.list" "$work/pyr.list" >&2 || true
        exit 1
    fi
fi
