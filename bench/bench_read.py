"""Issue 3 bar: reading a 100k-row policies sheet with full parsing costs at most 2.5× bare
python-calamine to_python() on the same file, at least 5× less than pandas.read_excel(openpyxl),
and peaks under 1 GB. Each reader runs in a fresh process, one after the other, same file."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from .read_data import policies_file


def probe(reader: str, path) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.probe", reader, str(path)], check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(rows: int, with_openpyxl: bool = True, repeat: int = 2) -> list[str]:
    path = policies_file(rows)
    best: dict[str, dict] = {}
    for _ in range(repeat):
        for reader in ("calamine", "ours"):
            got = probe(reader, path)
            if reader not in best or got["seconds"] < best[reader]["seconds"]:
                best[reader] = got
    if with_openpyxl:
        best["pandas_openpyxl"] = probe("pandas_openpyxl", path)
    ours, cal = best["ours"], best["calamine"]
    lines = [f"read {rows:>7} policies: ours {ours['seconds']:.2f} s (peak {ours['peak_mb']:.0f} MB), "
             f"calamine to_python {cal['seconds']:.2f} s (peak {cal['peak_mb']:.0f} MB)",
             f"  ours / calamine = {ours['seconds'] / cal['seconds']:.2f}x (bar ≤ 2.5x)"]
    if "pandas_openpyxl" in best:
        opx = best["pandas_openpyxl"]
        lines.append(f"  pandas+openpyxl {opx['seconds']:.2f} s: {opx['seconds'] / ours['seconds']:.1f}x slower than ours "
                     f"(bar ≥ 5x)")
    lines.append(f"  ours peak RSS {ours['peak_mb']:.0f} MB (bar < 1024 MB)")
    return lines


def main() -> list[str]:
    return measure(10_000) + measure(100_000)
