#!/usr/bin/env bash
# Store commands on a big store: `swrt list` / `info` / `tag` against
# `swcli runtime list` / `info` / `tag` (when swcli is installed) on the same
# Starwhale-layout store of RUNTIMES x VERSIONS versions written by
# bench/lifecycle_store.py.
#
# usage: bench/lifecycle.sh [RUNTIMES] [VERSIONS]      (defaults 10 and 100)
# Needs: cargo, python3, hyperfine; swcli is found through SWRT_TEST_SWCLI,
# /opt/swcli/bin/swcli or ~/.cache/swrt-swcli-venv/bin/swcli.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNTIMES="${1:-10}"
VERSIONS="${2:-100}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

cargo build --quiet --bin swrt
SWRT="$CARGO_TARGET_DIR/debug/swrt"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/home"
python3 bench/lifecycle_store.py "$work/home/.starwhale" "$RUNTIMES" "$VERSIONS"
export HOME="$work/home" SWRT_ROOT="$work/home/.starwhale" NO_COLOR=1
mid="bench$((RUNTIMES / 2)):v$((VERSIONS / 2))"
mid_uri="bench$((RUNTIMES / 2))/version/v$((VERSIONS / 2))"

SWCLI="${SWRT_TEST_SWCLI:-}"
for c in /opt/swcli/bin/swcli "$HOME/../.cache/swrt-swcli-venv/bin/swcli" "${REAL_HOME:-/root}/.cache/swrt-swcli-venv/bin/swcli"; do
    [ -z "$SWCLI" ] && [ -x "$c" ] && SWCLI="$c"
done

rows="$("$SWRT" list | tail -n +2 | wc -l)"
echo "swrt list shows $rows versions" >&2

# A single --prepare would apply to every command: the cold run has its own.
hyperfine -N --warmup 1 --runs 10 --export-markdown "$work/cold.md" \
    --prepare "rm -rf $SWRT_ROOT/.swrt/cache" -n "swrt list (cold cache)" "$SWRT list" >&2
cat "$work/cold.md"
cmds=(
    -n "swrt list" "$SWRT list"
    -n "swrt list --json" "$SWRT list --json"
    -n "swrt info $mid" "$SWRT info $mid"
    -n "swrt info $mid -of all" "$SWRT info $mid --output-filter all"
    -n "swrt tag $mid bench" "$SWRT tag $mid bench"
)
hyperfine -N --warmup 2 --runs 20 --export-markdown "$work/swrt.md" "${cmds[@]}" >&2
cat "$work/swrt.md"

if [ -n "$SWCLI" ]; then
    echo "swcli: $SWCLI" >&2
    hyperfine -N --warmup 1 --runs 5 --export-markdown "$work/swcli.md" \
        -n "swcli runtime list" "$SWCLI runtime list" \
        -n "swcli runtime info $mid_uri" "$SWCLI runtime info $mid_uri" \
        -n "swcli runtime info $mid_uri -of all" "$SWCLI runtime info $mid_uri -of all" \
        -n "swcli runtime tag $mid_uri bench" "$SWCLI runtime tag $mid_uri bench" >&2
    cat "$work/swcli.md"
else
    echo "swcli not found: only swrt measured" >&2
fi
