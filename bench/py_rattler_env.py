"""py-rattler doing what swrt's conda mode does: solve the specs against
one channel with resolvo, install into a prefix through a package cache.
Prints the records as name=version=build (sorted) and the seconds taken.

usage: python py_rattler_env.py CHANNEL_URL PREFIX CACHE_DIR SPEC...
"""

import asyncio
import os
import sys
import time

import rattler


async def main():
    channel, prefix, cache, *specs = sys.argv[1:]
    start = time.perf_counter()
    gateway = rattler.Gateway(cache_dir=cache + "/repodata")
    records = await rattler.solve(
        [rattler.Channel(channel)],
        specs,
        gateway=gateway,
        platforms=["linux-64", "noarch"],
        virtual_packages=rattler.VirtualPackage.detect(),
    )
    solved = time.perf_counter()
    await rattler.install(records, prefix, cache_dir=cache + "/pkgs", show_progress=False)
    done = time.perf_counter()
    for r in sorted(records, key=lambda r: r.name.normalized):
        print(f"{r.name.normalized}={r.version}={r.build}")
    print(f"# solve {solved - start:.3f}s install {done - solved:.3f}s total {done - start:.3f}s", file=sys.stderr)


asyncio.run(main())
# py-rattler 0.28 sometimes segfaults while the interpreter shuts down (its
# runtime threads outlive Python's finalisation); the work is done and
# printed by now, so leave without finalising.
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
