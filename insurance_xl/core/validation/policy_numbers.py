"""Policy numbers and archives (DOMAIN.md revision 2, "Validation"): a number is used once across
保单号, 交强险保单号 and 商业险保单号; an 档案编号 belongs to one vehicle."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ...findings import Finding
from ...registers import POLICY_NUMBERS
from ...settings import Context
from ...tables import Registers
from ..texts import id_keys
from ..vehicles import vehicle_codes
from .common import ERROR, header, row_ref, shown
from .fields import VIN_PATTERN


def _where(related, loc) -> str:
    return "、".join(f"第{r.row}行" if r.sheet == loc.sheet and r.workbook == loc.workbook
                    else f"{r.sheet} 第{r.row}行" for r in related)


def check_policy_numbers_unique(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """A policy number is issued once: used twice anywhere in `policies` — in one column or across
    保单号, 交强险保单号 and 商业险保单号 — is an error naming both rows (the same number twice on one
    row is that row's one policy)."""
    table = tables["policies"]
    if table.empty:
        return
    parts = []
    for order, key in enumerate(POLICY_NUMBERS):
        values = id_keys(table[key].astype("str"), upper=True)
        filled = values.notna() & (values != "")
        parts.append(pd.DataFrame({"number": values[filled], "index": table.index[filled.to_numpy()],
                                   "key": key, "order": order}))
    numbers = pd.concat(parts, ignore_index=True)
    numbers["pos"] = table.index.get_indexer(numbers["index"])
    numbers = numbers.sort_values(["pos", "order"], kind="stable").drop_duplicates(["number", "index"])
    repeated = numbers[numbers.duplicated("number", keep=False)]
    if repeated.empty:
        return
    for number, group in repeated.groupby("number", sort=False):
        first = group.iloc[0]
        for _, later in group.iloc[1:].iterrows():
            rows = table.loc[[later["index"]]]
            loc = tables.locations("policies", rows, later["key"])[0]
            related = (row_ref(table, first["index"]),)
            what = header("policies", later["key"])
            other = header("policies", first["key"])
            yield Finding("policies", "policies.duplicate_policy_no", ERROR, loc,
                          f"「{what}」「{number}」重复：与{_where(related, loc)}的「{other}」相同，每个保单号只能登记一次",
                          related=related, key=later["key"])


def check_archive_one_vehicle(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """一车一档 (§4.8.1): an 档案编号 on rows of two vehicles is an error at the later vehicle's first row."""
    table = tables["policies"]
    if table.empty:
        return
    # a VIN that is no VIN (vin.invalid) names no other car: such a row is known by its plate here
    valid = table["vin"].fillna("").str.fullmatch(VIN_PATTERN)
    sound = Registers(tables={**tables.tables, "policies": table.assign(vin=table["vin"].where(valid))})
    codes = vehicle_codes(sound, ctx.settings.own_brands, ("policies",)).ids["policies"]
    frame = pd.DataFrame({"archive": table["archive_no"].to_numpy(dtype=object), "vehicle": codes,
                          "pos": np.arange(len(table))})
    # a row with neither VIN nor plate names no vehicle (required.plate_or_vin says so): not another car
    known = table["archive_no"].notna() & (table["vin"].notna() | table["plate"].notna())
    frame = frame[known.to_numpy()]
    firsts = frame.drop_duplicates(["archive", "vehicle"])
    shared = firsts[firsts.duplicated("archive", keep=False)]
    for archive, group in shared.groupby("archive", sort=False):
        first = group.iloc[0]
        for _, later in group.iloc[1:].iterrows():
            index = table.index[int(later["pos"])]
            loc = tables.locations("policies", table.loc[[index]], "archive_no")[0]
            related = (row_ref(table, table.index[int(first["pos"])]),)
            row = table.loc[index]
            car = row["vin"] if pd.notna(row["vin"]) else row["plate"]
            yield Finding("policies", "policies.archive_two_vehicles", ERROR, loc,
                          f"档案编号「{archive}」已用于{_where(related, loc)}的另一辆车，本行车辆"
                          f"「{shown('policies', 'vin', car)}」应另建档案（一车一档）", related=related, key="archive_no")

