"""The KPIs of DOMAIN.md written the straightforward way: Python loops over rows, sets and dicts.

This is the yardstick for insurance_xl/kpi.py: it shares no code with it (vehicle identity is
redone here from the DOMAIN.md wording) so the two agreeing is evidence, and bench_kpi.py measures
how much faster the vectorised version is. Money is summed with Decimal and rounded to the fen.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal

import pandas as pd

from insurance_xl.tables import Registers
from insurance_xl.settings import Context

FEN = Decimal("0.01")


def _value(x):
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, float) and x != x:
        return None
    if isinstance(x, pd.Timestamp):
        return x.date()
    return x


def _records(table: pd.DataFrame) -> list[dict]:
    return [{k: _value(v) for k, v in row.items()} for row in table.to_dict("records")]


def _year_earlier(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _month_bounds(month: str) -> tuple[dt.date, dt.date]:
    year, mon = int(month[:4]), int(month[5:7])
    first = dt.date(year, mon, 1)
    nxt = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def _shift(month: str, by: int) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    n = year * 12 + mon - 1 + by
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def _in(day, first, last) -> bool:
    return day is not None and first <= day <= last


class Identity:
    """A vehicle is its VIN; else its plate's VIN (latest row with both, sales last); else its plate."""

    def __init__(self, policies: list[dict], sales: list[dict]):
        low = dt.date.min
        by_start = sorted(policies, key=lambda r: (r["policy_start"] is not None, r["policy_start"] or low))
        by_sale = sorted(sales, key=lambda r: (r["sale_date"] is not None, r["sale_date"] or low))
        self.plate_vin = {}
        for row in by_start + by_sale:
            if row["plate"] is not None and row["vin"] is not None:
                self.plate_vin[row["plate"]] = row["vin"]
        self.brand = {}
        for row in by_start + by_sale:
            if row["brand"] is not None:
                self.brand[self.of(row)] = row["brand"]

    def of(self, row: dict) -> str:
        if row.get("vin") is not None:
            return row["vin"]
        plate = row.get("plate")
        if plate is not None:
            return self.plate_vin.get(plate, "PLATE:" + plate)
        return f"ROW:{row['_workbook']}!{row['_sheet']}!{row['_row']}"

    def brand_of(self, row: dict) -> str | None:
        return row["brand"] if row.get("brand") is not None else self.brand.get(self.of(row))


