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

from insurance_xl.model import Registers
from insurance_xl.read import read_store
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
