"""DOMAIN.md revision 2: both register shapes give one answer. Splitting any combined row into a
交强险 row and a 商业险 row (numbers, premiums and commission split) never changes a KPI, a call
or overdue list, a validation error, or a reconciliation outcome (property test)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from insurance_xl.core.claims import flags_json, money_flags
from insurance_xl.core.kpi import monthly_kpis
from insurance_xl.core.reconcile import reconcile
from insurance_xl.core.renewals import call_lists
from insurance_xl.core.validation.validate import validate
from insurance_xl.settings import Context, Insurer, Settings
from insurance_xl.tables import registers_from_tables, table_from_records

AS_OF = dt.date(2026, 11, 24)
CTX = Context(Settings(store="测试店", own_brands=["斯巴鲁"], insurers={"人保财险": Insurer(name="人保财险")}), AS_OF)
MONTHS = ("2026-09", "2026-10", "2026-11")
DAY0 = dt.date(2024, 6, 1)


def _day(offset: int) -> str:
    return (DAY0 + dt.timedelta(days=offset)).isoformat()


@st.composite
def stores(draw):
    """A few cars, each with consecutive one-year periods (本店 or 他处), claims and contacts; which
    本店 rows are kept as two rows, and how the statement of 2026-10 differs."""
    sales, rows, claims, contacts = [], [], [], []
    for car in range(draw(st.integers(1, 6))):
        vin, plate, archive = f"LSVAB2CD3EF4{car:05d}", f"京A{car:04d}", f"DA{car:03d}"
        sold = draw(st.integers(0, 700))
        sales.append({"vin": vin, "plate": plate, "brand": draw(st.sampled_from(["斯巴鲁", "斯巴鲁", None, "丰田"])),
                      "sale_date": _day(sold)})
        start = sold + draw(st.integers(0, 20))
        for n in range(draw(st.integers(1, 3))):
            here = draw(st.booleans()) or n == 0
            end = (dt.date.fromisoformat(_day(start)).replace(year=int(_day(start)[:4]) + 1)
                   - dt.timedelta(days=1) - DAY0).days
            compulsory = draw(st.sampled_from([665.0, 950.0, 1100.0]))
            commercial = draw(st.integers(2000, 9000)) + 0.5 * draw(st.integers(0, 1))
            cancel = draw(st.sampled_from([None, None, None, start + 100]))
            rows.append({
                "archive_no": archive, "customer": "张三", "phone": "13800000000", "vin": vin, "plate": plate,
                "brand": None, "policy_no": f"P{car:03d}{n}" if here else None,
                "compulsory_policy_no": f"PZ{car:03d}{n}" if here else None,
                "insurer": "人保财险", "channel": "本店" if here else "他处",
                "business_type": "新保" if n == 0 else draw(st.sampled_from(["续保", "转保"])),
                "coverages": "交强险+三者险+车损险", "issue_date": _day(start - draw(st.integers(0, 3))),
                "policy_start": _day(start), "policy_end": _day(end),
                "compulsory_premium": compulsory, "commercial_premium": commercial,
                "commission": round(compulsory * 0.04 + commercial * 0.25, 2), "clerk": draw(st.sampled_from(["周敏", "吴静"])),
                "cancel_date": None if cancel is None else _day(cancel),
                "refund_premium": None if cancel is None else 1000.0,
                "refund_commission": None if cancel is None else 250.0,
                "_split": draw(st.booleans()), "_theirs": draw(st.sampled_from(["same", "same", "more", "missing"])),
            })
            start = end + 1 + draw(st.integers(0, 45))
        for k in range(draw(st.integers(0, 2))):
            claims.append({"claim_no": f"BA{car:03d}{k}", "plate": plate, "report_date": _day(draw(st.integers(0, 905))),
                           "insured_here": draw(st.sampled_from([True, False, None]))})
        if draw(st.booleans()):
            contacts.append({"archive_no": archive, "contact_date": _day(draw(st.integers(700, 905))),
                             "method": draw(st.sampled_from(["短信", "电话"])),
                             "outcome": draw(st.sampled_from(["车辆已售/报废", "考虑中", "已在他处投保", "已续保"]))})
    return sales, rows, claims, contacts


def split_row(row: dict) -> list[dict]:
    """The row as the insurer issues it: a 交强险 row (its number, premium, commission) and a 商业险 row."""
    fee_c = round(row["compulsory_premium"] * 0.04, 2)
    compulsory = {**row, "policy_no": row["compulsory_policy_no"], "compulsory_policy_no": None,
                  "commercial_premium": None, "commission": fee_c, "coverages": "交强险",
                  "refund_premium": None, "refund_commission": None}  # cancelled with the row; the refund on one
    commercial = {**row, "compulsory_policy_no": None, "compulsory_premium": None,
                  "commission": round(row["commission"] - fee_c, 2), "coverages": "三者险+车损险"}
    return [compulsory, commercial]


def shaped(rows: list[dict], split: bool) -> list[dict]:
    out = []
    for row in rows:
        out += split_row(row) if split and row["_split"] and row["channel"] == "本店" else [row]
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in out]


def statement(rows: list[dict]) -> pd.DataFrame:
    """人保财险's lines for 2026-10, one per policy: 交强险 and 商业险 apart, as insurers list them."""
    lines = []
    for row in rows:
        if row["channel"] != "本店" or not row["issue_date"].startswith("2026-10") or row["_theirs"] == "missing":
            continue
        for part in split_row(row):
            extra = 100.0 if row["_theirs"] == "more" and part["compulsory_premium"] is None else 0.0
            lines.append({"policy_no": part["policy_no"], "plate": part["plate"],
                          "compulsory_premium": part["compulsory_premium"] or 0.0,
                          "commercial_premium": (part["commercial_premium"] or 0.0) + extra,
                          "commission": part["commission"]})
    lines.append({"policy_no": "P999999", "plate": "京Z9999", "compulsory_premium": 950.0, "commercial_premium": 0.0,
                  "commission": 38.0})
    frame = pd.DataFrame(lines)
    frame["premium"] = np.nan
    frame["_workbook"], frame["_sheet"], frame["_row"] = "statement.xlsx", "清单", range(5, 5 + len(frame))
    return frame.astype({"policy_no": "str", "plate": "str"})


