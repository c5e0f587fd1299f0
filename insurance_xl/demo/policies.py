"""The demo store's vehicles, sales and policy register (一车一档, one row per vehicle and year).

Own-brand vehicles are sold over the three years before as-of and insured on the day (新保, most
本店, some 他处). Each year a vehicle's next policy is renewed here (续保), lost to another insurer
or agent (他处), or the vehicle goes (sold on, scrapped, never answers); a 他处 customer is
sometimes won back (转保). Vehicles of other brands serviced here either keep policies with us
(first 转保) or only come in for repairs (claims). Every draw is a whole column at a time.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .people import cat, digits, id_numbers, mobile_phones, numbered, person_names, pick, unique_plates, vins
from ..registers import BUSINESS_TYPES, ELSEWHERE, HERE
from ..settings import Settings

NEW, RENEWAL, SWITCH = BUSINESS_TYPES
DAY = np.timedelta64(1, "D")

# brand, model, maker code (WMI), share of sales, first-year commercial premium (yuan), seats
OWN_MODELS = (
    ("斯巴鲁", "森林人", "JF2", 0.34, 5200, 5), ("斯巴鲁", "XV", "JF2", 0.20, 4300, 5),
    ("斯巴鲁", "傲虎", "JF2", 0.20, 5800, 5), ("斯巴鲁", "力狮", "JF1", 0.12, 4700, 5),
    ("斯巴鲁", "BRZ", "JF1", 0.07, 6300, 4), ("斯巴鲁", "WRX", "JF1", 0.07, 6800, 5),
)
OTHER_MODELS = (
    ("丰田", "凯美瑞", "LVG", 0.14, 4800, 5), ("丰田", "汉兰达", "LVG", 0.08, 6200, 7),
    ("本田", "雅阁", "LHG", 0.13, 4700, 5), ("本田", "CR-V", "LVH", 0.12, 4600, 5),
    ("大众", "迈腾", "LFV", 0.12, 4500, 5), ("大众", "途观L", "LSV", 0.11, 5000, 5),
    ("别克", "GL8", "LSG", 0.10, 5600, 7), ("日产", "天籁", "LGB", 0.10, 4200, 5),
    ("日产", "奇骏", "LGB", 0.10, 4300, 5),
)
# Insurers a customer may be with elsewhere, besides our partners (§2.3.1: 他处 may name any insurer).
OTHER_INSURERS = ("阳光保险", "国寿财险", "大地保险", "中华联合", "太平财险", "华安保险")
CLERKS = ("周敏", "吴静", "郑洁")
SALESPEOPLE = ("钱进", "孙丽", "李强", "赵磊", "王芳")
# coverage combination, share of commercial premium it costs, weight (§1.3.1)
COVERAGES = (
    ("交强险", 0.0, 0.04),
    ("交强险+三者险", 0.30, 0.14),
    ("交强险+三者险+车损险", 0.85, 0.34),
    ("交强险+三者险+车损险+车上人员责任险", 0.92, 0.28),
    ("交强险+三者险+车损险+车上人员责任险+车身划痕损失险", 1.0, 0.12),
    ("交强险+三者险+车损险+车上人员责任险+医保外医疗费用责任险", 0.97, 0.08),
)
DEMO_TIERS = ("5万", "10万", "15万", "20万", "30万", "50万", "100万", "100万以上")  # of THIRD_PARTY_TIERS
TIER_WEIGHTS = (0.01, 0.03, 0.01, 0.04, 0.06, 0.20, 0.45, 0.20)  # aligned with DEMO_TIERS
COMPULSORY_BASE = {5: 950.0, 4: 950.0, 7: 1100.0}  # 交强险 base premium by seats
COMPULSORY_FLOAT = (1.0, 0.9, 0.8, 0.7)  # claim-free years 0, 1, 2, 3+
COMMERCIAL_NCD = (1.0, 0.85, 0.75, 0.65)
# next year's channel from this year's: (本店, 他处, gone)
FROM_HERE = (0.72, 0.22, 0.06)
FROM_ELSEWHERE = (0.25, 0.63, 0.12)


@dataclass(frozen=True)
class Fleet:
    vehicles: pd.DataFrame  # one row per vehicle: identity, owner, brand, model, kind, dates
    policies: pd.DataFrame  # one row per policy period, with working columns (vid, next, resolved…)


def days(values) -> np.ndarray:
    return np.asarray(values).astype("timedelta64[D]")


def build_fleet(rng: np.random.Generator, settings: Settings, vehicles: int, as_of: dt.date) -> Fleet:
    fleet = _vehicles(rng, vehicles, as_of)
    policies = _policy_rows(rng, fleet, settings, as_of)
    has_policy = fleet["vid"].isin(policies["vid"])
    first = policies.groupby("vid")["policy_start"].min()
    order = fleet[has_policy].assign(first=fleet["vid"].map(first)).sort_values(["first", "vid"])["vid"]
    archive = pd.Series(cat("DA", numbered(np.arange(1, len(order) + 1), 6)), index=order.values)
    fleet["archive_no"] = fleet["vid"].map(archive)
    policies["archive_no"] = policies["vid"].map(archive)
    return Fleet(fleet, policies.sort_values(["archive_no", "policy_start"], kind="stable").reset_index(drop=True))


def _vehicles(rng: np.random.Generator, own: int, as_of: dt.date) -> pd.DataFrame:
    """Own-brand vehicles sold over three years, plus other brands that come here for service."""
    end = np.datetime64(as_of, "D")
    start = np.datetime64(as_of - pd.DateOffset(years=3), "D") + DAY
    calendar = np.arange(start, end + DAY, DAY)
    months = calendar.astype("datetime64[M]").astype(int) % 12
    season = np.array([0.8, 0.55, 1.1, 1.0, 1.05, 1.0, 0.9, 0.95, 1.1, 1.15, 1.0, 1.2])[months]
    weekday = np.where(((calendar.astype("datetime64[D]").astype(int) + 3) % 7) >= 5, 1.4, 1.0)
    trend = np.linspace(0.85, 1.15, len(calendar))
    sale = np.sort(pick(rng, calendar, own, season * weekday * trend))

    others = int(round(own * 0.3))
    n = own + others
    kind = np.array(["own"] * own + ["other_policy" if i else "other_claims" for i in rng.random(others) < 0.35],
                    dtype=object)
    own_model = rng.choice(len(OWN_MODELS), size=own, p=[m[3] for m in OWN_MODELS])
    other_model = rng.choice(len(OTHER_MODELS), size=others, p=[m[3] for m in OTHER_MODELS])
    models = [OWN_MODELS[i] for i in own_model] + [OTHER_MODELS[i] for i in other_model]
    brand, model, wmi, _, base, seats = (np.array(col, dtype=object) for col in zip(*models)) if n else [[]] * 6
    # other brands were registered one to seven years before as-of; their policy year starts then
    registered = end - days(rng.integers(400, 7 * 365, size=others))
    since = np.concatenate([sale, registered]) if n else np.array([], dtype="datetime64[D]")
    model_year = since.astype("datetime64[Y]").astype(int) + 1970 + (rng.random(n) < 0.3)
    serial = rng.choice(900_000, size=n, replace=False) + 100_000
    return pd.DataFrame({
        "vid": np.arange(n), "kind": kind, "brand": brand, "model": model,
        "vin": vins(rng, np.asarray(wmi, dtype=object), model_year, serial),
        "plate": unique_plates(rng, n), "customer": person_names(rng, n), "phone": mobile_phones(rng, n),
        "id_number": id_numbers(rng, n), "since": since.astype("datetime64[ns]"),
        "base_commercial": np.asarray(base, dtype=float), "seats": np.asarray(seats, dtype=int),
        "clerk": pick(rng, CLERKS, n, (0.4, 0.35, 0.25)), "salesperson": pick(rng, SALESPEOPLE, n),
    })


def _first_policies(rng: np.random.Generator, fleet: pd.DataFrame, partners: tuple[str, ...],
                    as_of: dt.date) -> pd.DataFrame:
    end = np.datetime64(as_of, "D")
    own = fleet[fleet["kind"] == "own"]
    n = len(own)
    sale = own["since"].to_numpy("datetime64[D]")
    here = rng.random(n) < 0.86  # DOMAIN.md worked example: a first-insurance rate around 85 %
    start = sale + days(rng.random(n) < 0.3)
    issue = np.where(here | (rng.random(n) < 0.3), sale, np.datetime64("NaT"))
    first = pd.DataFrame({"vid": own["vid"].to_numpy(), "channel": np.where(here, HERE, ELSEWHERE),
                          "business_type": NEW, "policy_start": start, "issue_date": issue})
    # other brands switch to us on a policy anniversary within the three years (转保)
    other = fleet[fleet["kind"] == "other_policy"]
    m = len(other)
    since = other["since"].to_numpy("datetime64[D]")
    latest = end - 20 * DAY  # the latest anniversary far enough before as-of to have been issued
    years = latest.astype("datetime64[Y]").astype(int) - since.astype("datetime64[Y]").astype(int)
    years = np.where(_add_years(since, years) > latest, years - 1, years)
    start_o = _add_years(since, np.maximum(years - rng.integers(0, 3, size=m), 1))
    issue_o = start_o - days(rng.integers(1, 21, size=m))
    switched = pd.DataFrame({"vid": other["vid"].to_numpy(), "channel": HERE, "business_type": SWITCH,
                             "policy_start": start_o, "issue_date": issue_o})
    rows = pd.concat([first, switched], ignore_index=True)
    rows["insurer"] = _insurers_for(rng, rows["channel"].to_numpy(), partners)
    rows["lapse"] = 0
    return rows


def _add_years(days_: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Same month and day `years` later; 29 February becomes 1 March in a common year."""
    ymd = pd.DatetimeIndex(days_)
    year = ymd.year.to_numpy() + years
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    moved = (ymd.month == 2) & (ymd.day == 29) & ~leap
    frame = pd.DataFrame({"year": year, "month": np.where(moved, 3, ymd.month), "day": np.where(moved, 1, ymd.day)})
    return pd.to_datetime(frame).to_numpy().astype("datetime64[D]") if len(frame) else days_


