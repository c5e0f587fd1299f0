"""A reconciliation as JSON, as readable lines, and as the workbook both parties sign (§4.6).

The workbook has a summary, one sheet per outcome, and the 月度业务明细清单: every line of both
sides with its totals (SUM formulas that recalculate to the core's totals) and the signature lines
of both parties (双方业务人员签字并加盖业务专用章), set up to print on A4 landscape. No customer
name or phone goes into it: it is handed to the insurer.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..core.reconcile import OURS, THEIRS, Reconciliation
from ..reading.statements import FIELD_LABELS, Statement
from .sheet import BORDER, DATE_FORMAT, MONEY_FORMAT, OutColumn, fit_widths, put, write_frame, write_title, print_ready
from ..core.money import yuan
from ..registers import ROW

OUTCOMES = ("matched", "differences", "only_ours", "only_theirs", "duplicates", "suggested")
OUTCOME_LABELS = {"matched": "一致", "differences": "金额差异", "only_ours": "仅本店", "only_theirs": "仅保险公司",
                  "duplicates": "重复行", "suggested": "建议匹配"}
SIDE_LABELS = {OURS: "本店", THEIRS: "保险公司"}
DETAIL_SHEET = "月度业务明细清单"
SIGN_NOTE = "双方业务人员签字并加盖业务专用章"


def _rows(text: object) -> list[int]:
    return [int(p) for p in str(text).split("、") if p.strip().isdigit()] if isinstance(text, str) else []


def _date(value: object) -> str | None:
    return value.strftime("%Y-%m-%d") if isinstance(value, pd.Timestamp) and not pd.isna(value) else None


def _text(value: object) -> str | None:
    return None if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) else str(value)


# ---- JSON ---------------------------------------------------------------------------------------

def reconciliation_json(rec: Reconciliation, statement: Statement, lock: Mapping[str, object] | None = None) -> dict:
    """The `reconcile --json` object: the ARCHITECTURE.md keys first, then what explains them."""
    f = rec.fields

    def amounts(row: Mapping, prefix: str) -> dict:
        return {k: yuan(row[f"{prefix}_{k}"]) for k in f}

    def pair(row: Mapping) -> dict:
        return {"policy_no": row["key"], "policy_no_ours": _text(row["policy_no"]),
                "policy_no_theirs": _text(row["statement_policy_no"]), "plate": _text(row["plate"]),
                "issue_date": _date(row["issue_date"]), "row": int(row["row"]),
                "statement_sheet": row["statement_sheet"], "statement_rows": _rows(row["statement_rows"]),
                "via": row["via"], "ours": amounts(row, OURS), "theirs": amounts(row, THEIRS),
                "difference": amounts(row, "diff"), "differs": list(row["differs"])}

    totals = rec.totals
    payload = {
        "insurer": rec.insurer,
        "month": rec.month,
        "matched": [pair(r) for r in rec.matched.to_dict("records")],
        "differences": [pair(r) for r in rec.differences.to_dict("records")],
        "only_ours": [{"policy_no": _text(r["key"]), "plate": _text(r["plate"]), "issue_date": _date(r["issue_date"]),
                       "row": int(r["row"]), "ours": amounts(r, OURS),
                       "suggested_statement_rows": _rows(r["suggested_statement_row"])}
                      for r in rec.only_ours.to_dict("records")],
        "only_theirs": [{"policy_no": _text(r["key"]), "policy_no_theirs": _text(r["policy_no"]),
                         "plate": _text(r["plate"]), "statement_sheet": r["statement_sheet"],
                         "statement_rows": _rows(r["statement_rows"]), "theirs": amounts(r, THEIRS),
                         "hint": r["hint"] or None,
                         "suggested_row": None if pd.isna(r["suggested_row"]) else int(r["suggested_row"])}
                        for r in rec.only_theirs.to_dict("records")],
        "totals": {
            side: {k: (v if k == "lines" else yuan(v)) for k, v in totals[side].items()}
            for side in ("ours", "theirs", "difference")
        } | {"explained": {k: {part: yuan(v) for part, v in rec.explained(k).items()} for k in f}},
        "duplicates": [{"side": r["side"], "policy_no": r["key"], "copies": int(r["copies"]),
                        "identical": bool(r["identical"]), "sheet": r["sheet"], "rows": _rows(r["rows"]),
                        "extra": {k: yuan(r[f"extra_{k}"]) for k in f}}
                       for r in rec.duplicates.to_dict("records")],
        "suggested": [{"policy_no_ours": _text(r["policy_no"]), "row": int(r["row"]),
                       "policy_no_theirs": _text(r["statement_policy_no"]),
                       "statement_rows": _rows(r["statement_row"]), "plate": _text(r["plate"]),
                       "premium": yuan(r["premium"])} for r in rec.suggested.to_dict("records")],
        "tolerance": yuan(rec.tolerance_fen),
        "statement": statement_json(statement),
        "findings": [x.to_json() for x in (*statement.findings, *rec.findings)],
        "lock": dict(lock) if lock else None,
    }
    return payload


def statement_json(statement: Statement) -> dict:
    return {
        "file": Path(statement.path).name,
        "columns": statement.columns_used(),
        "sheets": [{"sheet": s.sheet, "header_row": s.header_row,
                    "skipped": [{"row": r, "reason": why} for r, why in s.skipped]} for s in statement.sheets],
        "lines": len(statement.lines),
        "period": list(statement.period),
        "period_text": statement.period_text or None,
        "stated_totals": statement.stated_totals,
        "policy_prefix": statement.policy_prefix or None,
    }


# ---- readable lines -----------------------------------------------------------------------------

def money(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def _pad(text: str, width: int, right: bool = False) -> str:
    """Pad to a display width (a CJK character takes two columns in a terminal)."""
    gap = " " * max(0, width - sum(2 if ord(ch) > 0x2E80 else 1 for ch in text))
    return gap + text if right else text + gap


def summary_lines(rec: Reconciliation, statement: Statement) -> list[str]:
    sheets = "；".join(f"{s.sheet} 第{s.header_row}行表头" for s in statement.sheets)
    period = "、".join(statement.period) if statement.period else "未注明"
    lines = [f"{rec.insurer} {rec.month} 手续费对账  对账单 {Path(statement.path).name}（{sheets}；结算期间 {period}）"]
    used = "，".join(f"{FIELD_LABELS[k]}={v['column']}「{v['header']}」{'(自动识别)' if v['guessed'] else ''}"
                    for k, v in statement.columns_used().items())
    lines.append(f"  使用的列：{used}")
    totals = rec.totals
    lines.append("  " + _pad("", 12) + "".join(_pad(h, 16, right=True) for h in ("本店", "保险公司", "差额")))
    lines.append("  " + _pad("笔数", 12) + "".join(_pad(str(totals[s]["lines"]), 16, right=True)
                                                  for s in ("ours", "theirs", "difference")))
    for k in rec.fields:
        lines.append("  " + _pad(FIELD_LABELS[k], 12) + "".join(_pad(money(totals[s][k]), 16, right=True)
                                                                for s in ("ours", "theirs", "difference")))
    lines.append("  " + "；".join(f"{OUTCOME_LABELS[o]} {len(getattr(rec, o))}" for o in OUTCOMES))
    for row in rec.differences.to_dict("records"):
        parts = "，".join(f"{FIELD_LABELS[k]} 本店 {money(row[f'{OURS}_{k}'])} / 保险公司 {money(row[f'{THEIRS}_{k}'])}"
                         f"（差 {money(row[f'diff_{k}'])}）" for k in row["differs"])
        lines.append(f"  金额差异 {row['key']} {row['plate'] or ''}：{parts}")
    for row in rec.only_ours.to_dict("records"):
        hint = f"（建议：对账单第{row['suggested_statement_row']}行）" if _text(row["suggested_statement_row"]) else ""
        lines.append(f"  仅本店 {row['key'] or '（无保单号）'} {row['plate'] or ''} 台账第{row['row']}行 "
                     f"手续费 {money(row[f'{OURS}_commission'])}{hint}")
    for row in rec.only_theirs.to_dict("records"):
        hint = f"（{row['hint']}）" if row["hint"] else ""
        lines.append(f"  仅保险公司 {row['key'] or '（无保单号）'} {row['plate'] or ''} 对账单第{row['statement_rows']}行 "
                     f"手续费 {money(row[f'{THEIRS}_commission'])}{hint}")
    for row in rec.duplicates.to_dict("records"):
        how = "完全相同，只计一次" if row["identical"] else "金额不同，已合计后比对"
        lines.append(f"  重复行 {SIDE_LABELS[row['side']]} {row['key']} 第{row['rows']}行 共{row['copies']}行：{how}")
    for row in rec.suggested.to_dict("records"):
        lines.append(f"  建议匹配（请确认）本店 {row['policy_no']}（第{row['row']}行）↔ 保险公司 "
                     f"{row['statement_policy_no']}（第{row['statement_row']}行）车牌 {row['plate']}")
    for finding in (*statement.findings, *rec.findings):
        lines.append(f"  ! {finding}")
    return lines


# ---- workbook -----------------------------------------------------------------------------------

def _yuan_frame(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for c in columns:
        if c in out.columns:
            out[c] = out[c].astype("float64") / 100
    return out


def _outcome_columns(rec: Reconciliation, outcome: str) -> list[OutColumn]:
    f = rec.fields
    plate = OutColumn("plate", "车牌号", "@", 11)
    if outcome in ("matched", "differences"):
        cols = [OutColumn("key", "保单号", "@", 17), plate, OutColumn("issue_date", "出单日期", DATE_FORMAT, 11),
                OutColumn("row", "台账行", "0", 7), OutColumn("statement_rows", "对账单行", "@", 9)]
        for k in f:
            cols += [OutColumn(f"{OURS}_{k}", f"本店{FIELD_LABELS[k]}", MONEY_FORMAT, 13),
                     OutColumn(f"{THEIRS}_{k}", f"保险公司{FIELD_LABELS[k]}", MONEY_FORMAT, 13),
                     OutColumn(f"diff_{k}", f"{FIELD_LABELS[k]}差额", MONEY_FORMAT, 11)]
        return cols + ([OutColumn("differs_text", "差异项目", None, 16)] if outcome == "differences" else []) + \
            [OutColumn("via_text", "匹配方式", None, 9)]
    if outcome == "only_ours":
        return [OutColumn("key", "保单号", "@", 17), plate, OutColumn("issue_date", "出单日期", DATE_FORMAT, 11),
                OutColumn("row", "台账行", "0", 7)] + \
            [OutColumn(f"{OURS}_{k}", FIELD_LABELS[k], MONEY_FORMAT, 12) for k in f] + \
            [OutColumn("suggested_statement_row", "建议匹配对账单行", "@", 10)]
    if outcome == "only_theirs":
        return [OutColumn("key", "保单号", "@", 17), OutColumn("policy_no", "对账单原文", "@", 17), plate,
                OutColumn("statement_rows", "对账单行", "@", 9)] + \
            [OutColumn(f"{THEIRS}_{k}", FIELD_LABELS[k], MONEY_FORMAT, 12) for k in f] + \
            [OutColumn("suggested_row", "建议匹配台账行", "0", 10), OutColumn("hint", "本店台账中的情况", None, 40)]
    if outcome == "duplicates":
        return [OutColumn("side_text", "哪一方", None, 8), OutColumn("key", "保单号", "@", 17),
                OutColumn("copies", "行数", "0", 6), OutColumn("rows", "所在行", "@", 10),
                OutColumn("how", "处理", None, 22)] + \
            [OutColumn(f"extra_{k}", f"多计{FIELD_LABELS[k]}", MONEY_FORMAT, 12) for k in f]
    return [OutColumn("policy_no", "本店保单号", "@", 17), OutColumn("row", "台账行", "0", 7),
            OutColumn("statement_policy_no", "对账单保单号", "@", 17), OutColumn("statement_row", "对账单行", "@", 9),
            plate, OutColumn("premium", "保费", MONEY_FORMAT, 12), OutColumn("confirm", "确认（是/否）", None, 10)]


def _outcome_frame(rec: Reconciliation, outcome: str) -> pd.DataFrame:
    frame = getattr(rec, outcome).copy()
    money_cols = [c for c in frame.columns if c.split("_", 1)[0] in (OURS, THEIRS, "diff", "extra") or c == "premium"]
    frame = _yuan_frame(frame, money_cols)
    if outcome in ("matched", "differences"):
        frame["differs_text"] = frame["differs"].map(lambda ks: "、".join(FIELD_LABELS[k] for k in ks))
        frame["via_text"] = frame["via"].map({"policy_no": "保单号", "plate": "车牌+保费（已确认）"})
    if outcome == "duplicates":
        frame["side_text"] = frame["side"].map(SIDE_LABELS)
        frame["how"] = np.where(frame["identical"].astype(bool), "完全相同：只计一次，多出的行单列", "金额不同：合计后比对")
    return frame


def reconciliation_workbook(rec: Reconciliation, statement: Statement, store: str,
                            changes: list[str] | None = None) -> Workbook:
    wb = Workbook()
    summary = wb.active
    summary.title = "汇总"
    _write_summary(summary, rec, statement, store, changes or [])
    for outcome in OUTCOMES:
        ws = wb.create_sheet(OUTCOME_LABELS[outcome])
        write_frame(ws, _outcome_frame(rec, outcome), _outcome_columns(rec, outcome),
                    table_name=f"tbl_{outcome}" if len(getattr(rec, outcome)) else None)
    _write_detail_list(wb.create_sheet(DETAIL_SHEET), rec, store)
    return print_ready(wb)


def _write_summary(ws: Worksheet, rec: Reconciliation, statement: Statement, store: str, changes: list[str]) -> None:
    write_title(ws, f"{store} · {rec.insurer} {rec.month} 手续费对账汇总", 4)
    used = "，".join(f"{FIELD_LABELS[k]}={v['column']}「{v['header']}」{'（自动识别）' if v['guessed'] else ''}"
                    for k, v in statement.columns_used().items())
    info = [("对账单", Path(statement.path).name), ("结算期间", "、".join(statement.period) or "对账单未注明"),
            ("使用的列", used), ("金额容差", f"{rec.tolerance_fen / 100:.2f} 元（差额不超过此数视为尾差）")]
    for i, (label, value) in enumerate(info, start=2):
        put(ws.cell(row=i, column=1), label).font = Font(bold=True)
        put(ws.cell(row=i, column=2), value).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=i, start_column=2, end_row=i, end_column=4)
        ws.row_dimensions[i].height = 15 * (1 + len(str(value)) // 28)  # merged cells do not auto-fit
    totals = rec.totals
    table = pd.DataFrame([{"item": "笔数", "ours": totals["ours"]["lines"], "theirs": totals["theirs"]["lines"],
                           "difference": totals["difference"]["lines"]}]
                         + [{"item": FIELD_LABELS[k], **{s: totals[s][k] / 100 for s in ("ours", "theirs", "difference")}}
                            for k in rec.fields])
    start = len(info) + 3
    last = write_frame(ws, table, [OutColumn("item", "项目", None, 14), OutColumn("ours", "本店", MONEY_FORMAT, 16),
                                   OutColumn("theirs", "保险公司", MONEY_FORMAT, 16),
                                   OutColumn("difference", "差额（保险公司−本店）", MONEY_FORMAT, 20)],
                       start_row=start, freeze=False)
    for col in range(2, 5):
        ws.cell(row=start + 1, column=col).number_format = "0"
    explained = rec.explained("commission")
    parts = pd.DataFrame([{"item": label, "amount": explained[key] / 100} for key, label in
                          (("differences", "金额差异行"), ("matched", "一致行尾差"), ("only_theirs", "仅保险公司"),
                           ("only_ours", "仅本店"), ("duplicates", "重复行多计"))])
    last = write_frame(ws, parts, [OutColumn("item", "手续费差额构成", None, 14),
                                   OutColumn("amount", "金额", MONEY_FORMAT, 16)], start_row=last + 2, freeze=False)
    counts = pd.DataFrame([{"item": OUTCOME_LABELS[o], "n": len(getattr(rec, o))} for o in OUTCOMES])
    last = write_frame(ws, counts, [OutColumn("item", "结果", None, 14), OutColumn("n", "笔数", "0", 16)],
                       start_row=last + 2, freeze=False)
    notes = [str(f) for f in (*statement.findings, *rec.findings)] + changes
    for i, note in enumerate(notes, start=last + 2):
        put(ws.cell(row=i, column=1), note)
    ws.column_dimensions["B"].width = 18


def _detail_frame(rec: Reconciliation) -> pd.DataFrame:
    """Every line of both sides once: pairs, ours only, theirs only, and extra duplicate copies."""
    prem = [k for k in rec.fields if k != "commission"]

    def premium(frame: pd.DataFrame, side: str) -> pd.Series:
        return sum((frame[f"{side}_{k}"] for k in prem), pd.Series(0, index=frame.index)) if prem else np.nan

    pairs = pd.concat([rec.matched.assign(result="一致"), rec.differences.assign(result="金额差异")],
                      ignore_index=True).sort_values("row", kind="stable")
    pairs["result"] = np.where(pairs["result"] == "金额差异", "金额差异：" + pairs["differs"].map(
        lambda ks: "、".join(FIELD_LABELS[k] for k in ks)), pairs["result"]) if len(pairs) else pairs["result"]
    parts = [_pair_lines(rec, pairs, premium)]
    mine = rec.only_ours
    parts.append(pd.DataFrame({"policy_no": mine["key"], "plate": mine["plate"], "issue_date": mine["issue_date"],
                               "ours_premium": premium(mine, OURS), "ours_commission": mine[f"{OURS}_commission"],
                               "theirs_commission": 0, "result": "仅本店：对账单未列示" + _suggestion(
                                   mine["suggested_statement_row"], "对账单第", "行")}))
    theirs = rec.only_theirs
    parts.append(pd.DataFrame({"policy_no": theirs["key"].fillna(theirs["policy_no"]), "plate": theirs["plate"],
                               "theirs_premium": premium(theirs, THEIRS), "ours_commission": 0,
                               "theirs_commission": theirs[f"{THEIRS}_commission"],
                               "result": "仅保险公司：本店台账本月无此保单" + _suggestion(
                                   theirs["suggested_row"], "本店台账第", "行") + _hint(theirs["hint"])}))
    dup = rec.duplicates[rec.duplicates["identical"].astype(bool)]
    for side in (OURS, THEIRS):
        extra = dup[dup["side"] == side]
        other = THEIRS if side == OURS else OURS
        parts.append(pd.DataFrame({"policy_no": extra["key"], f"{side}_commission": extra["extra_commission"],
                                   f"{other}_commission": 0, f"{side}_premium": premium(
                                       extra.rename(columns={f"extra_{k}": f"{side}_{k}" for k in prem}), side),
                                   "result": f"重复列示（{SIDE_LABELS[side]}，多出 " + (extra["copies"] - 1).astype("str")
                                   + " 行）"}))
    frame = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
        pd.DataFrame(columns=["policy_no"])
    for c in ("ours_premium", "theirs_premium", "ours_commission", "theirs_commission"):
        if c not in frame.columns:
            frame[c] = np.nan
    fen = frame["theirs_commission"].fillna(0).astype("int64") - frame["ours_commission"].fillna(0).astype("int64")
    if "row_difference" in frame:  # a register row listed on several lines: its difference on its first line
        fen = frame["row_difference"].where(frame["row_difference"].notna(), fen).fillna(0).astype("int64")
        frame = frame.drop(columns=["row_difference"])
    for c in ("ours_premium", "theirs_premium", "ours_commission", "theirs_commission"):
        frame[c] = frame[c].astype("float64") / 100
    frame["difference"] = fen / 100
    frame.insert(0, "no", np.arange(1, len(frame) + 1))
    return frame


def _pair_lines(rec: Reconciliation, pairs: pd.DataFrame, premium) -> pd.DataFrame:
    """Pairs as the insurer lists them (DOMAIN.md rev 2): one line per policy number. A register row
    whose policies are on several statement lines shows each line's amounts on the insurer's side,
    and the row's own amounts and difference once, on its first line [decision]."""
    row_frame = pd.DataFrame({"policy_no": pairs["key"], "plate": pairs["plate"], "issue_date": pairs["issue_date"],
                              "ours_premium": premium(pairs, OURS), "theirs_premium": premium(pairs, THEIRS),
                              "ours_commission": pairs[f"{OURS}_commission"],
                              "theirs_commission": pairs[f"{THEIRS}_commission"], "result": pairs["result"],
                              "_at": pairs["row"].to_numpy()})
    lines = rec.theirs_lines[rec.theirs_lines["key"].isin(pairs["key"])]
    # a number listed twice is one policy: identical copies count once (the extra is under 重复列示),
    # copies that differ are added up, as the pair has them
    dup = rec.duplicates
    identical = set(dup.loc[(dup["side"] == THEIRS) & dup["identical"].astype(bool), "key"])
    grouped = lines.groupby(["key", "number"], sort=False)
    money = list(rec.fields)
    firsts, sums = grouped[[*money, ROW]].first(), grouped[money].sum().assign(**{ROW: grouped[ROW].min()})
    once = firsts.index.get_level_values("number").isin(list(identical))
    lines = pd.concat([firsts[once], sums[~once]]).reset_index()
    several = lines["key"].duplicated(keep=False)
    if not several.any():
        return row_frame.drop(columns=["_at"])
    prem = [k for k in rec.fields if k != "commission"]
    split = lines[several].sort_values(ROW, kind="stable")
    split = pd.DataFrame({"key": split["key"].to_numpy(), "policy_no": split["number"].to_numpy(),
                          "theirs_premium": split[prem].sum(axis=1).to_numpy() if prem else np.nan,
                          "theirs_commission": split["commission"].to_numpy()})
    first = ~split["key"].duplicated()
    rows = row_frame.set_index("policy_no")
    split["plate"] = split["key"].map(rows["plate"])
    split["_at"] = split["key"].map(rows["_at"])
    split["issue_date"] = split["key"].map(rows["issue_date"])
    split["ours_premium"] = split["key"].map(rows["ours_premium"]).where(first)
    split["ours_commission"] = split["key"].map(rows["ours_commission"]).where(first)
    split["row_difference"] = (split["key"].map(rows["theirs_commission"])
                               - split["key"].map(rows["ours_commission"])).where(first, 0)
    split["result"] = np.where(first, split["key"].map(rows["result"]), "同一台账行：" + split["key"].astype("str"))
    kept = row_frame[~row_frame["policy_no"].isin(split["key"])]
    both = pd.concat([kept, split.drop(columns=["key"])], ignore_index=True)
    return both.sort_values("_at", kind="stable").drop(columns=["_at"]).reset_index(drop=True)


