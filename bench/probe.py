"""Run one reader on one file in a fresh process; print seconds and peak RSS as JSON.

A fresh process per measurement gives each reader its own peak-memory figure (Rust and Arrow
allocations included, which tracemalloc cannot see).
"""
from __future__ import annotations

import json
import resource
import sys
import time


def _ours(path: str) -> int:
    from insurance_xl.reading.store import read_store

    return len(read_store(path)["policies"])


def _calamine(path: str) -> int:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(path)
    return sum(len(wb.get_sheet_by_name(n).to_python()) for n in wb.sheet_names)


def _pandas_openpyxl(path: str) -> int:
    import pandas as pd

    return sum(len(f) for f in pd.read_excel(path, sheet_name=None, engine="openpyxl", header=None).values())


READERS = {"ours": _ours, "calamine": _calamine, "pandas_openpyxl": _pandas_openpyxl}


def main(reader: str, path: str) -> None:
    fn = READERS[reader]
    import pandas  # noqa: F401  imports are not what we measure
    import fastexcel  # noqa: F401
    import python_calamine  # noqa: F401

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    rows = fn(path)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"reader": reader, "rows": rows, "seconds": seconds, "peak_mb": peak / 1024,
                      "added_mb": (peak - base) / 1024}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
