"""Issue 7 bar: a 10k-line statement against a 100k-policy store reconciles in under 1 s after reading.

The statement is built from the store itself: the insurer and month with the most 本店 policies, a few
of them dropped, amounts changed and lines duplicated, then filled up to 10k lines with policies of
other months and insurers (they land in only_theirs and exercise the register-wide hint lookup) and
foreign numbers. Beside the time: a bare pandas merge of the same two frames on the policy number,
measured in the same process (the floor any reconciliation pays), and the time the store took to read.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from insurance_xl.core.reconcile import our_policies, reconcile

from .common import BenchStore, timed

STATEMENT_LINES = 10_000


def busiest_month(policies: pd.DataFrame) -> tuple[str, str]:
    own = policies[(policies["channel"] == "本店") & policies["issue_date"].notna()]
    counts = own.groupby([own["insurer"], own["issue_date"].dt.strftime("%Y-%m")]).size()
    insurer, month = counts.idxmax()
    return str(insurer), str(month)


def statement_for(policies: pd.DataFrame, insurer: str, month: str, lines: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ours = our_policies(policies, insurer, month)
    cols = ["policy_no", "plate", "compulsory_premium", "commercial_premium", "commission"]
    base = ours[cols].sample(frac=0.98, random_state=seed)  # 2 % only ours
    changed = rng.random(len(base)) < 0.03
    base.loc[changed, "commission"] = base.loc[changed, "commission"] + 12.30
    twice = base.sample(frac=0.01, random_state=seed)
    others = policies[policies["policy_no"].notna() & ~policies.index.isin(ours.index)]
    fill = max(0, lines - len(base) - len(twice))
    borrowed = others[cols].sample(n=min(fill, len(others)), random_state=seed)
    foreign_n = fill - len(borrowed)
    foreign = pd.DataFrame({"policy_no": [f"X{i:012d}" for i in range(foreign_n)], "plate": "京Z00000",
                            "compulsory_premium": 950.0, "commercial_premium": 3000.0, "commission": 788.0})
    frame = pd.concat([base, twice, borrowed, foreign], ignore_index=True)
    frame["policy_no"] = frame["policy_no"].astype("str").str.lower()  # the insurer's own spelling
    frame["premium"] = np.nan
    frame["_workbook"], frame["_sheet"], frame["_row"] = "statement.xlsx", "清单", np.arange(5, 5 + len(frame))
    return frame.astype({"policy_no": "str", "plate": "str"})


def run(store: BenchStore) -> list[str]:
    policies = store.registers["policies"]
    insurer, month = busiest_month(policies)
    lines = statement_for(policies, insurer, month, STATEMENT_LINES)
    fields = ("policy_no", "plate", "compulsory_premium", "commercial_premium", "commission")
    seconds, rec = timed(lambda: reconcile(policies, lines, insurer, month, store.ctx, statement_fields=fields),
                         repeat=3)
    merge_seconds, _ = timed(lambda: our_policies(policies, insurer, month).merge(
        lines, on="policy_no", how="outer"), repeat=3)
    totals = rec.totals
    return [
        f"reconcile {insurer} {month}: {totals['ours']['lines']} of ours vs {len(lines)} statement lines, "
        f"{len(policies)} policies in the store",
        f"  {seconds:.3f} s (bar < 1 s) = {seconds / merge_seconds:.1f}x a bare outer merge ({merge_seconds:.3f} s), "
        f"{seconds / store.read_seconds:.2f}x reading the store ({store.read_seconds:.1f} s)",
        f"  matched {len(rec.matched)}, differences {len(rec.differences)}, only ours {len(rec.only_ours)}, "
        f"only theirs {len(rec.only_theirs)} ({int((rec.only_theirs['hint'] != '').sum())} found elsewhere in the "
        f"register), duplicates {len(rec.duplicates)}",
    ]


def main() -> list[str]:
    from .common import big_store

    return run(big_store())


if __name__ == "__main__":
    import sys

    if len(sys.argv) > 1:  # python -m bench.bench_reconcile STORE.xlsx
        print("\n".join(run(BenchStore.from_path(Path(sys.argv[1]), as_of=dt.date(2026, 11, 24)))))
    else:
        print("\n".join(main()))
