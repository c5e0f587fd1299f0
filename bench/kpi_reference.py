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


def _is_own(brand, own_brands: set) -> bool:
    """DOMAIN.md rev 2: a blank brand is the own brand when the store has exactly one."""
    return brand in own_brands or (brand is None and len(own_brands) == 1)


def _periods(policies: list[dict], period_days: int) -> list[dict]:
    """DOMAIN.md "Period", the long way: per vehicle and channel, rows sorted by start; the earliest
    start not yet taken anchors a period taking every row starting within period_days of it."""
    groups = defaultdict(list)
    for i, row in enumerate(policies):
        groups[(row["id"], row["channel"])].append(i)
    periods = []
    for rows in groups.values():
        dated = sorted((policies[i]["start"], i) for i in rows if policies[i]["start"] is not None)
        current = None
        for start, i in dated:
            if current is None or start > current["start"] + dt.timedelta(days=period_days):
                current = {"start": start, "rows": []}
                periods.append(current)
            current["rows"].append(policies[i])
        for i in rows:
            if policies[i]["start"] is None:
                periods.append({"start": None, "rows": [policies[i]]})
    for period in periods:
        rows = period["rows"]
        issues = [r["issue"] for r in rows if r["issue"] is not None]
        period["issue"] = min(issues) if issues else None
        live = [r["policy_end"] for r in rows if r["cancel_date"] is None and r["policy_end"] is not None]
        period["end"] = min(live) if live else None
        period["cancelled"] = all(r["cancel_date"] is not None for r in rows)
        first = min(rows, key=lambda r: (r["start"] is None, r["start"] or dt.date.min))
        period["id"], period["own"], period["here"] = first["id"], first["own"], first["here"]
        for r in rows:
            r["period_issue"] = period["issue"]
    return periods


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
        row["own"] = _is_own(ident.brand_of(row), own_brands)
        row["here"] = row["channel"] == "本店"
        start = row["policy_start"]
        if start is None and row["policy_end"] is not None:
            start = _year_earlier(row["policy_end"])
        row["start"] = start
        row["issue"] = row["issue_date"] if row["issue_date"] is not None else start  # DOMAIN.md "Issue date"
        row["cancel_date"] = row.get("cancel_date")
        in_force_to = row["policy_end"]
        if row["cancel_date"] is not None and (in_force_to is None or row["cancel_date"] < in_force_to):
            in_force_to = row["cancel_date"]
        row["last"] = in_force_to
    periods = _periods(policies, ctx.thresholds.period_days)

    sold, base, base_ytd = set(), set(), set()
    for row in sales:
        if not _is_own(ident.brand_of(row), own_brands) or row["sale_date"] is None:
            continue
        vid = ident.of(row)
        if _in(row["sale_date"], first, last):
            sold.add(vid)
        if row["sale_date"] <= base_day:
            base.add(vid)
        if row["sale_date"] <= dec31:
            base_ytd.add(vid)

    first_new = {}
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
        if row["start"] is not None and row["last"] is not None:
            if row["start"] <= last and row["last"] >= first and row["last"] >= row["start"]:
                insured.add(row["id"])
        if _in(row["cancel_date"], first, last):
            money["refund_premium"] += Decimal(str(row.get("refund_premium") or 0))
            money["refund_commission"] += Decimal(str(row.get("refund_commission") or 0))
        issued_in_m = _in(row["issue"], first, last)
        if _in(row["issue"], jan1, last):
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
        if row["business_type"] == "新保" and row["period_issue"] is not None:
            if row["id"] not in first_new or row["period_issue"] < first_new[row["id"]]:
                first_new[row["id"]] = row["period_issue"]
        if row["business_type"] in ("续保", "转保"):
            if _in(row["period_issue"], first, last):
                renewed.add(row["id"])
            if _in(row["period_issue"], jan1, last):
                renewed_ytd.add(row["id"])
    first_insured = sum(1 for day in first_new.values() if _in(day, first, last))

    vehicle_of_archive = {}
    for row in policies:
        if row["archive_no"] is not None:
            vehicle_of_archive.setdefault(row["archive_no"], row["id"])
    gone_day = {}
    for row in _records(registers["contacts"]):
        vid = vehicle_of_archive.get(row["archive_no"])
        if row["outcome"] == "车辆已售/报废" and row["contact_date"] is not None and vid is not None:
            gone_day[vid] = min(gone_day.get(vid, row["contact_date"]), row["contact_date"])

    window = dt.timedelta(days=ctx.thresholds.period_days)
    expiring = lost = pending = gone = 0
    for period in periods:
        if not (period["own"] and period["here"] and not period["cancelled"] and _in(period["end"], first, last)):
            continue
        expiring += 1
        end = period["end"]
        successor = any(s > period["start"] + window and s <= end + grace for s in starts_here[period["id"]])
        if successor:
            continue
        if period["id"] in gone_day and gone_day[period["id"]] < end + grace:
            gone += 1
        elif ctx.as_of < end + grace:
            pending += 1
        else:
            lost += 1

    def in_force_here(vid, day) -> bool:
        return day is not None and any(
            r["here"] and r["id"] == vid and r["start"] is not None and r["last"] is not None
            and r["start"] <= day <= r["last"] for r in policies_of[vid])

    policies_of = defaultdict(list)
    for row in policies:
        policies_of[row["id"]].append(row)

    prev_first, prev_last = _month_bounds(_shift(month, -1))
    claim_vehicles, elsewhere, elsewhere_prev = set(), set(), set()
    for row in claims:
        vid = ident.of(row)
        here = in_force_here(vid, row["report_date"])  # insured here by the policy register
        if here and _in(row["report_date"], first, last):
            claim_vehicles.add(vid)
        if not here and _in(row["report_date"], first, last):
            elsewhere.add(vid)
        if not here and _in(row["report_date"], prev_first, prev_last):
            elsewhere_prev.add(vid)

    def rate(num, den):
        return None if den == 0 else num / den

    counts = {
        "sold": len(sold), "first_insured": first_insured, "retained_base": len(base), "renewed": len(renewed),
        "renewed_ytd": len(renewed_ytd), "retained_base_ytd": len(base_ytd), "expiring": expiring,
        "lost": lost, "pending": pending, "claim_vehicles": len(claim_vehicles), "insured_vehicles": len(insured),
        "non_store_claims": len(elsewhere), "non_store_claims_prev": len(elsewhere_prev), "gone": gone,
    }

    def fen(d: Decimal) -> float:
        return float(d.quantize(FEN, rounding=ROUND_HALF_EVEN))

    return {
        "month": month,
        "first_insurance_rate": rate(counts["first_insured"], counts["sold"]),
        "renewal_rate": rate(counts["renewed"], counts["retained_base"]),
        "renewal_rate_ytd": rate(counts["renewed_ytd"], counts["retained_base_ytd"]),
        "churn_rate": rate(lost, expiring - pending - gone),
        "claim_rate": rate(counts["claim_vehicles"], counts["insured_vehicles"]),
        "non_store_growth": rate(len(elsewhere) - len(elsewhere_prev), len(elsewhere_prev)),
        "counts": counts,
        **{key: fen(money[key]) for key in ("premium_compulsory", "premium_commercial", "commission",
                                             "refund_premium", "refund_commission")},
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
