"""Validation time as a ratio to the time it takes to read the store (issue 4: within 3× on 100k policies).

Also the integrity stamp (reading the cell texts and hashing them), which `validate --out` and
`--verify` add, as a ratio to the same read time. Run: `python -m bench.bench_validate [STORE [SETTINGS]]`;
`main()` (for `make bench`) measures the shared 100k-policy store (bench/common.big_store).
"""
from __future__ import annotations

import sys
from pathlib import Path

from bench.common import BenchStore, timed
from insurance_xl.writing.integrity import make_stamp, workbook_cells
from insurance_xl.reading.store import load_sheet_grids
from insurance_xl.core.validation.validate import validate

BAR = 3.0  # validation within 3× the read time


def run(store: BenchStore) -> list[str]:
    rows = {key: len(table) for key, table in store.registers.tables.items() if len(table)}
    seconds, validation = timed(lambda: validate(store.registers, store.ctx), repeat=3)
    ratio = seconds / store.read_seconds
    lines = [
        f"validate: {rows.get('policies', 0):,} policies, {sum(rows.values()):,} rows, "
        f"{validation.errors:,} errors, {validation.warnings:,} warnings",
        f"validate: {ratio:.2f}× the read time ({seconds:.2f} s vs read {store.read_seconds:.2f} s; "
        f"bar {BAR:.0f}×: {'ok' if ratio <= BAR else 'OVER'})",
    ]
    if store.path.is_file():
        sheets = [lay.sheet for lay in store.registers.layouts]

        def stamp() -> object:
            cells = workbook_cells(load_sheet_grids(store.path), sheets)
            return make_stamp(cells, validated_at="", ruleset="", as_of="", errors=0, warnings=0)

        stamp_seconds, _ = timed(stamp)
        lines.append(f"integrity stamp (read cell texts + hash): {stamp_seconds / store.read_seconds:.2f}× the read time "
                     f"({stamp_seconds:.2f} s)")
    return lines


def main() -> list[str]:
    """make bench: the shared 100k-policy store."""
    from bench.common import big_store

    return run(big_store())


if __name__ == "__main__":  # python -m bench.bench_validate [STORE [SETTINGS.toml]]
    if len(sys.argv) > 1:
        store = BenchStore.from_path(Path(sys.argv[1]), settings_file=Path(sys.argv[2]) if len(sys.argv) > 2 else None)
        print("\n".join(run(store)))
    else:
        print("\n".join(main()))
