"""Which register row a statement line belongs to (DOMAIN.md revision 2, "Month-end reconciliation").

A register row carries one number (保单号) or its 交强险's and 商业险's (交强险保单号, 商业险保单号);
the insurer lists each policy on a line of its own. A line belongs to the row that carries its
number, and the row is compared with the sum of its lines. A row's key is its first number
(保单号, else 商业险保单号, else 交强险保单号), normalised; lines with negative amounts are
cancellations and belong to the row's refund, keyed apart (`REFUND`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .texts import id_keys

REFUND = "（退保）"  # suffix of the key of a cancellation: a row's refund, or a statement's negative line
KEY_ORDER = ("policy_no", "commercial_policy_no", "compulsory_policy_no")  # which number names a row


def squeeze(values: pd.Series) -> pd.Series:
    """Identifiers as compared: full-width folded, no spaces, upper case (registers' `upper` columns)."""
    return id_keys(values.astype("str"), upper=True)


def normalize_policy_no(values: pd.Series, prefix: str = "") -> pd.Series:
    """Trim, drop every space, upper-case, strip a configured prefix: ' p123 45' → 'P12345'."""
    keys = squeeze(values)
    prefix = squeeze(pd.Series([prefix], dtype="str")).fillna("").iloc[0]
    if prefix:
        keys = keys.where(~keys.str.startswith(prefix).fillna(False).astype(bool), keys.str.slice(len(prefix)))
    return keys.where(keys.notna() & (keys != ""))


def isin_text(values: pd.Series, wanted: pd.Series) -> np.ndarray:
    """values.isin(wanted) for text, in Arrow (pandas' isin converts every value to Python: 15x slower)."""
    haystack = pa.array(values.astype("str"), from_pandas=True).cast(pa.large_string())
    needles = pa.array(np.asarray(wanted.dropna().unique(), dtype=object), type=pa.large_string())
    return pc.is_in(haystack, value_set=needles).to_numpy(zero_copy_only=False).astype(bool)


def same_name(values: pd.Series, name: str) -> pd.Series:
    """Which cells name `name` (an insurer), ignoring spaces and full-width forms; folded once per distinct name."""
    codes, uniques = pd.factorize(values)
    folded = squeeze(pd.Series(np.asarray(uniques, dtype=object), dtype="str"))
    target = squeeze(pd.Series([name], dtype="str")).iloc[0]
    hits = np.append((folded == target).fillna(False).to_numpy(dtype=bool), False)  # code -1: empty cell
    return pd.Series(hits[codes], index=values.index)


def _column(rows: pd.DataFrame, key: str) -> pd.Series:
    return rows[key] if key in rows.columns else pd.Series(pd.NA, index=rows.index, dtype="str")


def row_numbers(rows: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """Every number a row carries, normalised: one line per (row position, number), the row's own
    number first (KEY_ORDER), a number repeated on one row listed once."""
    parts = []
    for order, key in enumerate(KEY_ORDER):
        numbers = normalize_policy_no(_column(rows, key), prefix)
        filled = numbers.notna().to_numpy()
        parts.append(pd.DataFrame({"pos": np.flatnonzero(filled), "order": order,
                                   "number": numbers.to_numpy(dtype=object)[filled]}))
    table = pd.concat(parts, ignore_index=True).sort_values(["pos", "order"], kind="stable")
    return table.drop_duplicates(["pos", "number"]).reset_index(drop=True)


def row_keys(rows: pd.DataFrame, prefix: str = "") -> pd.Series:
    """Each row's key: its first number (NaN when it has none)."""
    numbers = row_numbers(rows, prefix)
    first = numbers.drop_duplicates("pos")
    keys = pd.Series(np.full(len(rows), None, dtype=object), index=rows.index, dtype="str")
    keys.iloc[first["pos"].to_numpy()] = first["number"].to_numpy(dtype=object)
    return keys


def row_number_text(rows: pd.DataFrame) -> pd.Series:
    """A row's numbers as written, joined with 、 (what `only ours` names)."""
    text = pd.Series("", index=rows.index, dtype="object")
    for key in KEY_ORDER:
        values = _column(rows, key).astype("str")
        add = values.notna() & (values != "")
        joiner = np.where(text[add] != "", "、", "")
        text[add] = text[add] + joiner + values[add].astype("object")
    return text.where(text != "")


def owner_keys(numbers: pd.Series, rows: pd.DataFrame, prefix: str = "") -> pd.Series:
    """For each statement number, the key of the row that carries it (NaN when none does)."""
    table = row_numbers(rows, prefix)
    if not len(table):
        return pd.Series(np.full(len(numbers), None, dtype=object), index=numbers.index, dtype="str")
    keys = row_keys(rows, prefix).to_numpy(dtype=object)
    owner = pd.Series(keys[table["pos"].to_numpy()], index=table["number"].to_numpy(dtype=object))
    owner = owner[~owner.index.duplicated(keep="first")]  # a number on two rows: the first (validation flags it)
    return numbers.map(owner).astype("str")


def merge_by_key(entries: pd.DataFrame, money: list[str]) -> tuple[pd.DataFrame, int]:
    """One entry per key: the lines of one register row are added up; their numbers and rows listed.
    Returns the entries and how many were folded into another."""
    keyed = entries["key"].notna()
    repeated = keyed & entries.duplicated("key", keep=False)
    if not repeated.any():
        return entries, 0
    group = entries[repeated]
    grouped = group.groupby("key", sort=False)
    firsts = group.drop_duplicates("key").set_index("key")
    for f in money:
        firsts[f] = grouped[f].sum().astype("int64")
    firsts["policy_no"] = grouped["policy_no"].agg(lambda v: "、".join(str(x) for x in v if isinstance(x, str)))
    firsts["_rows"] = grouped["_rows"].agg(lambda v: "、".join(str(x) for x in v))  # few: split rows only
    firsts["_copies"] = grouped["_copies"].sum()
    merged = pd.concat([entries[~repeated], firsts.reset_index()[entries.columns]], ignore_index=True)
    merged = merged.sort_values("_order", kind="stable").reset_index(drop=True)
    return merged, int(repeated.sum() - grouped.ngroups)


def negative_lines(lines: pd.DataFrame, fields: tuple[str, ...]) -> np.ndarray:
    """Statement lines with a negative amount: cancellations (退保)."""
    return np.asarray((lines[list(fields)] < 0).any(axis=1), dtype=bool)