def reference_kpis(registers: Registers, ctx: Context, month: str) -> dict:
    """The `kpi --json` object plus commission_ytd, by_insurer, by_clerk and failures (plain dicts)."""
    policies = _records(registers["policies"])
    sales = _records(registers["sales"])
    claims = _records(registers["claims"])
    ident = Identity(policies, sales)
    own_brands = set(ctx.settings.own_brands)
    grace = dt.timedelta(days=ctx.thresholds.grace_days)
    first, last = _month_bounds(month)
    base_day = _month_bounds(_shift(month, -12))[1]
    jan1, dec31 = dt.date(first.year, 1, 1), dt.date(first.year - 1, 12, 31)

    for row in policies:
        row["id"] = ident.of(row)
        row["own"] = ident.brand_of(row) in own_brands
        row["here"] = row["channel"] == "本店"
        start = row["policy_start"]
        if start is None and row["policy_end"] is not None:
            start = _year_earlier(row["policy_end"])
        row["start"] = start

    sold, base, base_ytd = set(), set(), set()
    for row in sales:
        if ident.brand_of(row) not in own_brands or row["sale_date"] is None:
            continue
        vid = ident.of(row)
        if _in(row["sale_date"], first, last):
            sold.add(vid)
        if row["sale_date"] <= base_day:
            base.add(vid)
        if row["sale_date"] <= dec31:
            base_ytd.add(vid)

    first_insured = 0
    renewed, renewed_ytd, insured = set(), set(), set()
    starts_here = defaultdict(list)
    money = defaultdict(Decimal)
    commission_ytd = Decimal(0)
    by = {"insurer": {}, "clerk": {}}
    for row in policies:
        if not row["here"]:
            continue
        if row["start"] is not None:
            starts_here[row["id"]].append(row["start"])
        if row["start"] is not None and row["policy_end"] is not None:
            if row["start"] <= last and row["policy_end"] >= first:
                insured.add(row["id"])
        issued_in_m = _in(row["issue_date"], first, last)
        if _in(row["issue_date"], jan1, last):
            commission_ytd += Decimal(str(row["commission"] or 0))
        if issued_in_m:
            for key, col in (("premium_compulsory", "compulsory_premium"),
                             ("premium_commercial", "commercial_premium"), ("commission", "commission")):
                money[key] += Decimal(str(row[col] or 0))
            for dim in by:
                name = row[dim] if row[dim] is not None else "未填写"
                item = by[dim].setdefault(name, {"policies": 0, "new": 0, "renewal": 0, "premium": Decimal(0),
                                                 "commission": Decimal(0)})
                item["policies"] += 1
                item["new"] += row["business_type"] == "新保"
                item["renewal"] += row["business_type"] in ("续保", "转保")
                item["premium"] += Decimal(str(row["compulsory_premium"] or 0)) + \
                    Decimal(str(row["commercial_premium"] or 0))
                item["commission"] += Decimal(str(row["commission"] or 0))
        if not row["own"]:
            continue
        if row["business_type"] == "新保" and issued_in_m:
            first_insured += 1
        if row["business_type"] in ("续保", "转保"):
            if issued_in_m:
                renewed.add(row["id"])
            if _in(row["issue_date"], jan1, last):
                renewed_ytd.add(row["id"])

    expiring = lost = pending = 0
    for row in policies:
        if not (row["own"] and row["here"] and _in(row["policy_end"], first, last)):
            continue
        expiring += 1
        end = row["policy_end"]
        successor = any(s > row["start"] and s <= end + grace for s in starts_here[row["id"]])
        if successor:
            continue
        if ctx.as_of < end + grace:
            pending += 1
        else:
            lost += 1

    prev_first, prev_last = _month_bounds(_shift(month, -1))
    claim_vehicles, elsewhere, elsewhere_prev = set(), set(), set()
    for row in claims:
        vid = ident.of(row)
        if row["insured_here"] is True and _in(row["report_date"], first, last):
            claim_vehicles.add(vid)
        if row["insured_here"] is False and _in(row["report_date"], first, last):
            elsewhere.add(vid)
        if row["insured_here"] is False and _in(row["report_date"], prev_first, prev_last):
            elsewhere_prev.add(vid)

    def rate(num, den):
        return None if den == 0 else num / den

    counts = {
        "sold": len(sold), "first_insured": first_insured, "retained_base": len(base), "renewed": len(renewed),
        "renewed_ytd": len(renewed_ytd), "retained_base_ytd": len(base_ytd), "expiring": expiring,
        "lost": lost, "pending": pending, "claim_vehicles": len(claim_vehicles), "insured_vehicles": len(insured),
        "non_store_claims": len(elsewhere), "non_store_claims_prev": len(elsewhere_prev),
    }

    def fen(d: Decimal) -> float:
        return float(d.quantize(FEN, rounding=ROUND_HALF_EVEN))

    return {
        "month": month,
        "first_insurance_rate": rate(counts["first_insured"], counts["sold"]),
        "renewal_rate": rate(counts["renewed"], counts["retained_base"]),
        "renewal_rate_ytd": rate(counts["renewed_ytd"], counts["retained_base_ytd"]),
        "churn_rate": rate(lost, expiring - pending),
        "claim_rate": rate(counts["claim_vehicles"], counts["insured_vehicles"]),
        "non_store_growth": rate(len(elsewhere) - len(elsewhere_prev), len(elsewhere_prev)),
        "counts": counts,
        **{key: fen(money[key]) for key in ("premium_compulsory", "premium_commercial", "commission")},
        "commission_ytd": fen(commission_ytd),
        **{f"by_{dim}": {name: {k: (fen(v) if isinstance(v, Decimal) else v) for k, v in item.items()}
                         for name, item in by[dim].items()} for dim in by},
        "failures": _failures(_records(registers["contacts"]), first, last),
    }


def _failures(contacts: list[dict], first: dt.date, last: dt.date) -> dict[str, int]:
    latest: dict[str, dict] = {}
    for row in contacts:
        if not _in(row["contact_date"], first, last):
            continue
        if row["failure_reason"] is None and row["outcome"] not in ("已在他处投保", "拒绝"):
            continue
        held = latest.get(row["archive_no"])
        if held is None or row["contact_date"] >= held["contact_date"]:
            latest[row["archive_no"]] = row
    counts: dict[str, int] = defaultdict(int)
    for row in latest.values():
        counts[row["failure_reason"] or "未注明"] += 1
    return dict(counts)
