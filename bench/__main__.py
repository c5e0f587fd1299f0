"""make bench: every benchmark, figures as ratios measured in this one run.

A module with `main()` builds its own inputs (the reader compares readers on one file); a module
with `run(store)` is measured on the shared 100k-policy demo store (bench/common.big_store).
"""
from __future__ import annotations

import importlib
import sys
import time

from .common import big_store

MODULES = ("bench_speed", "bench_read", "bench_validate", "bench_kpi", "bench_claims", "bench_demo_write", "bench_reconcile",
           "bench_excel")


def main(names: list[str]) -> None:
    store = None
    for name in names or MODULES:
        module = importlib.import_module(f"bench.{name}")
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        if hasattr(module, "run"):
            if store is None:
                store = big_store()
                print(f"   store: {store.path.name}, {len(store.registers['policies']):,} policies, "
                      f"read in {store.read_seconds:.1f} s", flush=True)
            lines = module.run(store)
        else:
            lines = module.main()
        for line in lines:
            print(line, flush=True)
        print(f"   ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
