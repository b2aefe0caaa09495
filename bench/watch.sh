#!/usr/bin/env bash
# Watch-mode latency: from saving a file that runtime.yaml names to the build
# starting, and to the new version being recorded (the moment open shells
# switch at their next prompt, through the store generation counter). Then
# no-op saves (touch, rewriting equal bytes), which must start no build.
#
#   bash bench/watch.sh [ROUNDS]        (default 5)
#
# Builds the offline example in assets/examples/hello; needs uv or pip.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"

cargo build --quiet
swrt="$PWD/target/debug/swrt"
[ -n "${CARGO_TARGET_DIR:-}" ] && swrt="$CARGO_TARGET_DIR/debug/swrt"

work="$(mktemp -d)"
trap 'kill "$watch_pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
export SWRT_ROOT="$work/root" SWRT_CACHE_DIR="$work/cache"
cp -r assets/examples/hello "$work/hello"
events="$work/events.jsonl"
: > "$events"

now_ms() { date +%s%3N; }

# Each event line is stamped with its arrival time.
"$swrt" --json watch "$work/hello" 2>"$work/watch.err" |
    while IFS= read -r line; do printf '%s %s\n' "$(now_ms)" "$line"; done >> "$events" &
watch_pid=$!

# Waits until the events file has more than $1 lines matching $2; prints the
# stamp of the newest one.
wait_for() {
    local count=$1 pattern=$2 deadline=$(( $(now_ms) + 120000 ))
    while :; do
        local n
        n=$(grep -c -- "$pattern" "$events" || true)
        if [ "$n" -gt "$count" ]; then
            grep -- "$pattern" "$events" | tail -n 1 | cut -d' ' -f1
            return 0
        fi
        if [ "$(now_ms)" -gt "$deadline" ]; then
            echo "timed out waiting for $pattern" >&2
            cat "$work/watch.err" >&2
            return 1
        fi
        sleep 0.01
    done
}

wait_for 0 '"event":"build_finished"' >/dev/null
echo "initial build done; $rounds edits follow"
printf '%-6s %14s %16s\n' round "save→start ms" "save→recorded ms"
starts=() dones=()
for i in $(seq 1 "$rounds"); do
    before_s=$(grep -c '"event":"build_started"' "$events" || true)
    before_f=$(grep -c '"event":"build_finished"' "$events" || true)
    t0=$(now_ms)
    printf '# edit %s\n' "$i" >> "$work/hello/requirements.txt"
    t1=$(wait_for "$before_s" '"event":"build_started"')
    t2=$(wait_for "$before_f" '"event":"build_finished"')
    starts+=($((t1 - t0))) dones+=($((t2 - t0)))
    printf '%-6s %14s %16s\n' "$i" "$((t1 - t0))" "$((t2 - t0))"
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median save→start: $(median "${starts[@]}") ms (includes the 300 ms debounce)"
echo "median save→recorded: $(median "${dones[@]}") ms"

# No-op saves: touch and an equal rewrite; then wait 2 s of quiet.
before=$(grep -c '"event":"build_started"' "$events" || true)
touch "$work/hello/runtime.yaml" "$work/hello/requirements.txt"
cp "$work/hello/runtime.yaml" "$work/rt.copy" && cat "$work/rt.copy" > "$work/hello/runtime.yaml"
sleep 2
after=$(grep -c '"event":"build_started"' "$events" || true)
echo "builds started by no-op saves: $((after - before))"