def twin(number) -> str:
    return "P" + number[2:] if isinstance(number, str) and number.startswith("PZ") else number


def outcomes(rec) -> dict:
    differences = {twin(k) for k in rec.differences["key"]}
    return {"differences": differences, "only_ours": {twin(k) for k in rec.only_ours["key"]},
            "only_theirs": {twin(k) for k in rec.only_theirs["key"]},
            "matched": {twin(k) for k in rec.matched["key"]} - differences,
            "totals": {side: {f: v for f, v in t.items() if f != "lines"} for side, t in rec.totals.items()}}


def answers(sales, rows, claims, contacts, split: bool) -> dict:
    registers = registers_from_tables({
        "sales": table_from_records("sales", sales), "policies": table_from_records("policies", shaped(rows, split)),
        "claims": table_from_records("claims", claims), "contacts": table_from_records("contacts", contacts)})
    lists = call_lists(registers, CTX)
    findings = validate(registers, CTX).findings
    return {
        "kpi": {m: monthly_kpis(registers, CTX, m).to_json() for m in MONTHS},
        "sms": sorted(lists.sms["archive_no"]), "phone": sorted(lists.phone["archive_no"]),
        "overdue": flags_json(money_flags(registers, CTX)),
        "claim_errors": sorted((f.location.row, f.rule) for f in findings if f.register != "policies" and f.is_error),
        "reconcile": outcomes(reconcile(registers["policies"], statement(rows), "人保财险", "2026-10", CTX)),
    }


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(stores())
def test_splitting_combined_rows_changes_no_kpi_list_or_reconciliation(store):
    sales, rows, claims, contacts = store
    assert answers(sales, rows, claims, contacts, split=True) == answers(sales, rows, claims, contacts, split=False)
