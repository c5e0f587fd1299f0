"""KPI computation after reading: kpi.py against the row-by-row reference (bench/kpi_reference.py).

Bar (issue 5): on 100k policies, monthly_kpis under 0.5 s and at least 10× faster than the
reference, the two agreeing exactly. monthly_kpis includes the 14-month history (trend, last month,
same month last year), so the ratio also shows what the one-pass trend costs next to one month of
the reference.
"""
from __future__ import annotations

import sys
from pathlib import Path

from insurance_xl.core.kpi import monthly_kpis
from insurance_xl.core.months import previous_month

try:
    from .common import BenchStore, timed
    from .kpi_reference import reference_kpis
except ImportError:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.common import BenchStore, timed
    from bench.kpi_reference import reference_kpis


def run(store: BenchStore, month: str | None = None) -> list[str]:
    month = month or previous_month(store.ctx.as_of)
    registers, ctx = store.registers, store.ctx
    fast, result = timed(lambda: monthly_kpis(registers, ctx, month), repeat=3)
    slow, reference = timed(lambda: reference_kpis(registers, ctx, month))
    payload = result.to_json()
    agree = payload == {key: reference[key] for key in payload}
    policies = len(registers["policies"])
    return [
        f"kpi {month} on {policies:,} policies (read {store.read_seconds:.2f} s, not counted)",
        f"  monthly_kpis (with 14-month history): {fast:.3f} s",
        f"  row-by-row reference (one month):     {slow:.3f} s  → {slow / fast:.1f}× faster",
        f"  agree exactly: {'yes' if agree else 'NO'}",
    ]


if __name__ == "__main__":  # python bench/bench_kpi.py STORE [SETTINGS.toml] [AS_OF] [MONTH]
    import datetime as dt

    args = sys.argv[1:]
    bench_store = BenchStore.from_path(Path(args[0]), settings_file=Path(args[1]) if len(args) > 1 else None,
                                       as_of=dt.date.fromisoformat(args[2]) if len(args) > 2 else None)
    print("\n".join(run(bench_store, args[3] if len(args) > 3 else None)))
