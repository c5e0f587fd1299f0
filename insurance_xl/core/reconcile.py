"""Month-end reconciliation with one insurer (DOMAIN.md "Month-end reconciliation", seed §4.6). Pure.

Our 本店 policies of the insurer issued (出单日期) in the month are set against the insurer's
statement lines. Lines pair on the normalised policy number (spaces removed, upper case, a
configured prefix stripped); what is left pairs on plate + premium only as a *suggestion* the clerk
confirms. Money is compared in integer fen, never as floats. Every line of both sides lands in
exactly one outcome, and the totals tie out to the lines (checked by `tie_out` on every result).

Decisions where the spec is silent:
- "differs by more than 0.01 yuan": a difference of exactly the tolerance (0.01, settings
  thresholds.reconcile_tolerance) is rounding, so the line is matched, and its fen stays visible in
  the matched line's difference and in the totals (nothing is written off silently).
- A policy number listed more than once on one side: identical copies count once in the match and
  the extra copies are reported in `duplicates` with the money they add to that side's total; copies
  with different amounts (a policy and its endorsement) are added up into one entry, and reported too.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..findings import Finding, Location, Severity
from ..registers import HERE, REGISTERS, ROW, SHEET, WORKBOOK
from ..settings import Context
from .money import fen, tolerance_fen
from .months import month_bounds
from .periods import KIND_COMPULSORY, policy_kinds
from .reconcile_keys import (REFUND, isin_text, merge_by_key, negative_lines, normalize_policy_no, owner_keys,
                             row_keys, row_number_text, row_numbers, same_name, squeeze)

__all__ = ["normalize_policy_no", "isin_text", "same_name", "reconcile", "tie_out", "our_policies"]

OURS, THEIRS = "ours", "theirs"
SPLIT = ("compulsory_premium", "commercial_premium")
MONEY = ("compulsory_premium", "commercial_premium", "premium", "commission")


def compared_fields(statement_fields: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The money fields both sides can be compared on: the split premiums, else the total, and commission."""
    fields = [f for f in SPLIT if f in statement_fields]
    if not fields and "premium" in statement_fields:
        fields = ["premium"]
    return (*fields, "commission")


@dataclass(frozen=True)
class Reconciliation:
    insurer: str
    month: str
    fields: tuple[str, ...]  # money fields compared, amounts in fen (int64)
    matched: pd.DataFrame  # pairs within tolerance: key, policy_no, plate, ours_*, theirs_*, diff_*, rows
    differences: pd.DataFrame  # pairs beyond tolerance, with `differs` (the fields that differ)
    only_ours: pd.DataFrame
    only_theirs: pd.DataFrame  # with `hint`: where the policy is in our register, if anywhere
    duplicates: pd.DataFrame  # side, key, copies, identical, rows, extra_* (money beyond the copy used)
    suggested: pd.DataFrame  # plate + premium pairs for the clerk to confirm
    ours_lines: pd.DataFrame  # every line of each side: key, plate, fen amounts, row
    theirs_lines: pd.DataFrame
    tolerance_fen: int
    findings: tuple[Finding, ...] = ()
    merged: tuple[int, int] = (0, 0)  # lines of ours, theirs added into another line of the same row

    def total(self, side: str, field: str) -> int:
        lines = self.ours_lines if side == OURS else self.theirs_lines
        return int(lines[field].sum())

    @cached_property
    def totals(self) -> dict[str, dict[str, int]]:
        """{ours, theirs, difference} → field → fen, plus the number of lines."""
        ours = {f: self.total(OURS, f) for f in self.fields} | {"lines": len(self.ours_lines)}
        theirs = {f: self.total(THEIRS, f) for f in self.fields} | {"lines": len(self.theirs_lines)}
        return {"ours": ours, "theirs": theirs, "difference": {k: theirs[k] - ours[k] for k in ours}}

    def explained(self, field: str) -> dict[str, int]:
        """The difference of one field (theirs − ours) by outcome; the parts add up to the total difference."""
        dup = self.duplicates
        return {
            "matched": int(self.matched[f"diff_{field}"].sum()),
            "differences": int(self.differences[f"diff_{field}"].sum()),
            "only_theirs": int(self.only_theirs[f"{THEIRS}_{field}"].sum()),
            "only_ours": -int(self.only_ours[f"{OURS}_{field}"].sum()),
            "duplicates": int(dup.loc[dup["side"] == THEIRS, f"extra_{field}"].sum())
            - int(dup.loc[dup["side"] == OURS, f"extra_{field}"].sum()),
        }


