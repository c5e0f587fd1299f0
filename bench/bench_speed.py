"""Issue 19: where people wait, each figure a ratio to the bare python-calamine parse of the same file.

Every command runs in a fresh process (bench/probe.py: wall time and peak RSS, Rust and Arrow
included), one after the other with the calamine parse, on the same file:
- `validate --out` on the 100k-policy store (bar ≤ 3×, peak < 1 GB);
- `kpi` twice on the unchanged store, the cache of parsed registers empty before the first
  (bars: first ≤ 1.5×, second ≤ 0.35×);
- with `million=True` (make bench-million, or `python -m bench.bench_speed --million`): `kpi` on a
  ~1M-policy store generated into bench/data/ on first use, read with raised [limits]
  (bar ≤ 1.5×, peak below the bare parse's).
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .bench_read import probe
from .common import DATA

LIMITS = "[limits]\nfile_mb = 2048\nuncompressed_mb = 16384\nsheet_cells = 200000000\n"


def _ratio(name: str, got: dict, base: dict, bar: float | None = None, memory_bar_mb: float | None = None) -> str:
    ratio = got["seconds"] / base["seconds"]
    verdict = "" if bar is None else f" (bar ≤ {bar}×: {'ok' if ratio <= bar else 'OVER'})"
    memory = f", peak {got['peak_mb']:.0f} MB"
    if memory_bar_mb is not None:
        memory += f" (bar < {memory_bar_mb:.0f} MB: {'ok' if got['peak_mb'] < memory_bar_mb else 'OVER'})"
    return f"  {name}: {ratio:.2f}× the bare parse ({got['seconds']:.1f} s){verdict}{memory}"


def measure(path: Path, *, validate_out: bool = True, settings: Path | None = None,
            memory_bar_mb: float | None = 1024) -> list[str]:
    cache = DATA / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    os.environ["INSURANCE_XL_CACHE_DIR"] = str(cache)
    if settings is not None:
        os.environ["BENCH_SETTINGS"] = str(settings)
    try:
        base = probe("calamine", path)
        lines = [f"{path.name}: bare calamine parse {base['seconds']:.1f} s, peak {base['peak_mb']:.0f} MB"]
        if validate_out:
            lines.append(_ratio("validate --out", probe("validate_out", path), base, 3.0, memory_bar_mb))
        first = probe("kpi", path)
        second = probe("kpi", path)
        again = probe("calamine", path)  # the machine is shared: a second baseline shows the drift
        lines.append(_ratio("kpi, first (cache empty)", first, base, 1.5, memory_bar_mb or base["peak_mb"]))
        lines.append(_ratio("kpi, second (unchanged file)", second, base, 0.35))
        lines.append(f"  (bare parse again after: {again['seconds']:.1f} s, {again['seconds'] / base['seconds']:.2f}× the first)")
        return lines
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        os.environ.pop("BENCH_SETTINGS", None)
        os.environ.pop("INSURANCE_XL_CACHE_DIR", None)


def small_workbook(vehicles: int = 10, repeat: int = 15) -> list[str]:
    """A clerk's small workbook (nine registers, a few dozen rows each) read without the cache: the
    suite and every button read files like it, where pandas' fixed cost per call, not the rows,
    is the price (bar: well under 0.1 s). Best CPU time of `repeat` reads, in this process."""
    import time

    import numpy as np
    from python_calamine import CalamineWorkbook

    from insurance_xl.demo.messy_workbook import write_messy_workbook
    from insurance_xl.demo.store import demo_tables
    from insurance_xl.reading import cache
    from insurance_xl.reading.store import read_store

    from .common import BIG_AS_OF

    path = DATA / f"store_small_{vehicles}.xlsx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_messy_workbook(demo_tables(11, vehicles, as_of=BIG_AS_OF), path, np.random.default_rng(11))

    def best(fn) -> float:
        times = []
        for _ in range(repeat):
            start = time.process_time()
            fn()
            times.append(time.process_time() - start)
        return min(times)

    def bare() -> None:
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            book.get_sheet_by_name(name).to_python()

    cache.set_enabled(False)
    try:
        read_store(path)  # imports and first-call costs out of the figure
        ours, base = best(lambda: read_store(path)), best(bare)
    finally:
        cache.set_enabled(True)
    rows = sum(len(t) for t in read_store(path).tables.values())
    verdict = "ok" if ours < 0.1 else "OVER"
    return [f"{path.name} ({rows} rows): read {ours * 1000:.0f} ms CPU (bar < 100 ms: {verdict}), "
            f"bare calamine parse {base * 1000:.1f} ms"]


def limits_file() -> Path:
    settings = DATA / "limits.toml"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(LIMITS, encoding="utf-8")
    return settings


def million_store() -> Path:
    """The ~1M-policy store (3.4M rows over nine registers, 248 MB; the policies and the renewal log
    each over two sheets), generated on first use (about 7 minutes) with the raised [limits] (the
    writer checks what it wrote with the same reading checks)."""
    from insurance_xl.settings import file_limits
    from insurance_xl.xlsx import safety

    from .common import store_file

    safety.configure(file_limits(limits_file()))
    return store_file(1_000_000)


def main(million: bool = False) -> list[str]:
    from .common import store_file

    lines = small_workbook() + measure(store_file())
    if million:
        store = million_store()
        lines += measure(store, validate_out=False, settings=limits_file(), memory_bar_mb=None)
    return lines


if __name__ == "__main__":  # python -m bench.bench_speed [--million]
    print("\n".join(main("--million" in sys.argv)))