def _insurers_for(rng: np.random.Generator, channel: np.ndarray, partners: tuple[str, ...]) -> np.ndarray:
    n = len(channel)
    weights = np.array([0.45, 0.3, 0.25, 0.15, 0.1, 0.05][:len(partners)])
    ours = pick(rng, partners, n, weights) if partners else np.full(n, OTHER_INSURERS[0], dtype=object)
    anyone = np.where(rng.random(n) < 0.4, ours, pick(rng, OTHER_INSURERS, n))
    return np.where(channel == HERE, ours, anyone)


def _policy_rows(rng: np.random.Generator, fleet: pd.DataFrame, settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """Follow every insured vehicle year by year until as-of; keep what the store knows by then."""
    partners = settings.partners
    end = np.datetime64(as_of, "D")
    current = _first_policies(rng, fleet, partners, as_of)
    current["year_no"] = 0
    done: list[pd.DataFrame] = []
    while len(current):
        current["policy_end"] = _add_years(current["policy_start"].to_numpy("datetime64[D]"),
                                           np.ones(len(current), int)) - DAY
        n = len(current)
        here = current["channel"].to_numpy() == HERE
        u = rng.random(n)
        p_here = np.where(here, FROM_HERE[0], FROM_ELSEWHERE[0])
        p_else = np.where(here, FROM_HERE[1], FROM_ELSEWHERE[1])
        nxt = np.where(u < p_here, HERE, np.where(u < p_here + p_else, ELSEWHERE, "gone"))
        lapse = np.where((nxt == HERE) & (rng.random(n) < 0.06), rng.integers(1, 61, size=n), 0)
        cur_end = current["policy_end"].to_numpy("datetime64[D]")
        start = cur_end + DAY + days(lapse)
        # the day the store learns the outcome: renewal issued, told "insured elsewhere", or told "sold"
        issue_here = start - days(np.where(lapse > 0, rng.integers(0, 4, size=n), rng.integers(0, 31, size=n)))
        learned_else = start - days(rng.integers(-10, 26, size=n))
        told_gone = np.where(rng.random(n) < 0.6, cur_end - days(rng.integers(0, 31, size=n)), np.datetime64("NaT"))
        resolved = np.where(nxt == HERE, issue_here, np.where(nxt == ELSEWHERE, learned_else, told_gone))
        known = ~np.isnat(resolved) & (resolved <= end)
        current["next"] = np.where(known, nxt, "pending")
        current["resolved"] = np.where(known, resolved, np.datetime64("NaT"))
        done.append(current)

        follow = known & (nxt != "gone")
        prev = current[follow]
        m = len(prev)
        channel = nxt[follow]
        stay = (prev["channel"].to_numpy() == HERE) & (channel == HERE) & (rng.random(m) < 0.8)
        insurer = np.where(stay, prev["insurer"].to_numpy(), _insurers_for(rng, channel, partners))
        else_start = start[follow]
        else_issue = np.where(rng.random(m) < 0.25, np.minimum(else_start - days(rng.integers(0, 16, size=m)), end),
                              np.datetime64("NaT"))
        current = pd.DataFrame({
            "vid": prev["vid"].to_numpy(), "channel": channel,
            "business_type": np.where((channel == HERE) & (prev["channel"].to_numpy() == ELSEWHERE), SWITCH, RENEWAL),
            "policy_start": start[follow], "issue_date": np.where(channel == HERE, issue_here[follow], else_issue),
            "insurer": insurer, "lapse": lapse[follow], "year_no": prev["year_no"].to_numpy() + 1,
        })
    rows = pd.concat(done, ignore_index=True)
    for col in ("policy_start", "policy_end", "issue_date", "resolved"):
        rows[col] = pd.to_datetime(rows[col]).astype("datetime64[ns]")
    return _fill_policy_details(rng, rows, fleet, settings)


def _fill_policy_details(rng: np.random.Generator, rows: pd.DataFrame, fleet: pd.DataFrame,
                         settings: Settings) -> pd.DataFrame:
    """Coverages, premiums, commission, policy numbers and the clerk's habits, row by row in columns."""
    n = len(rows)
    veh = fleet.set_index("vid").loc[rows["vid"]].reset_index()
    here = rows["channel"].to_numpy() == HERE
    cover = rng.choice(len(COVERAGES), size=n, p=[c[2] for c in COVERAGES])
    coverages = np.array([c[0] for c in COVERAGES], dtype=object)[cover]
    cover_share = np.array([c[1] for c in COVERAGES])[cover]
    tier = pick(rng, DEMO_TIERS, n, TIER_WEIGHTS)
    claim_free = np.minimum(rows["year_no"].to_numpy(), 3)
    claim_free = np.where(rng.random(n) < 0.2, 0, claim_free)  # a claim last year resets the discount
    claim_free = np.where(veh["kind"].to_numpy() == "own", claim_free, rng.integers(0, 4, size=n))
    base = np.array([COMPULSORY_BASE[s] for s in veh["seats"]]) if n else np.zeros(0)
    compulsory = base * np.array(COMPULSORY_FLOAT)[claim_free]
    compulsory = np.where(rng.random(n) < 0.03, base * 1.1, compulsory)  # two claims: +10 %
    age = 0.95 ** rows["year_no"].to_numpy()
    commercial_cents = np.rint(veh["base_commercial"].to_numpy() * np.array(COMMERCIAL_NCD)[claim_free] * age
                               * cover_share * rng.uniform(0.92, 1.08, size=n) * 100)
    commercial = np.where(cover_share > 0, commercial_cents / 100, np.nan)
    rate_c = np.array([settings.insurer(i).commission_rate_commercial for i in rows["insurer"]])
    rate_j = np.array([settings.insurer(i).commission_rate_compulsory for i in rows["insurer"]])
    commission = np.rint(np.nan_to_num(commercial) * 100 * rate_c + compulsory * 100 * rate_j) / 100
    # a 他处 row often knows no premium or policy number (DOMAIN.md "Validation")
    known_money = here | (rng.random(n) < 0.3)
    rows["coverages"] = np.where(here | (rng.random(n) < 0.5), coverages, None)
    rows["third_party_limit"] = np.where(pd.Series(coverages).str.contains("三者险").to_numpy(), tier, None)
    rows.loc[~here & rows["coverages"].isna(), "third_party_limit"] = None
    rows["compulsory_premium"] = np.where(known_money, compulsory, np.nan)
    rows["commercial_premium"] = np.where(known_money, commercial, np.nan)
    rows["commission"] = np.where(here, commission, np.nan)
    rows["policy_no"] = np.where(here | (rng.random(n) < 0.2),
                                 _policy_numbers(rng, rows["insurer"].to_numpy(), rows["policy_start"]), None)
    rows["clerk"] = np.where(here, np.where(rng.random(n) < 0.9, veh["clerk"], pick(rng, CLERKS, n)),
                             np.where(rng.random(n) < 0.3, veh["clerk"], None))
    rows["archive_clerk"] = veh["clerk"].to_numpy()
    for col in ("customer", "phone", "brand", "model", "kind"):
        rows[col] = veh[col].to_numpy()
    # what clerks leave blank: ID numbers often, the plate of a car not yet registered, a VIN or brand
    first = rows["year_no"].to_numpy() == 0
    rows["id_number"] = np.where(here & (rng.random(n) < 0.6), veh["id_number"], None)
    rows["plate"] = np.where(first & (rows["business_type"].to_numpy() == NEW) & (rng.random(n) < 0.3),
                             None, veh["plate"])
    rows["vin"] = np.where(~first & (rng.random(n) < 0.05), None, veh["vin"])
    rows["brand"] = np.where(rng.random(n) < 0.03, None, rows["brand"])
    return rows


def _policy_numbers(rng: np.random.Generator, insurer: np.ndarray, start: pd.Series) -> np.ndarray:
    """Policy numbers in each insurer's own style; the random serial makes each one unique."""
    n = len(insurer)
    serial = numbered(rng.choice(10**9, size=n, replace=False), 10)
    year = start.dt.year.astype(str).to_numpy()
    styles = {
        "人保财险": cat("PDAA", year, "1101", serial),  # letters then digits
        "平安产险": cat("1", digits(rng, n, 1), "0", year, "0", serial, digits(rng, n, 2)),  # 20 digits: text only
        "太平洋产险": cat("ABEJ", "11", year, "E", serial),
    }
    other = cat("P", digits(rng, n, 2), year, serial)
    out = other.copy()
    for name, numbers in styles.items():
        out = np.where(insurer == name, numbers, out)
    return out
