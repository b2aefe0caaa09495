#!/usr/bin/env bash
# Side-by-side timings of `swrt build` (uv backend, warm uv cache) against a
# raw `uv venv && uv pip install` of the same wheels, and of a no-op
# `swrt build` (unchanged fingerprint) against `swrt --version`.
#
# The ~15 wheels are downloaded from PyPI once into $BENCH_CACHE/wheels
# (pip download); every run after that is offline. Needs hyperfine, uv,
# python3.11 and a built swrt (default: the debug binary; SWRT=... overrides).
#
#   bash bench/build.sh                          # prints a markdown table per comparison
#   UV=$(pyenv which uv) PYTHON=$(pyenv which python3.11) bash bench/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_CACHE=${BENCH_CACHE:-$HOME/.cache/swrt-bench}
WHEELS=$BENCH_CACHE/wheels
PYTHON=${PYTHON:-python3.11}
# The uv both sides use. Behind a pyenv shim every call costs ~0.2 s more,
# so pass the real binary (UV=$(pyenv which uv)) for tool-to-tool figures.
UV=${UV:-$(command -v uv)}
export SWRT_UV=$UV
RUNS=${RUNS:-10}
PKGS=(requests six packaging attrs click colorama tomli typing-extensions
      pyparsing python-dateutil pytz idna certifi urllib3 charset-normalizer)

if [ ! -f "$WHEELS/.complete" ]; then
    mkdir -p "$WHEELS"
    "$PYTHON" -m pip download --quiet --only-binary :all: --dest "$WHEELS" "${PKGS[@]}"
    touch "$WHEELS/.complete"
fi

if [ -z "${SWRT:-}" ]; then
    cargo build --quiet
    SWRT="${CARGO_TARGET_DIR:-target}/debug/swrt"
fi
SWRT=$(realpath "$SWRT")

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export SWRT_ROOT=$WORK/store SWRT_CACHE_DIR=$WORK/cache
export UV_CACHE_DIR=$SWRT_CACHE_DIR/uv   # the cache swrt's uv backend uses
PROJECT=$WORK/project
mkdir -p "$PROJECT"
{
    echo "--no-index"
    echo "--find-links $WHEELS"
    printf '%s\n' "${PKGS[@]}"
} > "$PROJECT/requirements.txt"
cat > "$PROJECT/runtime.yaml" <<YAML
name: bench
environment:
  python: "3.11"
dependencies:
  - requirements.txt
YAML

echo "wheels: $(ls "$WHEELS"/*.whl | wc -l) in $WHEELS"
echo "swrt:   $SWRT ($("$SWRT" --version))"
echo "uv:     $UV ($("$UV" --version))"
echo

# Warm the uv cache (and the store) once.
"$SWRT" build --quiet "$PROJECT" --backend uv > /dev/null

hyperfine --warmup 1 --runs "$RUNS" --export-markdown "$WORK/full.md" \
    -n "swrt build --no-cache (uv)" \
    "$SWRT build --quiet --no-cache --backend uv $PROJECT" \
    -n "uv venv && uv pip install" \
    "rm -rf $WORK/raw && $UV venv --quiet --python $PYTHON $WORK/raw && $UV pip install --quiet --python $WORK/raw/bin/python -r $PROJECT/requirements.txt"
cat "$WORK/full.md"
echo

hyperfine --warmup 3 --runs "$((RUNS * 3))" -N --export-markdown "$WORK/noop.md" \
    -n "swrt build (unchanged)" "$SWRT build --quiet --backend uv $PROJECT" \
    -n "swrt --version" "$SWRT --version"
cat "$WORK/noop.md"
