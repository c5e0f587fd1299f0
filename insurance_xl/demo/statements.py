"""Demo insurer statements: one per partner insurer, in three layouts, with a few real differences.

Built from a store's tables (the demo store, the sample store, any Registers.tables), so that
`insurance-xl run` can show a month-end reconciliation. Each statement lists our 本店 policies of the
insurer issued in the month, as insurers do, and plants what a clerk meets at month end: a policy we
have and they do not, one they list and we never registered, a commission 12.30 off, a commission
0.01 off (rounding), a line listed twice and a policy number mistyped (suggested by plate + premium).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from ..core.months import month_label
from ..core.reconcile import our_policies
from ..settings import Settings
from ..xlsx.properties import stamp_kind
from ..xlsx.save import save_workbook

LAYOUTS = ("picc", "pingan", "cpic")
# The cpic layout's headers cannot be guessed and its policy numbers carry a prefix: the demo
# settings hold the mapping for it (demo.CPIC_STATEMENT), as a store's settings would.
PREFIX = "BD-"


def layout_of(settings: Settings) -> dict[str, str]:
    """Partner insurer → layout, in settings order."""
    return {name: LAYOUTS[i % len(LAYOUTS)] for i, name in enumerate(settings.partners)}


def demo_statements(tables: dict[str, pd.DataFrame], settings: Settings, month: str, seed: int,
                    folder: str | Path) -> dict[str, Path]:
    """Write one statement per partner insurer for `month` into `folder`; insurer → path."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for i, (name, layout) in enumerate(layout_of(settings).items()):
        rng = np.random.default_rng([seed, i])
        lines = statement_lines(our_policies(tables["policies"], name, month), rng)
        wb = _WRITERS[layout](lines, name, settings.store, month)
        stamp_kind(wb, "statement")
        path = out / f"对账单-{name}-{month}.xlsx"
        save_workbook(wb, path, keep_backup=False)
        written[name] = path
    return written


