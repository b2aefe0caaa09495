#!/usr/bin/env bash
# Per-prompt cost of the swrt prompt hook against direnv's, measured in the
# same bash loop: both hooks are loaded in one shell, in a directory where
# each has something active (a .swrt-runtime pin, an .envrc), and each
# iteration times one call of each hook with $EPOCHREALTIME.
#
#   bench/prompt.sh [PROMPTS] [SWRT_BINARY]
#
# Nothing changes between prompts, which is the common case the fast path is
# built for. Everything happens in a temporary HOME and store.
set -euo pipefail

prompts=${1:-300}
here=$(cd "$(dirname "$0")/.." && pwd)
swrt_bin=${2:-${CARGO_TARGET_DIR:-$here/target}/debug/swrt}
[[ -x $swrt_bin ]] || { echo "no swrt binary at $swrt_bin (cargo build first)" >&2; exit 1; }
command -v direnv >/dev/null || { echo "direnv is not installed" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/work"

# A store with one runtime, the way a build leaves it: a venv in the workdir,
# a bundle (activation only checks that it exists) and a tag index pointing
# `latest` at it.
version=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
prefix=$tmp/store/self/workdir/runtime/bench/aa/$version/export/venv
python3 -m venv --without-pip "$prefix"
mkdir -p "$tmp/store/self/runtime/bench/aa" "$tmp/store/.swrt"
: >"$tmp/store/self/runtime/bench/aa/$version.swrt"
printf 'name: bench\ntags:\n  latest: %s\nversions:\n  %s: {latest: true}\n' \
    "$version" "$version" >"$tmp/store/self/runtime/bench/_manifest.yaml"
echo 1 >"$tmp/store/.swrt/generation"
echo bench >"$tmp/work/.swrt-runtime"
printf 'export BENCH_DIRENV=1\nPATH_add bin\n' >"$tmp/work/.envrc"

cat >"$tmp/loop.bash" <<'LOOP'
set -u
cd "$WORK"
direnv allow . >/dev/null 2>&1
eval "$("$SWRT_BIN" hook bash)"
eval "$(direnv hook bash)"
__swrt_prompt
_direnv_hook 2>/dev/null
[[ ${SWRT_ACTIVE-} == bench:* ]] || { echo "swrt did not activate" >&2; exit 1; }
[[ ${BENCH_DIRENV-} == 1 ]] || { echo "direnv did not load .envrc" >&2; exit 1; }
now_us() { local t=${EPOCHREALTIME/./}; REPLY=$((10#$t)); }
swrt_us=0 direnv_us=0
for ((i = 0; i < PROMPTS; i++)); do
    now_us; a=$REPLY
    __swrt_prompt
    now_us; b=$REPLY
    _direnv_hook 2>/dev/null
    now_us; c=$REPLY
    swrt_us=$((swrt_us + b - a))
    direnv_us=$((direnv_us + c - b))
done
printf 'prompts:          %d\n' "$PROMPTS"
printf 'swrt   per prompt: %6d us\n' $((swrt_us / PROMPTS))
printf 'direnv per prompt: %6d us\n' $((direnv_us / PROMPTS))
awk -v s="$swrt_us" -v d="$direnv_us" 'BEGIN { printf "ratio direnv/swrt: %.0fx\n", d / (s > 0 ? s : 1) }'
LOOP

env -i HOME="$tmp/home" PATH="$PATH" TERM=dumb LANG=C.UTF-8 \
    SWRT_ROOT="$tmp/store" SWRT_CACHE_DIR="$tmp/cache" \
    XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share" \
    WORK="$tmp/work" SWRT_BIN="$swrt_bin" PROMPTS="$prompts" \
    bash --noprofile --norc "$tmp/loop.bash"
