"""Vehicle identity (DOMAIN.md "Rules, KPIs and thresholds").

A vehicle is its VIN; a row with no VIN is matched to a VIN through its plate (from `sales` or
`policies`: the latest row that has both, sales last); a plate that maps to no VIN stands for the
vehicle itself. Claims carry only the plate. A row with neither gets an identity of its own, so it
is never merged with another. A row's brand is its own, else the brand its vehicle was sold or
insured under (sales first, then the latest policy).

The rule is computed once, on integer codes (every VIN and plate string is hashed a single time):
`vehicle_codes` gives rules a vehicle number per row, `vehicle_index` the same identity as text for
tables read later (claims, contacts, an insurer's statement).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..tables import Registers
from ..registers import ROW, SHEET, WORKBOOK


def _column(table: pd.DataFrame, key: str) -> pd.Series:
    return table[key] if key in table.columns else pd.Series(pd.NA, index=table.index, dtype="str")


def _date_rank(dates: pd.Series, offset: int = 0) -> np.ndarray:
    """Each row's place when sorted by date (empty dates first, ties in row order), plus offset."""
    key = dates.to_numpy(dtype="datetime64[ns]").view(np.int64)  # NaT is the smallest int64: first
    rank = np.empty(len(key), np.int64)
    rank[np.argsort(key, kind="stable")] = np.arange(offset, offset + len(key))
    return rank


def _latest(keys: np.ndarray, values: np.ndarray, rank: np.ndarray, size: int) -> np.ndarray:
    """For each key 0..size-1 the value of its highest-ranked row having both (-1 when none)."""
    out = np.full(size, -1, np.int64)
    ok = (keys >= 0) & (values >= 0)
    keys, values, rank = keys[ok], values[ok], rank[ok]
    order = np.argsort(keys * (int(rank.max(initial=0)) + 1) + rank)  # by key, then rank (ranks are unique)
    keys, values = keys[order], values[order]
    last = np.append(keys[1:] != keys[:-1], True) if len(keys) else np.zeros(0, bool)
    out[keys[last]] = values[last]
    return out


@dataclass(frozen=True, eq=False)
class _Identity:
    texts: pd.Index  # every VIN and plate string; codes index it
    plate_vin: np.ndarray  # text code of a plate → text code of its VIN, -1 when none
    ids: dict[str, np.ndarray]  # register key → vehicle code per row
    brand_texts: pd.Index
    row_brands: dict[str, np.ndarray]  # register key → brand code per row (own, else the vehicle's)
    brand_of: np.ndarray  # vehicle code → brand code, -1 when none
    count: int  # vehicle codes are 0..count-1


