"""Which policy covers a vehicle on a day (DOMAIN.md revision 2: "A claim is insured here when its
vehicle has a 本店 policy in force on the report date"). Pure and vectorised.

A policy is in force from its 保单起期 through its last day: its 保单止期, or its 退保日期 when
cancelled earlier (periods.row_days).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .periods import NAT


def covering_policy(vehicle: np.ndarray, day: np.ndarray, pol_vehicle: np.ndarray, pol_start: np.ndarray,
                    pol_last: np.ndarray, among: np.ndarray) -> np.ndarray:
    """For each (vehicle, day): the position of a policy row (of those where `among` holds) of that
    vehicle in force on that day, the latest-starting one; -1 when none (or the day is empty)."""
    out = np.full(len(vehicle), -1, np.int64)
    rows = np.flatnonzero(among & (pol_start != NAT) & (pol_last != NAT))
    asked = np.flatnonzero(day != NAT)
    if not len(rows) or not len(asked):
        return out
    left = pd.DataFrame({"vehicle": vehicle[asked], "day": day[asked], "ask": asked})
    right = pd.DataFrame({"vehicle": pol_vehicle[rows], "start": pol_start[rows], "last": pol_last[rows],
                          "pos": rows})
    pairs = left.merge(right, on="vehicle", how="inner")
    pairs = pairs[(pairs["start"] <= pairs["day"]) & (pairs["day"] <= pairs["last"])]
    if len(pairs):
        pairs = pairs.sort_values(["ask", "start", "pos"], kind="stable").drop_duplicates("ask", keep="last")
        out[pairs["ask"].to_numpy()] = pairs["pos"].to_numpy()
    return out