def our_policies(policies: pd.DataFrame, insurer: str, month: str) -> pd.DataFrame:
    """§4.6: our 本店 policies of the insurer issued in the month (出单日期, else 保单起期: DOMAIN.md
    "Issue date")."""
    start, end = month_bounds(month)
    issued = policies["issue_date"].fillna(policies["policy_start"])
    chosen = (policies["channel"] == HERE) & same_name(policies["insurer"], insurer) & (issued >= start) & (issued < end)
    return policies[chosen.fillna(False).astype(bool)]


def our_cancellations(policies: pd.DataFrame, insurer: str, month: str) -> pd.DataFrame:
    """Our 本店 policies of the insurer cancelled (退保日期) in the month: their refunds are on the statement."""
    if "cancel_date" not in policies:
        return policies.iloc[0:0]
    start, end = month_bounds(month)
    cancel = policies["cancel_date"]
    # a cancelled row with no refund typed has nothing to compare (its twin row may carry the refund)
    refunded = policies["refund_premium"].notna() | policies["refund_commission"].notna()
    chosen = (policies["channel"] == HERE) & same_name(policies["insurer"], insurer) & (cancel >= start) & (cancel < end)
    chosen &= refunded
    return policies[chosen.fillna(False).astype(bool)]


def reconcile(policies: pd.DataFrame, statement_lines: pd.DataFrame, insurer: str, month: str, ctx: Context, *,
              statement_fields: tuple[str, ...] = MONEY, policy_prefix: str = "",
              accept_suggested: bool = False) -> Reconciliation:
    """Our policies of `insurer` issued in `month` against the statement's lines."""
    fields = compared_fields(statement_fields)
    tolerance = tolerance_fen(ctx.thresholds.reconcile_tolerance)
    ours_rows = our_policies(policies, insurer, month)
    cancelled = our_cancellations(policies, insurer, month)
    ours = pd.concat([_lines(ours_rows, fields, policy_prefix, our_side=True),
                      _refund_lines(cancelled, fields, policy_prefix)], ignore_index=True)
    theirs = _lines(statement_lines, fields, policy_prefix, our_side=False)
    theirs["key"] = _statement_keys(theirs, ours_rows, cancelled, fields, policy_prefix)
    ours_entries, ours_dups = _collapse(ours, OURS, fields)
    theirs_entries, theirs_dups = _collapse(theirs, THEIRS, fields)
    money = [*fields, "premium_total"]
    ours_entries, ours_merged = merge_by_key(ours_entries, money)
    theirs_entries, theirs_merged = merge_by_key(theirs_entries, money)

    keyed_ours, keyed_theirs = ours_entries["key"].notna(), theirs_entries["key"].notna()
    joined = ours_entries[keyed_ours].merge(theirs_entries[keyed_theirs], on="key", how="outer", suffixes=("", "_t"),
                                            indicator=True)
    both = joined[joined["_merge"] == "both"]
    left = pd.concat([_side(joined[joined["_merge"] == "left_only"], OURS), ours_entries[~keyed_ours]],
                     ignore_index=True)
    right = pd.concat([_side(joined[joined["_merge"] == "right_only"], THEIRS), theirs_entries[~keyed_theirs]],
                      ignore_index=True)
    suggested = _suggest(left, right)
    pairs = _pairs(both, fields, via="policy_no")
    if accept_suggested and len(suggested):
        taken_ours = left["_entry"].isin(suggested["ours_entry"])
        taken_theirs = right["_entry"].isin(suggested["theirs_entry"])
        accepted = (left[taken_ours].merge(suggested[["ours_entry", "theirs_entry"]], left_on="_entry",
                                           right_on="ours_entry")
                    .merge(right[taken_theirs].drop(columns=["key"]).add_suffix("_t"),
                           left_on="theirs_entry", right_on="_entry_t"))
        pairs = pd.concat([pairs, _pairs(accepted, fields, via="plate")], ignore_index=True)
        left, right = left[~taken_ours], right[~taken_theirs]
        suggested = suggested.iloc[0:0]
    pairs["differs"] = _differing_fields(pairs, fields, tolerance)
    differs = (pairs["differs"].str.len() > 0).to_numpy(dtype=bool)
    result = Reconciliation(
        insurer=insurer, month=month, fields=fields,
        matched=pairs[~differs].sort_values("row", kind="stable").reset_index(drop=True),
        differences=pairs[differs].sort_values("row", kind="stable").reset_index(drop=True),
        only_ours=_only_ours(left, suggested, fields),
        only_theirs=_only_theirs(right, suggested, policies, fields, policy_prefix),
        duplicates=pd.concat([ours_dups, theirs_dups], ignore_index=True),
        suggested=suggested.drop(columns=["ours_entry", "theirs_entry"]).reset_index(drop=True),
        ours_lines=ours[["key", "plate_key", *fields, ROW, "number"]].reset_index(drop=True),
        theirs_lines=theirs[["key", "plate_key", *fields, ROW, "number"]].reset_index(drop=True),
        tolerance_fen=tolerance,
        findings=tuple(_scope_findings(ours_rows, insurer, month, ctx) + _empty_amount_findings(ours_rows)),
        merged=(ours_merged, theirs_merged),
    )
    tie_out(result)
    return result


