"""Run one reader on one file in a fresh process; print seconds and peak RSS as JSON.

A fresh process per measurement gives each reader its own peak-memory figure (Rust and Arrow
allocations included, which tracemalloc cannot see).
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time


def _ours(path: str) -> int:
    from insurance_xl.reading import cache
    from insurance_xl.reading.store import read_store

    cache.set_enabled(False)  # the parse is what this compares with calamine's

    return len(read_store(path)["policies"])


def _calamine(path: str) -> int:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(path)
    return sum(len(wb.get_sheet_by_name(n).to_python()) for n in wb.sheet_names)


def _pandas_openpyxl(path: str) -> int:
    import pandas as pd

    return sum(len(f) for f in pd.read_excel(path, sheet_name=None, engine="openpyxl", header=None).values())


def _command(*argv: str):
    """A command of the CLI on the file, as a clerk runs it (output to a scratch folder)."""
    def run(path: str) -> int:
        import contextlib
        import io
        import tempfile

        from insurance_xl.cli import main

        with tempfile.TemporaryDirectory() as scratch, contextlib.redirect_stdout(io.StringIO()):
            args = [a.format(path=path, out=f"{scratch}/validated.xlsx") for a in argv]
            if os.environ.get("BENCH_SETTINGS"):  # raised [limits] for the million-policy store
                args += ["--settings", os.environ["BENCH_SETTINGS"]]
            return main(args)
    return run


READERS = {"ours": _ours, "calamine": _calamine, "pandas_openpyxl": _pandas_openpyxl,
           "validate_out": _command("validate", "{path}", "--as-of", "2026-11-24", "--out", "{out}"),
           "validate_out_openpyxl": _command("validate", "{path}", "--as-of", "2026-11-24", "--out", "{out}"),
           "kpi": _command("kpi", "{path}", "--as-of", "2026-11-24", "--month", "2026-10", "--json"),
           "kpi_no_cache": _command("kpi", "{path}", "--as-of", "2026-11-24", "--month", "2026-10", "--json", "--no-cache")}


def _peak_kb() -> int:
    """This process's peak resident memory, in KB. Linux's ru_maxrss survives exec: a probe started by
    a parent that had just generated a big store reported the parent's peak. VmHWM belongs to the
    process's own memory map, so it starts afresh."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(reader: str, path: str) -> None:
    fn = READERS[reader]
    if reader == "validate_out_openpyxl":  # the writer before issue 19, for comparison
        import insurance_xl.writing.validated_book as book
        from insurance_xl.xlsx.style_edit import Unsupported

        def refuse(*args, **kwargs):
            raise Unsupported("measuring the openpyxl writer")
        book.write_validated_package = refuse
    import pandas  # noqa: F401  imports are not what we measure (for either side)
    import fastexcel  # noqa: F401
    import python_calamine  # noqa: F401
    import insurance_xl.cli  # noqa: F401  every command's modules, as python_calamine's above

    base = _peak_kb()
    start = time.perf_counter()
    rows = fn(path)
    seconds = time.perf_counter() - start
    peak = _peak_kb()
    print(json.dumps({"reader": reader, "rows": rows, "seconds": seconds, "peak_mb": peak / 1024,
                      "added_mb": (peak - base) / 1024}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
