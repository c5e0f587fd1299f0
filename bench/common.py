"""Shared benchmark plumbing: stores to measure on, and timing as ratios (never absolute bars).

The machine is shared and noisy, so every figure is a ratio against a baseline measured in the
same process, on the same file, a moment apart.
"""
from __future__ import annotations

import datetime as dt
import gc
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from insurance_xl.tables import Registers
from insurance_xl.reading.store import read_store
from insurance_xl.settings import Context, Settings, load_settings

DATA = Path(__file__).resolve().parent / "data"


@dataclass
class BenchStore:
    path: Path
    registers: Registers
    ctx: Context
    read_seconds: float

    @classmethod
    def from_path(cls, path: Path, settings: Settings | None = None, as_of: dt.date | None = None,
                  settings_file: Path | None = None) -> "BenchStore":
        seconds, registers = timed(lambda: read_store(path))
        settings = settings or load_settings(settings_file)
        return cls(path, registers, Context(settings, as_of or dt.date.today()), seconds)


BIG_AS_OF = dt.date(2026, 11, 24)
VEHICLES_PER_POLICY = 0.355  # demo stores hold about 2.8 policy rows per vehicle (交强险 and 商业险 apart)


def store_file(policies: int = 100_000, seed: int = 11) -> Path:
    """A demo store of about `policies` policy rows, written the clerks' way, generated on first use
    and cached in bench/data/ (100k policies take about a minute here; 1M, ten)."""
    from insurance_xl.demo.store import demo_settings, demo_tables
    from insurance_xl.demo.messy_workbook import write_messy_workbook

    import numpy as np

    path = DATA / f"store_{policies}_{seed}.xlsx"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        vehicles = max(1, round(policies * VEHICLES_PER_POLICY))
        tables = demo_tables(seed, vehicles, as_of=BIG_AS_OF)
        partial = path.with_suffix(".partial.xlsx")
        write_messy_workbook(tables, partial, np.random.default_rng(seed), store=demo_settings().store)
        partial.replace(path)
    return path


def big_store(policies: int = 100_000, seed: int = 11) -> BenchStore:
    """The demo store of store_file(), read."""
    from insurance_xl.demo.store import demo_settings

    return BenchStore.from_path(store_file(policies, seed), demo_settings(), BIG_AS_OF)


def timed(fn: Callable[[], object], repeat: int = 1) -> tuple[float, object]:
    """Best wall time of `repeat` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_memory(fn: Callable[[], object]) -> tuple[int, object]:
    """Peak bytes allocated through Python's allocator while `fn` runs (Arrow buffers included
    where pyarrow routes them through it; see bench/README.md)."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result
