"""The demo store's claims side (§4.3 steps 6–11): claims, handovers, insurer payments, third-party
refunds and old parts.

Vehicles have claims at a yearly rate; a claim is 本店-insured when a 本店 policy of the vehicle was
in force that day. Settled cases are handed to the insurer, insured here or not (a few never are:
结案未交接), which pays most on time, some late, some in part, some not at all, and returns a few
(核赔退回). Third-party money is refunded to the customer after the five approvals, and a few paid
cases were never typed into 客户三者回款统计表; old parts are signed for, a few not yet. So every step
of a case (DOMAIN.md "Claim cases") has cases waiting at it.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .people import bank_accounts, cat, numbered, person_names, pick
from .policies import DAY, HERE, OTHER_INSURERS, days
from ..registers import DISPOSALS
from ..settings import Settings

ADJUSTERS = ("孙浩", "钱磊")
# insurer staff who receive handovers and sign for old parts
RECEIVERS = {"人保财险": ("刘理算", "马定损"), "平安产险": ("陈定损", "林查勘"), "太平洋产险": ("黄理赔", "许查勘")}
# the other four of the five approvals of a third-party refund (§4.3 step 11); the adjuster is the first
SERVICE_MANAGER, CASHIER, FINANCE_MANAGER, STORE_MANAGER = "冯建国", "何丽", "高文", "林志远"
PARTS = ("前保险杠", "后保险杠", "大灯总成", "翼子板", "后视镜", "前挡风玻璃", "水箱", "中网", "机盖", "车门", "尾灯总成",
         "雷达探头")
SETTLED, REPAIRING, AWAITING, WITHDRAWN = "已结算", "维修中", "待定损", "已撤案"
CLAIM_RATE = {"own": 0.3, "other_policy": 0.3, "other_claims": 0.5}  # claims per vehicle-year


def build_claims(rng: np.random.Generator, vehicles: pd.DataFrame, policies: pd.DataFrame, settings: Settings,
                 as_of: dt.date) -> dict[str, pd.DataFrame]:
    claims = _claims(rng, vehicles, policies, settings, as_of)
    handovers = _handovers(rng, claims, as_of)
    payments = _payments(rng, handovers, settings, as_of)
    return {
        "claims": claims, "handovers": handovers, "payments": payments,
        "tp_refunds": _tp_refunds(rng, claims, payments, as_of),
        "old_parts": _old_parts(rng, claims, handovers, as_of),
    }


def _claims(rng: np.random.Generator, vehicles: pd.DataFrame, policies: pd.DataFrame, settings: Settings,
            as_of: dt.date) -> pd.DataFrame:
    end = np.datetime64(as_of, "D")
    window = np.datetime64(as_of - pd.DateOffset(years=3), "D")
    since = np.maximum(vehicles["since"].to_numpy("datetime64[D]"), window)
    span = (end - since).astype(int)
    rate = vehicles["kind"].map(CLAIM_RATE).to_numpy()
    count = rng.poisson(rate * span / 365)
    vid = np.repeat(vehicles["vid"].to_numpy(), count)
    report = np.repeat(since, count) + days(np.floor(rng.random(len(vid)) * (np.repeat(span, count) + 1)))
    claims = pd.DataFrame({"vid": vid, "report_date": pd.to_datetime(report).astype("datetime64[ns]")})
    claims = claims.sort_values(["report_date", "vid"], kind="stable").reset_index(drop=True)
    n = len(claims)
    veh = vehicles.set_index("vid").loc[claims["vid"]].reset_index()
    claims["plate"] = veh["plate"].to_numpy()
    claims["customer"] = veh["customer"].to_numpy()

    # the policy in force on the day: the latest one started by then, if it has not ended
    cover = policies[["vid", "policy_start", "policy_end", "channel", "insurer"]].sort_values("policy_start")
    matched = pd.merge_asof(claims.reset_index(), cover, left_on="report_date", right_on="policy_start",
                            by="vid", direction="backward").set_index("index").loc[claims.index]
    in_force = (matched["policy_end"] >= claims["report_date"]).fillna(False).to_numpy(dtype=bool)
    claims["insured_here"] = in_force & (matched["channel"].to_numpy() == HERE)
    partners = settings.partners
    guess = np.where(rng.random(n) < 0.4, pick(rng, partners, n) if partners else OTHER_INSURERS[0],
                     pick(rng, OTHER_INSURERS, n))
    claims["insurer"] = np.where(in_force, matched["insurer"].to_numpy(), guess)
    claims["claim_no"] = _claim_numbers(claims["insurer"].to_numpy(), claims["report_date"])

    assessed = np.clip(np.rint(rng.lognormal(np.log(3500), 0.85, size=n) * 100), 30000, 20_000_000)
    edge = rng.random(n)
    assessed = np.where(edge < 0.01, 500000, np.where(edge > 0.99, 1000000, assessed))  # band edges (§4.3)
    repair = 2 + np.rint(assessed / 100_000 * 1.2) + rng.integers(0, 9, size=n)
    settled_date = claims["report_date"].to_numpy("datetime64[D]") + days(repair.astype(int))
    withdrawn = rng.random(n) < 0.02
    fresh = (claims["report_date"].to_numpy("datetime64[D]") >= end - 2 * DAY) & (rng.random(n) < 0.5)
    settled = ~withdrawn & ~fresh & (settled_date <= end)
    claims["status"] = np.where(withdrawn, WITHDRAWN, np.where(fresh, AWAITING, np.where(settled, SETTLED, REPAIRING)))
    claims["assessed_amount"] = np.where(withdrawn | fresh, np.nan, assessed / 100)
    claims["settled_amount"] = np.where(settled, np.rint(assessed * rng.uniform(0.9, 1.0, size=n)) / 100, np.nan)
    claims["settled_date"] = pd.to_datetime(np.where(settled, settled_date, np.datetime64("NaT"))).astype(
        "datetime64[ns]")
    claims["third_party"] = rng.random(n) < 0.14
    claims["adjuster"] = pick(rng, ADJUSTERS, n)
    claims["repaired_here"] = settled & (rng.random(n) < 0.88)
    return claims


def _claim_numbers(insurer: np.ndarray, report: pd.Series) -> np.ndarray:
    """Claim numbers in each insurer's style; the running serial makes each one unique."""
    n = len(insurer)
    serial = np.arange(1, n + 1)
    year = report.dt.year.astype(str).to_numpy()
    month = report.dt.month.astype(str).str.zfill(2).to_numpy()
    styles = {
        "人保财险": cat("RDAA", year, "1101", numbered(serial, 8)),
        "平安产险": cat("90", year, month, "1101", numbered(serial, 8)),  # 20 digits: kept as text
        "太平洋产险": cat("APEK", year, "11", numbered(serial, 9)),
    }
    out = cat("BA", year, month, numbered(serial, 6))
    for name, numbers in styles.items():
        out = np.where(insurer == name, numbers, out)
    return out