def _lines(table: pd.DataFrame, fields: tuple[str, ...], prefix: str, our_side: bool) -> pd.DataFrame:
    """One line per register row (keyed by its first number) or per statement line (by its number)."""
    key = row_keys(table, prefix) if our_side else normalize_policy_no(table["policy_no"], prefix)
    lines = pd.DataFrame({
        "key": key,
        "number": key,
        "policy_no": (row_number_text(table) if our_side else table["policy_no"]).astype("str"),
        "plate": table["plate"].astype("str"),
        "plate_key": squeeze(table["plate"]),
        "issue_date": table["issue_date"] if our_side else pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]"),
        ROW: table[ROW].astype("int64"),
        SHEET: table[SHEET].astype("str"),
    })
    for f in fields:
        if f == "premium" and our_side:
            lines[f] = fen(table["compulsory_premium"]) + fen(table["commercial_premium"])
        else:
            lines[f] = fen(table[f])
    premiums = [f for f in fields if f != "commission"]
    # plate + premium suggestions compare the premium both sides give (nothing to compare: no suggestion)
    lines["premium_total"] = lines[premiums].sum(axis=1).astype("Int64") if premiums else pd.NA
    return lines.reset_index(drop=True)


def _refund_lines(cancelled: pd.DataFrame, fields: tuple[str, ...], prefix: str) -> pd.DataFrame:
    """Our rows cancelled in the month as the statement lists them: negative, keyed apart (REFUND).
    退还保费 is one amount: a 交强险 row's is compulsory premium, any other row's commercial (a car's
    交强险 is rarely cancelled: §1.3.1 Q5) [decision]."""
    refund = cancelled.assign(
        compulsory_premium=np.where(policy_kinds(cancelled) == KIND_COMPULSORY, -cancelled["refund_premium"], 0.0),
        commercial_premium=np.where(policy_kinds(cancelled) == KIND_COMPULSORY, 0.0, -cancelled["refund_premium"]),
        commission=-cancelled["refund_commission"])
    lines = _lines(refund, fields, prefix, our_side=True)
    lines["key"] = lines["key"] + REFUND
    lines["number"] = lines["key"]
    return lines


def _statement_keys(theirs: pd.DataFrame, ours_rows: pd.DataFrame, cancelled: pd.DataFrame,
                    fields: tuple[str, ...], prefix: str) -> pd.Series:
    """A statement line belongs to the register row carrying its number; a negative line to the
    refund of a row cancelled in the month. A number on no row stays its own key."""
    negative = negative_lines(theirs, fields)
    own = theirs["number"]
    issued = owner_keys(own, ours_rows, prefix)
    refunded = owner_keys(own, cancelled, prefix) + REFUND
    keys = pd.Series(np.where(negative, refunded.fillna(own + REFUND), issued.fillna(own)), index=theirs.index,
                     dtype="str")
    return keys.where(own.notna())