def _identity(registers: Registers, keys: Sequence[str]) -> _Identity:
    keys = list(dict.fromkeys(["policies", "sales", *keys]))
    tables = {k: registers[k] for k in keys}
    vins = [_column(tables[k], "vin") for k in keys]
    plates = [_column(tables[k], "plate") for k in keys]
    codes, texts = pd.factorize(pd.concat([*vins, *plates], ignore_index=True))
    bounds = np.cumsum([len(tables[k]) for k in keys])[:-1]
    vin_codes = dict(zip(keys, np.split(codes[: len(codes) // 2], bounds)))
    plate_codes = dict(zip(keys, np.split(codes[len(codes) // 2:], bounds)))
    n_text = len(texts)
    # policies by start, then sales by sale date: the latest row wins, sales last (they win)
    ranks = {"policies": _date_rank(tables["policies"]["policy_start"])}
    ranks["sales"] = _date_rank(tables["sales"]["sale_date"], offset=len(tables["policies"]))
    ordered = ("policies", "sales")
    plate_vin = _latest(np.concatenate([plate_codes[k] for k in ordered]),
                        np.concatenate([vin_codes[k] for k in ordered]),
                        np.concatenate([ranks[k] for k in ordered]), n_text)
    ids, next_own = {}, 2 * n_text
    for key in keys:
        vin, plate = vin_codes[key], plate_codes[key]
        via_plate = np.where(plate >= 0, plate_vin[np.maximum(plate, 0)], -1) if n_text else np.full(len(plate), -1)
        vid = np.where(vin >= 0, vin, np.where(via_plate >= 0, via_plate, np.where(plate >= 0, n_text + plate, -1)))
        alone = vid < 0  # neither VIN nor plate: a vehicle of its own
        vid[alone] = np.arange(next_own, next_own + alone.sum())
        next_own += int(alone.sum())
        ids[key] = vid
    brand_codes, brand_texts = pd.factorize(pd.concat([_column(tables[k], "brand") for k in keys], ignore_index=True))
    brands = dict(zip(keys, np.split(brand_codes, bounds)))
    brand_of = _latest(np.concatenate([ids[k] for k in ordered]), np.concatenate([brands[k] for k in ordered]),
                       np.concatenate([ranks[k] for k in ordered]), next_own)
    row_brands = {k: np.where(brands[k] >= 0, brands[k], brand_of[ids[k]]) for k in keys}
    return _Identity(pd.Index(texts), plate_vin, ids, pd.Index(brand_texts), row_brands, brand_of, next_own)


@dataclass(frozen=True, eq=False)
class VehicleCodes:
    """A vehicle number per row of each register asked for, and whether it is an own brand."""

    ids: dict[str, np.ndarray]  # register key → vehicle code per row (0..count-1)
    own: dict[str, np.ndarray]  # register key → bool per row: the row's brand is an own brand
    count: int


def vehicle_codes(registers: Registers, own_brands: Sequence[str],
                  keys: Sequence[str] = ("policies", "sales", "claims")) -> VehicleCodes:
    ident = _identity(registers, keys)
    own_codes = ident.brand_texts.get_indexer(pd.Index(list(own_brands), dtype="str"))
    own_codes = own_codes[own_codes >= 0]
    # DOMAIN.md "Own brand": a blank 品牌 (or no 品牌 column) reads as the own brand when there is
    # exactly one; with several it stays out of the own-brand KPIs (validation warns on the sale)
    blank_is_own = len(set(own_brands)) == 1
    own = {k: (np.isin(b, own_codes) & (b >= 0)) | ((b < 0) & blank_is_own) for k, b in ident.row_brands.items()}
    return VehicleCodes({k: ident.ids[k] for k in keys}, {k: own[k] for k in keys}, ident.count)


@dataclass(frozen=True)
class VehicleIndex:
    plate_to_vin: pd.Series  # plate → VIN, from the latest row that has both
    brand_of: pd.Series  # vehicle id → brand, sales first, then the latest policy

    def ids(self, table: pd.DataFrame) -> pd.Series:
        """One vehicle id per row: the VIN, else the plate's VIN, else 'PLATE:京A…', else the row."""
        # each fallback only for the rows that need it: almost every row has a VIN
        plate = _column(table, "plate")
        ids = _column(table, "vin").astype("str")
        missing = ids.isna()
        if missing.any():
            ids[missing] = plate[missing].map(self.plate_to_vin).astype("str")
            missing = ids.isna()
        if missing.any():
            ids[missing] = "PLATE:" + plate[missing].astype("str")
            missing = ids.isna()
        if missing.any():
            rows = table[missing]
            ids[missing] = ("ROW:" + rows[WORKBOOK].astype("str") + "!" + rows[SHEET].astype("str") + "!"
                            + rows[ROW].astype("str"))
        return ids.astype("str")

    def brands(self, table: pd.DataFrame, ids: pd.Series | None = None) -> pd.Series:
        """The row's brand, else the brand the vehicle was sold or insured under."""
        own = _column(table, "brand").astype("str")
        missing = own.isna()
        if missing.any():
            ids = self.ids(table) if ids is None else ids
            own[missing] = ids[missing].map(self.brand_of).astype("str")
        return own


def vehicle_index(registers: Registers) -> VehicleIndex:
    """The identity as text, for tables that are not registers (or read later)."""
    ident = _identity(registers, ())
    texts = ident.texts
    mapped = np.flatnonzero(ident.plate_vin >= 0)
    plate_to_vin = pd.Series(texts.take(ident.plate_vin[mapped]), index=texts.take(mapped), dtype="str")
    n_text = len(texts)
    # a vehicle known only by its own row is never looked up by another row: leave it out
    named = np.flatnonzero((ident.brand_of >= 0) & (np.arange(len(ident.brand_of)) < 2 * n_text))
    is_vin = named < n_text
    names = np.empty(len(named), dtype=object)
    names[is_vin] = texts.take(named[is_vin]).to_numpy(dtype=object)
    names[~is_vin] = ("PLATE:" + pd.Series(texts.take(named[~is_vin] - n_text), dtype="str")).to_numpy(dtype=object)
    brand_of = pd.Series(ident.brand_texts.take(ident.brand_of[named]), index=pd.Index(names, dtype="str"),
                         dtype="str")
    return VehicleIndex(plate_to_vin, brand_of)


def is_own_brand(brands: pd.Series, own_brands: list[str] | tuple[str, ...]) -> pd.Series:
    """The row's brand (its own, else its vehicle's) is an own brand; a blank one is when the store
    has exactly one own brand (DOMAIN.md "Own brand")."""
    own = brands.isin(list(own_brands)).fillna(False).astype(bool)
    if len(set(own_brands)) == 1:
        own = own | brands.isna()
    return own
