"""Money, defined once. Amounts are read as yuan (float); sums and comparisons that must be exact
are made in whole fen (int64), and yuan shown to people are rounded to the fen."""
from __future__ import annotations

import numpy as np
import pandas as pd


def fen(values: pd.Series) -> pd.Series:
    """Yuan -> whole fen (int64, same index); an empty amount is 0."""
    return pd.Series(np.rint(values.to_numpy(dtype="float64", na_value=0.0) * 100).astype(np.int64),
                     index=values.index)


def fen_array(values: pd.Series) -> np.ndarray:
    """Yuan -> whole fen as a bare int64 array, for vectorised counting; an empty amount is 0."""
    return np.rint(values.to_numpy(dtype="float64", na_value=0.0) * 100).astype(np.int64)


def yuan(amount_fen: object) -> float | None:
    """Whole fen -> yuan with two decimals; None or NA stays None."""
    if amount_fen is None or pd.isna(amount_fen):
        return None
    return round(int(amount_fen) / 100, 2)


def round_to_fen(values: pd.Series) -> pd.Series:
    """Yuan kept to the fen: 0.1 + 0.2 is 0.30, never 0.30000000000000004 (empty stays empty)."""
    return values.astype("float64").round(2)


def tolerance_fen(yuan_amount: float) -> int:
    """A tolerance given in yuan (settings) as whole fen."""
    return int(round(yuan_amount * 100))