def _collapse(lines: pd.DataFrame, side: str, fields: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One entry per policy number (lines without a number stay single), and the duplicates report.
    A number listed twice is a duplicate; lines of one row with different numbers are added up later."""
    lines = lines.copy()
    numbered_key = lines["key"]
    lines["key"] = lines["number"].where(~negative_lines(lines, fields), lines["number"] + REFUND) \
        if side == THEIRS else lines["number"]
    lines["_key"] = numbered_key
    lines["_entry"] = side + ":" + lines.index.astype("str")
    lines["_order"] = np.arange(len(lines))  # the side's own line order, for presenting leftovers
    keyed = lines["key"].notna()
    copies = lines.groupby("key", sort=False)["key"].transform("size").where(keyed, 1).astype("int64")
    lines["_copies"] = copies
    dup = lines[copies > 1]
    if not len(dup):
        lines["_rows"] = lines[ROW].astype("str")
        return _row_keyed(lines), _empty_duplicates(fields)
    money = [*fields, "premium_total"]  # _lines always adds premium_total
    grouped = dup.groupby("key", sort=False)
    identical = (grouped[list(fields)].nunique() <= 1).all(axis=1)
    sums = grouped[money].sum()
    firsts = grouped[money].first()
    rows = grouped[ROW].agg(lambda r: "、".join(str(int(x)) for x in sorted(r)))  # few keys: duplicates only
    first_of = ~lines.duplicated("key", keep="first") | ~keyed
    entries = lines[first_of].copy()
    in_dup = entries["key"].isin(rows.index)
    entries["_rows"] = entries[ROW].astype("str")
    entries.loc[in_dup, "_rows"] = entries.loc[in_dup, "key"].map(rows)
    merged_keys = identical.index[~identical]
    mask = entries["key"].isin(merged_keys)
    for f in money:  # copies with different amounts are one entry: their sum
        entries.loc[mask, f] = entries.loc[mask, "key"].map(sums[f]).astype("int64")
    report = pd.DataFrame({
        "side": side, "key": rows.index, "copies": grouped.size().to_numpy(), "identical": identical.to_numpy(),
        "rows": rows.to_numpy(), "sheet": grouped[SHEET].first().to_numpy(),
        "policy_no": grouped["policy_no"].first().to_numpy(),
    })
    for f in fields:  # identical copies: the ones beyond the first add to that side's total only
        extra = (sums[f] - firsts[f]).where(identical, 0)
        report[f"extra_{f}"] = extra.to_numpy().astype("int64")
    return _row_keyed(entries).reset_index(drop=True), report


def _row_keyed(entries: pd.DataFrame) -> pd.DataFrame:
    """Entries keyed by their register row again (they were grouped by their own number)."""
    return entries.assign(key=entries["_key"]).drop(columns=["_key"])


def _empty_duplicates(fields: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame({"side": pd.Series(dtype="str"), "key": pd.Series(dtype="str"),
                          "copies": pd.Series(dtype="int64"), "identical": pd.Series(dtype="bool"),
                          "rows": pd.Series(dtype="str"), "sheet": pd.Series(dtype="str"),
                          "policy_no": pd.Series(dtype="str")})
    for f in fields:
        frame[f"extra_{f}"] = pd.Series(dtype="int64")
    return frame


def _side(frame: pd.DataFrame, side: str) -> pd.DataFrame:
    """The columns of one side of an outer join, under their own names."""
    if side == OURS:
        return frame[[c for c in frame.columns if not c.endswith("_t") and c != "_merge"]].reset_index(drop=True)
    cols = {c: c[:-2] for c in frame.columns if c.endswith("_t")}
    return frame[["key", *cols]].rename(columns=cols).reset_index(drop=True)


def _pairs(both: pd.DataFrame, fields: tuple[str, ...], via: str) -> pd.DataFrame:
    pairs = pd.DataFrame({
        "key": both["key"].to_numpy(),
        "policy_no": both["policy_no"].to_numpy(),
        "statement_policy_no": both["policy_no_t"].to_numpy(),
        "plate": both["plate"].fillna(both["plate_t"]).to_numpy(),
        "issue_date": both["issue_date"].to_numpy(),
        "row": both[ROW].astype("int64").to_numpy(),
        "statement_sheet": both[f"{SHEET}_t"].to_numpy(),
        "statement_rows": both["_rows_t"].to_numpy(),
        "via": via,
    })
    for f in fields:
        ours = both[f].astype("int64").to_numpy()
        theirs = both[f"{f}_t"].astype("int64").to_numpy()
        pairs[f"{OURS}_{f}"], pairs[f"{THEIRS}_{f}"], pairs[f"diff_{f}"] = ours, theirs, theirs - ours
    return pairs


def _differing_fields(pairs: pd.DataFrame, fields: tuple[str, ...], tolerance: int) -> pd.Series:
    """Per pair, the fields whose difference exceeds the tolerance (a tuple, empty when matched)."""
    text = pd.Series("", index=pairs.index, dtype="str")
    for f in fields:
        text = text + np.where(pairs[f"diff_{f}"].abs() > tolerance, f + " ", "")
    return text.str.split().map(tuple)


def _suggest(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Plate + premium pairs among the unmatched, one-to-one only: a suggestion, never a match."""
    cols = ["ours_entry", "theirs_entry", "policy_no", "row", "statement_policy_no", "statement_row", "plate",
            "premium"]
    usable_l = left[left["plate_key"].notna() & left["premium_total"].notna()]
    usable_r = right[right["plate_key"].notna() & right["premium_total"].notna()]
    if not len(usable_l) or not len(usable_r):
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    on = ["plate_key", "premium_total"]
    cand = usable_l[[*on, "_entry", "policy_no", ROW, "plate"]].astype({"premium_total": "int64"}).merge(
        usable_r[[*on, "_entry", "policy_no", "_rows"]].astype({"premium_total": "int64"}), on=on,
        suffixes=("", "_t"))
    cand = cand[~cand["_entry"].duplicated(keep=False) & ~cand["_entry_t"].duplicated(keep=False)]
    return pd.DataFrame({
        "ours_entry": cand["_entry"].to_numpy(), "theirs_entry": cand["_entry_t"].to_numpy(),
        "policy_no": cand["policy_no"].to_numpy(), "row": cand[ROW].astype("int64").to_numpy(),
        "statement_policy_no": cand["policy_no_t"].to_numpy(), "statement_row": cand["_rows"].to_numpy(),
        "plate": cand["plate"].to_numpy(), "premium": cand["premium_total"].astype("int64").to_numpy(),
    })


def _only_ours(left: pd.DataFrame, suggested: pd.DataFrame, fields: tuple[str, ...]) -> pd.DataFrame:
    left = left.sort_values("_order", kind="stable")
    frame = pd.DataFrame({
        "key": left["key"].to_numpy(), "policy_no": left["policy_no"].to_numpy(), "plate": left["plate"].to_numpy(),
        "issue_date": left["issue_date"].to_numpy(), "row": left[ROW].astype("int64").to_numpy(),
        "suggested_statement_row": left["_entry"].map(suggested.set_index("ours_entry")["statement_row"]).to_numpy(),
    })
    for f in fields:
        frame[f"{OURS}_{f}"] = left[f].astype("int64").to_numpy()
    return frame


def _only_theirs(right: pd.DataFrame, suggested: pd.DataFrame, policies: pd.DataFrame, fields: tuple[str, ...],
                 prefix: str) -> pd.DataFrame:
    right = right.sort_values("_order", kind="stable")
    frame = pd.DataFrame({
        "key": right["key"].to_numpy(), "policy_no": right["policy_no"].to_numpy(), "plate": right["plate"].to_numpy(),
        "statement_sheet": right[SHEET].to_numpy(), "statement_rows": right["_rows"].to_numpy(),
        "suggested_row": right["_entry"].map(suggested.set_index("theirs_entry")["row"]).astype("Int64").array,
    })
    for f in fields:
        frame[f"{THEIRS}_{f}"] = right[f].astype("int64").to_numpy()
    frame["hint"] = _where_in_register(frame["key"], policies, prefix)
    return frame


def _where_in_register(keys: pd.Series, policies: pd.DataFrame, prefix: str) -> pd.Series:
    """Why a statement-only policy number is not among ours: it is in the register, but elsewhere."""
    hints = pd.Series("", index=keys.index, dtype="object")
    wanted = keys.dropna()
    if not len(wanted) or not len(policies):
        return hints
    numbers = row_numbers(policies, prefix)
    register_keys = pd.Series(numbers["number"].to_numpy(dtype=object), dtype="str")
    hit = isin_text(register_keys, wanted.str.replace(REFUND, "", regex=False))
    found = policies.iloc[numbers["pos"].to_numpy()[hit]].assign(key=register_keys[hit].to_numpy())
    found = found.drop_duplicates("key")
    if not len(found):
        return hints
    issue = found["issue_date"].dt.strftime("%Y-%m-%d")
    reason = np.select(
        [found["channel"].ne(HERE).fillna(True), found["issue_date"].isna()],
        ["投保渠道记为" + found["channel"].fillna("（空）").astype("str"), pd.Series("出单日期为空", index=found.index)],
        default="保险公司 " + found["insurer"].fillna("（空）").astype("str") + "，出单日期 " + issue.fillna(""),
    )
    text = pd.Series("本店台账第" + found[ROW].astype("str") + "行：" + pd.Series(reason, index=found.index),
                     index=found.index)
    lookup = pd.Series(text.to_numpy(), index=found["key"].to_numpy())
    hints.loc[wanted.index] = wanted.str.replace(REFUND, "", regex=False).map(lookup).fillna("").to_numpy()
    return hints


def _scope_findings(ours: pd.DataFrame, insurer: str, month: str, ctx: Context) -> list[Finding]:
    """A misspelt insurer shows as every line 'only theirs': say so plainly."""
    out = []
    where = Location("", REGISTERS["policies"].sheet, None, REGISTERS["policies"].column("insurer").header)
    if ctx.settings.partners and insurer not in ctx.settings.partners:
        out.append(Finding("policies", "reconcile.not_a_partner", Severity.WARNING, where,
                           f"「{insurer}」不是设置中的合作保险公司（{'、'.join(ctx.settings.partners)}）", key="insurer"))
    if not len(ours):
        out.append(Finding("policies", "reconcile.no_policies", Severity.WARNING, where,
                           f"本店台账中没有 {month} 出单、保险公司为「{insurer}」的本店保单，请核对保险公司名称和月份",
                           key="insurer"))
    return out


def _empty_amount_findings(ours: pd.DataFrame) -> list[Finding]:
    reg = REGISTERS["policies"]
    out = []
    # an empty premium is common (交强险 only: no 商业险保费) and shows as a difference if it matters;
    # an empty commission on our side is worth a word
    key = "commission"
    header = reg.column(key).header
    empty = ours[ours[key].isna()]
    for wb, sheet, row in zip(empty[WORKBOOK], empty[SHEET], empty[ROW]):
        out.append(Finding("policies", "reconcile.empty_amount", Severity.WARNING,
                           Location(str(wb), str(sheet), int(row), header),
                           f"「{header}」为空，对账时按 0 计", key=key))
    return out


def tie_out(rec: Reconciliation) -> None:
    """Every line is in exactly one outcome and each side's total is the sum of its outcomes.

    Raises AssertionError (a bug, never bad input): the numbers must not be shown otherwise.
    """
    dup = rec.duplicates
    for f in rec.fields:
        ours_parts = (rec.matched[f"{OURS}_{f}"].sum() + rec.differences[f"{OURS}_{f}"].sum()
                      + rec.only_ours[f"{OURS}_{f}"].sum() + dup.loc[dup["side"] == OURS, f"extra_{f}"].sum())
        theirs_parts = (rec.matched[f"{THEIRS}_{f}"].sum() + rec.differences[f"{THEIRS}_{f}"].sum()
                        + rec.only_theirs[f"{THEIRS}_{f}"].sum() + dup.loc[dup["side"] == THEIRS, f"extra_{f}"].sum())
        if int(ours_parts) != rec.total(OURS, f) or int(theirs_parts) != rec.total(THEIRS, f):
            raise AssertionError(f"reconciliation of {f} does not tie out: ours {ours_parts} vs {rec.total(OURS, f)}, "
                                 f"theirs {theirs_parts} vs {rec.total(THEIRS, f)}")
        if sum(rec.explained(f).values()) != rec.totals["difference"][f]:
            raise AssertionError(f"difference of {f} is not explained by the lines")
    pairs = len(rec.matched) + len(rec.differences)
    for side, only, lines, merged in ((OURS, rec.only_ours, rec.ours_lines, rec.merged[0]),
                                      (THEIRS, rec.only_theirs, rec.theirs_lines, rec.merged[1])):
        extra_copies = int((dup.loc[dup["side"] == side, "copies"] - 1).sum())
        if pairs + len(only) + extra_copies + merged != len(lines):
            raise AssertionError(f"{side}: {len(lines)} lines but {pairs} pairs + {len(only)} unmatched + "
                                 f"{extra_copies} extra copies")