def statement_lines(ours: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The insurer's view of our policies, with the planted differences (column `planted` says which)."""
    lines = pd.DataFrame({
        "policy_no": ours["policy_no"].to_numpy(), "plate": ours["plate"].to_numpy(),
        "issue_date": ours["issue_date"].to_numpy(),
        "compulsory_premium": ours["compulsory_premium"].fillna(0).to_numpy(),
        "commercial_premium": ours["commercial_premium"].fillna(0).to_numpy(),
        "commission": ours["commission"].fillna(0).to_numpy(), "planted": "",
    })
    lines = _insurer_lines(lines, ours).dropna(subset=["policy_no"]).reset_index(drop=True)
    if len(lines) < 6:
        return lines
    picks = rng.choice(len(lines), size=5, replace=False)
    missing, off, rounding, twice, typo = (int(p) for p in picks)
    lines.loc[off, ["commission", "planted"]] = [round(lines.loc[off, "commission"] + 12.30, 2), "手续费差12.30"]
    lines.loc[rounding, ["commission", "planted"]] = [round(lines.loc[rounding, "commission"] + 0.01, 2), "尾差0.01"]
    number = str(lines.loc[typo, "policy_no"])
    swapped = number[:-2] + number[-1] + number[-2] if number[-1] != number[-2] else number[:-1] + "0"
    lines.loc[typo, ["policy_no", "planted"]] = [swapped, "保单号录错"]
    extra = lines.loc[[twice]].assign(planted="重复列示")
    foreign = pd.DataFrame([{
        "policy_no": f"P{rng.integers(10**11, 10**12)}", "plate": "京" + "".join(rng.choice(list("ABCDEFGHJK"), 1))
        + f"{rng.integers(10000, 99999)}", "issue_date": lines["issue_date"].max(), "compulsory_premium": 950.0,
        "commercial_premium": 2800.0, "commission": 738.0, "planted": "仅保险公司",
    }])
    lines.loc[missing, "planted"] = "仅本店"
    kept = lines.drop(index=missing)
    return pd.concat([kept, extra, foreign], ignore_index=True)


def _insurer_lines(lines: pd.DataFrame, ours: pd.DataFrame) -> pd.DataFrame:
    """A register row carrying 交强险保单号 beside 保单号 is two policies: the insurer lists each on a
    line of its own (DOMAIN.md rev 2), the commission shared by premium [decision: the demo's choice]."""
    if "compulsory_policy_no" not in ours:
        return lines
    both = ours["compulsory_policy_no"].notna().to_numpy()
    if not both.any():
        return lines
    pair = lines[both]
    total = pair["compulsory_premium"] + pair["commercial_premium"]
    fee_j = (pair["commission"] * pair["compulsory_premium"] / total.where(total > 0)).fillna(0).round(2)
    compulsory = pair.assign(policy_no=ours["compulsory_policy_no"].to_numpy()[both], commercial_premium=0.0,
                             commission=fee_j)
    commercial = pair.assign(compulsory_premium=0.0, commission=(pair["commission"] - fee_j).round(2))
    order = np.r_[np.flatnonzero(~both), np.flatnonzero(both), np.flatnonzero(both) + 0.5]
    merged = pd.concat([lines[~both], compulsory, commercial], ignore_index=True)
    return merged.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def _picc(lines: pd.DataFrame, insurer: str, store: str, month: str) -> Workbook:
    """Title block, 结算期间 label, 序号 column, text amounts with thousands separators, a 合计 row."""
    wb = Workbook()
    ws = wb.active
    ws.title = "手续费清单"
    ws.append([f"{insurer} 车险代理手续费结算清单"])
    ws.merge_cells("A1:G1")
    ws.append([f"代理机构：{store}    结算期间：{month_label(month)}"])
    ws.append([])
    ws.append(["序号", "保单号码", "车牌号码", "交强险保费", "商业险保费", "代理手续费", "备注"])
    for i, row in enumerate(lines.itertuples(index=False), start=1):
        ws.append([i, f"{row.policy_no} " if i % 3 == 0 else row.policy_no, row.plate, row.compulsory_premium,
                   row.commercial_premium, f"{row.commission:,.2f}" if i % 2 else row.commission, None])
    ws.append(["合计", None, None, round(lines["compulsory_premium"].sum(), 2),
               round(lines["commercial_premium"].sum(), 2), round(lines["commission"].sum(), 2), None])
    return wb


def _pingan(lines: pd.DataFrame, insurer: str, store: str, month: str) -> Workbook:
    """Month in the title, a print date that is not the period, total premium only, lower-case
    policy numbers with spaces, ¥ amounts, the header repeated at a page break, a note at the end."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([f"{insurer}{month_label(month)}代理业务手续费明细"])
    printed = (pd.Timestamp(f"{month}-01") + pd.offsets.MonthBegin(1) + pd.Timedelta(days=2)).strftime("%Y年%m月%d日")
    ws.append([f"制表日期：{printed}"])
    header = ["保险单号", "号牌号码", "出单日期", "签单保费", "手续费金额(元)", "险种"]
    ws.append(header)
    for i, row in enumerate(lines.itertuples(index=False), start=1):
        number = str(row.policy_no).lower()
        number = f"{number[:5]} {number[5:]}" if i % 2 else number
        premium = round(row.compulsory_premium + row.commercial_premium, 2)
        ws.append([number, row.plate, pd.Timestamp(row.issue_date).strftime("%Y/%m/%d"), f"¥{premium:,.2f}",
                   f"¥{row.commission:,.2f}", "交强险+商业险" if row.commercial_premium else "交强险"])
        if i == 25:  # a page break in their system repeats the header
            ws.append(header)
    ws.append([])
    ws.append(["注：手续费已含税，请于次月10日前开具发票。"])
    return wb


def _cpic(lines: pd.DataFrame, insurer: str, store: str, month: str) -> Workbook:
    """Header on row 1, the month only in the sheet name, prefixed policy numbers, its own header words."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"{month[:4]}.{month[5:]}"
    ws.append(["单证号", "车辆号牌", "交强", "商业", "结算手续费", "渠道"])
    for row in lines.itertuples(index=False):
        ws.append([f"{PREFIX}{row.policy_no}", row.plate, row.compulsory_premium, row.commercial_premium,
                   row.commission, store])
    ws.append(["总计", None, None, None, round(lines["commission"].sum(), 2), None])
    return wb


_WRITERS = {"picc": _picc, "pingan": _pingan, "cpic": _cpic}
