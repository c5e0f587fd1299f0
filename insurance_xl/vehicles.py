"""Vehicle identity (DOMAIN.md "Rules, KPIs and thresholds").

A vehicle is its VIN; a row with no VIN is matched to a VIN through its plate (from `sales` or
`policies`); a plate that maps to no VIN stands for the vehicle itself. Claims carry only the
plate. A row with neither gets an identity of its own, so it is never merged with another.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .model import Registers
from .registers import ROW, SHEET, WORKBOOK


@dataclass(frozen=True)
class VehicleIndex:
    plate_to_vin: pd.Series  # plate → VIN, from the latest row that has both
    brand_of: pd.Series  # vehicle id → brand, sales first, then the latest policy

    def ids(self, table: pd.DataFrame) -> pd.Series:
        """One vehicle id per row: the VIN, else the plate's VIN, else 'PLATE:京A…', else the row."""
        vin = table["vin"] if "vin" in table.columns else pd.Series(pd.NA, index=table.index, dtype="str")
        plate = table["plate"] if "plate" in table.columns else pd.Series(pd.NA, index=table.index, dtype="str")
        ids = vin.astype("str")
        ids = ids.fillna(plate.map(self.plate_to_vin).astype("str"))
        ids = ids.fillna("PLATE:" + plate.astype("str"))
        row_ids = "ROW:" + table[WORKBOOK].astype("str") + "!" + table[SHEET].astype("str") + "!" + table[ROW].astype("str")
        return ids.fillna(row_ids).astype("str")

    def brands(self, table: pd.DataFrame, ids: pd.Series | None = None) -> pd.Series:
        """The row's brand, else the brand the vehicle was sold or insured under."""
        ids = self.ids(table) if ids is None else ids
        own = table["brand"].astype("str") if "brand" in table.columns else pd.Series(pd.NA, index=table.index, dtype="str")
        return own.fillna(ids.map(self.brand_of).astype("str"))


def vehicle_index(registers: Registers) -> VehicleIndex:
    sales = registers["sales"].sort_values("sale_date", kind="stable", na_position="first")
    policies = registers["policies"].sort_values("policy_start", kind="stable", na_position="first")
    pairs = pd.concat([policies[["plate", "vin"]], sales[["plate", "vin"]]], ignore_index=True).dropna()
    plate_to_vin = pairs.drop_duplicates("plate", keep="last").set_index("plate")["vin"]
    partial = VehicleIndex(plate_to_vin, pd.Series(dtype="str"))
    branded = pd.concat([
        pd.DataFrame({"id": partial.ids(policies), "brand": policies["brand"]}),
        pd.DataFrame({"id": partial.ids(sales), "brand": sales["brand"]}),  # sales last: it wins
    ], ignore_index=True).dropna()
    brand_of = branded.drop_duplicates("id", keep="last").set_index("id")["brand"]
    return VehicleIndex(plate_to_vin, brand_of)


def is_own_brand(brands: pd.Series, own_brands: list[str] | tuple[str, ...]) -> pd.Series:
    return brands.isin(list(own_brands)).fillna(False).astype(bool)