def _receivers(rng: np.random.Generator, insurer: np.ndarray) -> np.ndarray:
    n = len(insurer)
    out = person_names(rng, n)  # someone at an insurer we seldom deal with
    for name, people in RECEIVERS.items():
        out = np.where(insurer == name, pick(rng, people, n), out)
    return out


FORGOTTEN_HANDOVER = 0.015  # settled cases the desk never handed over (§1.3.1 Q8: within 10 days)
UNTYPED_REFUND = 0.06  # third-party money the insurer paid that nobody typed into 客户三者回款统计表


def _handovers(rng: np.random.Generator, claims: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Settled cases are handed to the insurer a few days after settling (§4.3 step 7), but for a
    few the desk forgot."""
    end = np.datetime64(as_of, "D")
    settled = claims[claims["settled_date"].notna()]
    done = settled[rng.random(len(settled)) >= FORGOTTEN_HANDOVER]
    date = done["settled_date"].to_numpy("datetime64[D]") + days(rng.integers(0, 8, size=len(done)))
    keep = date <= end
    h = pd.DataFrame({"claim_no": done["claim_no"].to_numpy()[keep], "insurer": done["insurer"].to_numpy()[keep],
                      "handover_date": pd.to_datetime(date[keep]).astype("datetime64[ns]"),
                      "amount": done["settled_amount"].to_numpy()[keep], "our_clerk": done["adjuster"].to_numpy()[keep],
                      "third_party": done["third_party"].to_numpy()[keep],
                      "settled_date": done["settled_date"].to_numpy()[keep]})
    h = h.sort_values(["handover_date", "claim_no"], kind="stable").reset_index(drop=True)
    n = len(h)
    first = int(rng.integers(1, 300))  # the pad of numbered forms did not start at 1
    h["handover_no"] = numbered(np.arange(first, first + n), 6)
    h["insurer_receiver"] = _receivers(rng, h["insurer"].to_numpy())
    recent = h["handover_date"].to_numpy("datetime64[D]") > end - 4 * DAY
    h["signed"] = ~((rng.random(n) < 0.01) | (recent & (rng.random(n) < 0.3)))
    return h


def _payments(rng: np.random.Generator, handovers: pd.DataFrame, settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """What each insurer paid: most on time, some late, some in part, some not, a few returned (§4.3 step 9)."""
    end = np.datetime64(as_of, "D")
    h = handovers
    n = len(h)
    handed = h["handover_date"].to_numpy("datetime64[D]")
    age = (end - handed).astype(int)
    # §4.3 step 10: due a month after handover, or sooner when the insurer promised sooner
    due = np.array([min(settings.thresholds.payment_days, settings.insurer(i).promised_days) for i in h["insurer"]],
                   dtype=int) if n else np.zeros(0, int)
    # recent cases are still being chased; old ones were mostly settled in the end
    recent = age <= 180
    u = rng.random(n)
    returned = u < 0.02
    unpaid = ~returned & (u < 0.02 + np.where(recent, 0.08, 0.008))
    partial = ~returned & ~unpaid & (rng.random(n) < np.where(recent, 0.05, 0.008))
    late = ~returned & ~unpaid & ~partial & (rng.random(n) < 0.15)
    delay = np.where(late, due + rng.integers(1, 61, size=n), rng.integers(3, np.maximum(due, 4) + 1, size=n))
    paid_date = handed + days(delay)
    paid = ~returned & ~unpaid & (paid_date <= end)
    amount_cents = np.rint(h["amount"].to_numpy(dtype=float) * 100)
    paid_cents = np.where(partial, np.rint(amount_cents * rng.uniform(0.85, 0.98, size=n)), amount_cents)
    p = pd.DataFrame({
        "claim_no": h["claim_no"].to_numpy(), "insurer": h["insurer"].to_numpy(), "amount_due": amount_cents / 100,
        "paid_date": pd.to_datetime(np.where(paid, paid_date, np.datetime64("NaT"))).astype("datetime64[ns]"),
        "paid_amount": np.where(paid, paid_cents / 100, np.nan), "returned": returned,
    })
    no_row_yet = (age <= 30) & (rng.random(n) < 0.04) & ~paid  # the clerk has not entered it yet
    return p[~no_row_yet].reset_index(drop=True)


def _tp_refunds(rng: np.random.Generator, claims: pd.DataFrame, payments: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Third-party money the insurer paid, refunded to the customer after five approvals (§4.3 step 11)."""
    end = np.datetime64(as_of, "D")
    paid = payments[payments["paid_date"].notna()][["claim_no", "paid_date"]]
    t = claims[claims["third_party"]].merge(paid, on="claim_no")
    t = t.sort_values(["paid_date", "claim_no"], kind="stable").reset_index(drop=True)
    n = len(t)
    insurer_paid = t["paid_date"].to_numpy("datetime64[D]")
    u = rng.random(n)
    lag = np.where(u < 0.85, rng.integers(1, 7, size=n), rng.integers(8, 26, size=n))
    stuck = rng.random(n) < 0.05
    refund = insurer_paid + days(lag)
    done = ~stuck & (refund <= end)
    # a refund not yet paid has some of its approvals; a paid one has all five and the signature
    approvals = np.where(done, 5, rng.integers(0, 5, size=n))
    names = [t["adjuster"].to_numpy(), SERVICE_MANAGER, CASHIER, FINANCE_MANAGER, STORE_MANAGER]
    keys = ("sign_adjuster", "sign_service_manager", "sign_cashier", "sign_finance_manager", "sign_store_manager")
    out = pd.DataFrame({
        "claim_no": t["claim_no"].to_numpy(), "customer": t["customer"].to_numpy(),
        "bank_account": bank_accounts(rng, n),
        "amount": np.rint(rng.uniform(300, 8000, size=n) * 100) / 100,
        "insurer_paid_date": pd.to_datetime(insurer_paid).astype("datetime64[ns]"),
    })
    for i, (key, name) in enumerate(zip(keys, names)):
        out[key] = np.where(approvals > i, name, None)
    out["refund_date"] = pd.to_datetime(np.where(done, refund, np.datetime64("NaT"))).astype("datetime64[ns]")
    out["customer_signed"] = np.where(done, True, np.where(rng.random(n) < 0.5, False, None))
    return out[rng.random(n) >= UNTYPED_REFUND].reset_index(drop=True)  # paid, never typed: still owed


def _old_parts(rng: np.random.Generator, claims: pd.DataFrame, handovers: pd.DataFrame,
               as_of: dt.date) -> pd.DataFrame:
    """Replaced parts of cases repaired here, handed to the insurer or destroyed, signed for (§4.3 step 8)."""
    end = np.datetime64(as_of, "D")
    c = claims[claims["repaired_here"] & (claims["assessed_amount"] >= 1500)]
    c = c[rng.random(len(c)) < 0.5]
    count = np.where(rng.random(len(c)) < 0.25, 2, 1)
    c = c.loc[c.index.repeat(count)].reset_index(drop=True)
    n = len(c)
    part = pick(rng, PARTS, n)
    paired = np.isin(part, ("后视镜", "雷达探头", "车门")) & (rng.random(n) < 0.3)
    date = c["settled_date"].to_numpy("datetime64[D]") + days(rng.integers(0, 11, size=n))
    recent = c["settled_date"].to_numpy("datetime64[D]") > end - 60 * DAY
    signed = (date <= end) & (rng.random(n) < np.where(recent, 0.9, 0.995))
    receiver = handovers.set_index("claim_no")["insurer_receiver"]
    signer = c["claim_no"].map(receiver).to_numpy(dtype=object)
    signer = np.where(pd.isna(signer), _receivers(rng, c["insurer"].to_numpy()), signer)
    return pd.DataFrame({
        "claim_no": c["claim_no"].to_numpy(), "part": part, "qty": np.where(paired, 2, 1),
        "disposal": pick(rng, DISPOSALS, n, (0.75, 0.25)),
        "handover_date": pd.to_datetime(np.where(signed, date, np.datetime64("NaT"))).astype("datetime64[ns]"),
        "insurer_signer": np.where(signed, signer, None), "signed": signed,
    })

