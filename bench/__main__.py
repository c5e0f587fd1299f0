"""make bench: every benchmark, figures as ratios measured in this one run."""
from __future__ import annotations

import importlib
import sys
import time


MODULES = ("bench_read",)  # each module: main() -> printable lines


def main(names: list[str]) -> None:
    for name in names or MODULES:
        module = importlib.import_module(f"bench.{name}")
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        for line in module.main():
            print(line, flush=True)
        print(f"   ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