def _suggestion(rows: pd.Series, before: str, after: str) -> pd.Series:
    text = rows.astype("str")
    return pd.Series(np.where(rows.notna(), "（建议匹配：" + before + text + after + "）", ""), index=rows.index)


def _hint(hints: pd.Series) -> pd.Series:
    return pd.Series(np.where(hints.fillna("") != "", "（" + hints.fillna("").astype("str") + "）", ""),
                     index=hints.index)


def _write_detail_list(ws: Worksheet, rec: Reconciliation, store: str) -> None:
    frame = _detail_frame(rec)
    columns = [OutColumn("no", "序号", "0", 6), OutColumn("policy_no", "保单号", "@", 17),
               OutColumn("plate", "车牌号", "@", 11), OutColumn("issue_date", "出单日期", DATE_FORMAT, 11),
               OutColumn("ours_premium", "本店保费", MONEY_FORMAT, 13),
               OutColumn("theirs_premium", "保险公司保费", MONEY_FORMAT, 13),
               OutColumn("ours_commission", "本店手续费", MONEY_FORMAT, 13),
               OutColumn("theirs_commission", "保险公司手续费", MONEY_FORMAT, 13),
               OutColumn("difference", "手续费差额", MONEY_FORMAT, 12), OutColumn("result", "对账结果", None, 26)]
    width = len(columns)
    write_title(ws, f"{rec.insurer} {rec.month} 车险业务及手续费明细清单", width)
    put(ws.cell(row=2, column=1), f"代理机构：{store}    保险公司：{rec.insurer}    结算期间：{rec.month}")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    header = 4
    last = write_frame(ws, frame, columns, start_row=header, freeze=True)
    total_row = last + 1
    put(ws.cell(row=total_row, column=1), "合计").font = Font(bold=True)
    for j in range(5, 10):  # totals as formulas: the clerk may annotate rows, the sums follow
        letter = get_column_letter(j)
        cell = ws.cell(row=total_row, column=j, value=f"=SUM({letter}{header + 1}:{letter}{max(last, header + 1)})")
        cell.number_format, cell.font, cell.border = MONEY_FORMAT, Font(bold=True), BORDER
    fit_widths(ws, minimum=6, maximum=40)  # before the long signature lines, which must not widen columns
    ws.column_dimensions["A"].width = 6
    totals = rec.totals
    conclusion = (f"对账结论：本月本店手续费合计 {money(totals['ours']['commission'])} 元，保险公司手续费合计 "
                  f"{money(totals['theirs']['commission'])} 元，差额 {money(totals['difference']['commission'])} 元。")
    row = total_row + 2
    put(ws.cell(row=row, column=1), conclusion)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    half = width // 2
    sign_rows = [(f"代理机构（盖章）：{store}", f"保险公司（盖章）：{rec.insurer}"),
                 ("业务人员签字：", "业务人员签字："), ("日期：      年    月    日", "日期：      年    月    日")]
    for i, (left, right) in enumerate(sign_rows, start=row + 2):
        put(ws.cell(row=i, column=1), left)
        put(ws.cell(row=i, column=half + 1), right)
        ws.row_dimensions[i].height = 28
    note_row = row + 2 + len(sign_rows)
    put(ws.cell(row=note_row, column=1), f"（{SIGN_NOTE}）").alignment = Alignment(horizontal="left")
    ws.print_area = f"A1:{get_column_letter(width)}{note_row}"
    ws.print_title_rows = f"{header}:{header}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
