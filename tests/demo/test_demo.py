"""The demo store: deterministic, realistic, clean under DOMAIN.md's validation rules, written the way
clerks write, and read back to exactly the tables it was made from."""
import datetime as dt
import os
import shutil
import subprocess
import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from insurance_xl.cli import main
from insurance_xl.demo.store import demo_settings, demo_tables, write_demo_store
from insurance_xl.reading.store import read_store
from insurance_xl.registers import (BUSINESS_TYPES, CHANNELS, CLOSING_OUTCOMES, CONTACT_METHODS, DATA_REGISTERS,
                                    DISPOSALS, FAILURE_REASONS, OUTCOMES, REGISTERS, ROW, THIRD_PARTY_TIERS, Kind)
from insurance_xl.settings import load_settings

AS_OF = dt.date(2026, 11, 24)
HERE, ELSEWHERE = CHANNELS
NEW, RENEWAL, SWITCH = BUSINESS_TYPES


@pytest.fixture(scope="module")
def tables():
    return demo_tables(2026, 1500, as_of=AS_OF)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    paths = write_demo_store(folder, seed=2026, vehicles=1500, as_of=AS_OF)
    return paths, read_store(paths[0])


def test_same_seed_and_date_give_the_same_store_and_another_seed_another():
    first, again, other = (demo_tables(seed, 60, as_of=AS_OF) for seed in (11, 11, 12))
    for key in DATA_REGISTERS:
        pd.testing.assert_frame_equal(first[key], again[key])
    assert not first["policies"]["vin"].equals(other["policies"]["vin"])
    assert not first["claims"]["report_date"].equals(other["claims"]["report_date"])


def test_tables_are_typed_exactly_like_the_reader_returns_them(tables, written):
    _, registers = written
    for key in DATA_REGISTERS:
        assert tables[key].dtypes.to_dict() == registers[key].dtypes.to_dict(), key


def test_written_store_reads_back_without_findings_to_the_same_values_row_for_row(tables, written):
    _, registers = written
    assert registers.missing == () and registers.unrecognised == []
    assert [f.message for f in registers.findings] == []
    for key in DATA_REGISTERS:
        got = registers[key].set_index(ROW).sort_index()
        expected = tables[key].set_index(ROW).sort_index()
        assert got.index.tolist() == expected.index.tolist(), key
        for col in [*REGISTERS[key].keys, "_workbook", "_sheet"]:
            pd.testing.assert_series_equal(got[col], expected[col], check_names=False, obj=f"{key}.{col}")


def test_store_is_written_the_way_clerks_write(written):
    (store, _), registers = written
    layouts = {lay.register: lay for lay in registers.layouts}
    header_rows = {lay.header_row for lay in layouts.values()}
    assert header_rows <= {1, 2, 3} and header_rows - {1}  # below merged title rows, mostly
    money = [k for k in DATA_REGISTERS if any(c.kind is Kind.MONEY for c in REGISTERS[k].columns)]
    assert all(len(layouts[k].total_rows) == 1 for k in money)  # a 合计 row under every money register
    assert sum(lay.blank_rows for lay in layouts.values()) > 0
    assert all("备注" in lay.extras for lay in layouts.values())
    headers = [header for lay in layouts.values() for _, header in lay.columns.values()]
    declared = {c.header for reg in REGISTERS.values() for c in reg.columns}
    assert any(h not in declared for h in headers)  # aliases, units, odd spacing
    with zipfile.ZipFile(store) as archive:  # merged title rows above the header
        sheets = [archive.read(f"xl/worksheets/sheet{i + 1}.xml").decode() for i in range(len(DATA_REGISTERS))]
    assert all(("<mergeCell " in xml) == (layouts[key].header_row > 1) for key, xml in zip(DATA_REGISTERS, sheets))
    book = load_workbook(store, read_only=True)
    claims = book[REGISTERS["claims"].sheet]
    cells = [v for row in claims.iter_rows(values_only=True) for v in row if v is not None]
    book.close()
    texts = [v for v in cells if isinstance(v, str)]
    assert any(isinstance(v, dt.datetime) for v in cells) and any(isinstance(v, bool) for v in cells)
    for mark in ("年", "/", "¥", "元", ",", "√", "×", "Y", "N", "TRUE", "FALSE"):  # as clerks type them
        assert any(mark in t for t in texts), mark
    assert any(any("０" <= ch <= "９" for ch in t) for t in texts)  # full-width digits


def test_settings_file_loads_to_the_demo_settings(written):
    (_, toml), _ = written
    loaded = load_settings(toml)
    assert loaded == demo_settings()
    assert len(loaded.partners) == 3 and len({i.promised_days for i in loaded.insurers.values()}) == 3
    assert loaded.mail.transport == "outbox"


def test_store_is_clean_under_the_validation_rules_of_domain(tables):
    """Every error rule of DOMAIN.md "Validation", checked here directly on the tables."""
    settings = demo_settings()
    p, c = tables["policies"], tables["claims"]
    # required values
    for col in ("archive_no", "customer", "insurer", "channel", "business_type", "policy_start", "policy_end"):
        assert p[col].notna().all(), col
    assert (p["plate"].notna() | p["vin"].notna()).all()
    assert p.loc[p["channel"] == HERE, "policy_no"].notna().all()
    assert c[["claim_no", "report_date", "plate"]].notna().all().all()
    for key in ("handovers", "old_parts", "payments", "tp_refunds"):
        assert tables[key]["claim_no"].notna().all() and tables[key]["claim_no"].isin(c["claim_no"]).all(), key
    assert tables["contacts"][["archive_no", "contact_date", "method"]].notna().all().all()
    assert tables["sales"]["sale_date"].notna().all() and tables["commission_settlements"]["month"].notna().all()
    # allowed values
    for key in DATA_REGISTERS:
        for col in REGISTERS[key].columns:
            if col.kind is Kind.CHOICE:
                assert tables[key][col.key].dropna().isin(col.choices).all(), (key, col.key)
    assert tables["commission_settlements"]["month"].str.fullmatch(r"\d{4}-\d{2}").all()
    # dates and amounts
    assert (p["policy_end"] > p["policy_start"]).all()
    for key in DATA_REGISTERS:
        for col in REGISTERS[key].columns:
            if col.kind is Kind.MONEY:
                assert (tables[key][col.key].dropna() >= 0).all(), (key, col.key)
    # identifiers
    for key in ("sales", "policies"):
        assert tables[key]["vin"].dropna().str.fullmatch(r"[A-HJ-NPR-Z0-9]{17}").all(), key
    assert not c["claim_no"].duplicated().any()
    assert not p["policy_no"].dropna().duplicated().any()
    assert not tables["sales"]["vin"].duplicated().any()
    # partners only on 本店 rows (§2.3.1)
    assert p.loc[p["channel"] == HERE, "insurer"].isin(settings.partners).all()
    # a refund paid has all five approvals and the customer's signature (§4.3 step 11)
    t = tables["tp_refunds"]
    paid = t[t["refund_date"].notna()]
    signs = ["sign_adjuster", "sign_service_manager", "sign_cashier", "sign_finance_manager", "sign_store_manager"]
    assert len(paid) and paid[signs].notna().all().all() and paid["customer_signed"].fillna(False).all()
    # and none of the warnings that would not be realistic here
    for key in ("sales", "policies"):
        assert tables[key]["phone"].dropna().str.fullmatch(r"1\d{10}").all()
    assert (p["issue_date"].dropna() <= pd.Timestamp(AS_OF)).all()
    m = tables["payments"]
    assert (m["paid_amount"].fillna(0) <= m["amount_due"]).all()


def test_store_looks_like_a_dealership_over_three_years(tables):
    sales, p, c = tables["sales"], tables["policies"], tables["claims"]
    as_of = pd.Timestamp(AS_OF)
    assert len(sales) == 1500 and (sales["brand"] == "斯巴鲁").all()
    assert sales["sale_date"].between(as_of - pd.DateOffset(years=3), as_of).all()
    # 一车一档: one archive, one 新保 period per own-brand vehicle (DOMAIN.md rev 2: its 交强险 and 商业险
    # as one row or two), one period per vehicle and year
    new = p[p["business_type"] == NEW].drop_duplicates(["vin", "policy_start"])
    assert new["vin"].dropna().is_unique and set(new["vin"]) == set(sales["vin"])
    assert (p.groupby("archive_no")["vin"].nunique() <= 1).all()
    periods = p.drop_duplicates(["archive_no", "policy_start"])
    years = periods.groupby(["archive_no", periods["policy_start"].dt.year]).size()
    assert (years <= 2).all()  # a renewal lapsing past the anniversary can start a second time in a year
    here_new = (new["channel"] == HERE).mean()
    assert 0.75 < here_new < 0.95
    assert {(ch, bt) for ch, bt in zip(p["channel"], p["business_type"])} >= {
        (HERE, NEW), (ELSEWHERE, NEW), (HERE, RENEWAL), (ELSEWHERE, RENEWAL), (HERE, SWITCH)}
    elsewhere = p[p["channel"] == ELSEWHERE]
    assert elsewhere["policy_no"].isna().mean() > 0.5 and elsewhere["commercial_premium"].isna().mean() > 0.5
    assert not elsewhere["insurer"].isin(demo_settings().partners).all()
    here = p[p["channel"] == HERE]
    assert set(here["compulsory_premium"].round()) >= {665, 760, 855, 950, 1100}
    assert here["commercial_premium"].dropna().between(300, 10_000).all()
    assert set(p["third_party_limit"].dropna()) <= set(THIRD_PARTY_TIERS)
    # commission comes from the insurer's rates
    rates = demo_settings().insurers
    expected = [round(rates[i].commission_rate_commercial * (0 if pd.isna(cm) else cm)
                      + rates[i].commission_rate_compulsory * (0 if pd.isna(cp) else cp), 2)
                for i, cm, cp in zip(here["insurer"], here["commercial_premium"], here["compulsory_premium"])]
    assert np.allclose(here["commission"], expected, atol=0.011)
    # other brands serviced here: in claims, some with policies here
    assert (~c["plate"].isin(sales["plate"])).any() and (p["brand"].dropna() != "斯巴鲁").any()
    assert set(c["insured_here"]) == {True, False}


def test_the_demo_keeps_both_register_shapes_and_a_few_cancellations(tables):
    """DOMAIN.md rev 2: about half the 本店 periods holding both covers are a 交强险 row and a 商业险 row,
    the rest one row with 交强险保单号 beside 保单号; a few 商业险 are cancelled with their refunds."""
    p = tables["policies"]
    here = p[p["channel"] == HERE]
    two_rows = here[here["compulsory_premium"].isna() != here["commercial_premium"].isna()]
    pairs = two_rows.groupby(["archive_no", "policy_start"]).size()
    one_row = here["compulsory_policy_no"].notna().sum()
    assert (pairs == 2).sum() > 0 and 0.35 < (pairs == 2).sum() / ((pairs == 2).sum() + one_row) < 0.65
    cancelled = p[p["cancel_date"].notna()]
    assert 3 <= len(cancelled) <= 0.03 * len(here)
    assert (cancelled["refund_premium"] > 0).all() and (cancelled["refund_premium"] < cancelled["commercial_premium"]).all()
    assert (cancelled["cancel_date"] > cancelled["policy_start"]).all() and (cancelled["cancel_date"] < cancelled["policy_end"]).all()


def test_every_command_has_something_to_show_as_of_the_store_date(tables):
    """Overdue cases, returned cases, refunds and old parts waiting, commission to write down, calls due,
    and last month's KPIs and reconciliation all have real rows."""
    settings = demo_settings()
    as_of = pd.Timestamp(AS_OF)
    last_month = (as_of.to_period("M") - 1)
    p, c, h, pay = tables["policies"], tables["claims"], tables["handovers"], tables["payments"]
    # KPIs and reconciliation of last month
    issued = p[(p["channel"] == HERE) & (p["issue_date"].dt.to_period("M") == last_month)]
    assert (tables["sales"]["sale_date"].dt.to_period("M") == last_month).sum() > 20
    assert set(issued["business_type"]) == set(BUSINESS_TYPES)
    assert set(issued["insurer"]) == set(settings.partners)
    assert (c["report_date"].dt.to_period("M") == last_month).sum() > 10
    assert ((p["policy_end"].dt.to_period("M") == last_month) & (p["channel"] == HERE)).sum() > 10
    # case bands (§4.3): all three, both edges of the middle band present
    assessed = c["assessed_amount"].dropna()
    assert (assessed < 5000).any() and assessed.between(5000, 10000).any() and (assessed > 10000).any()
    assert {5000.0, 10000.0} <= set(assessed)
    # overdue insurer payments (§4.3 step 10) and returned cases
    m = h.merge(pay, on="claim_no", how="left", suffixes=("", "_pay"))
    promised = m["insurer"].map({k: v.promised_days for k, v in settings.insurers.items()}).fillna(30)
    due = m["handover_date"] + pd.to_timedelta(np.minimum(30, promised), unit="D")
    open_ = m["paid_amount"].fillna(0) < m["amount_due"].fillna(m["amount"])
    overdue = m[open_ & (as_of > due) & ~m["returned"].fillna(False)]
    assert len(overdue) >= 10 and overdue["insurer"].isin(settings.partners).any()
    assert (overdue["paid_amount"].fillna(0) > 0).any()  # partly paid
    assert m["returned"].fillna(False).sum() >= 3
    assert (m["paid_date"] > due).any()  # paid late
    # third-party money waiting over 7 days, old parts unsigned over 7 days
    t = tables["tp_refunds"]
    assert (t["refund_date"].isna() & (as_of - t["insurer_paid_date"] > pd.Timedelta(days=7))).any()
    o = tables["old_parts"].merge(c[["claim_no", "settled_date"]], on="claim_no")
    assert (~o["signed"] & (as_of - o["settled_date"] > pd.Timedelta(days=7))).any()
    assert set(o["disposal"]) == set(DISPOSALS)
    # commission outstanding more than three months after its month (§4.9.4)
    s = tables["commission_settlements"]
    month_end = pd.PeriodIndex(s["month"], freq="M").end_time.normalize()
    stale = (s["received_amount"].fillna(0) < s["amount_due"]) & (as_of > month_end + pd.DateOffset(months=3))
    assert 1 <= stale.sum() <= 5 and s["received_amount"].notna().mean() > 0.8
    # renewal calls due: latest policies ending within 45 days, not closed by a contact
    contacts = tables["contacts"]
    latest = p.sort_values("policy_start").groupby("archive_no").tail(1)
    soon = latest[(latest["policy_end"] >= as_of) & (latest["policy_end"] <= as_of + pd.Timedelta(days=45))]
    closed = contacts[contacts["outcome"].isin(CLOSING_OUTCOMES)]["archive_no"]
    assert (~soon["archive_no"].isin(closed)).sum() > 20
    assert set(soon["channel"]) == set(CHANNELS)  # renewals to win and customers to win back
    assert set(contacts["outcome"].dropna()) == set(OUTCOMES)
    assert set(contacts["failure_reason"].dropna()) == set(FAILURE_REASONS)
    assert set(contacts["method"]) == set(CONTACT_METHODS)
    assert (contacts["contact_date"] <= as_of).all()


@pytest.mark.slow
def test_thirty_thousand_vehicles_are_generated_vectorised():
    tables = demo_tables(1, 30_000, as_of=AS_OF)
    assert len(tables["sales"]) == 30_000 and len(tables["policies"]) > 55_000
    assert not tables["policies"]["policy_no"].dropna().duplicated().any()
    assert not tables["claims"]["claim_no"].duplicated().any()


def test_demo_command_writes_a_store_for_the_given_date(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "d"), "--seed", "5", "--vehicles", "20", "--as-of", "2026-03-31"]) == 0
    printed = capsys.readouterr().out.split()
    assert [os.path.basename(p) for p in printed] == ["store.xlsx", "settings.toml"]
    registers = read_store(tmp_path / "d" / "store.xlsx")
    expected = demo_tables(5, 20, as_of=dt.date(2026, 3, 31))
    assert registers.findings == []
    for key in DATA_REGISTERS:
        assert registers[key][list(REGISTERS[key].keys)].equals(
            expected[key].sort_values(ROW)[list(REGISTERS[key].keys)].reset_index(drop=True)), key


def test_demo_command_refuses_a_store_without_vehicles(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["demo", str(tmp_path), "--vehicles", "0"])
    assert "--vehicles" in capsys.readouterr().err


@pytest.mark.libreoffice
def test_libreoffice_opens_the_store_and_saves_the_same_values(tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) not installed: cannot check the demo store opens in a spreadsheet")
    store, _ = write_demo_store(tmp_path / "demo", seed=9, vehicles=20, as_of=AS_OF)
    out = tmp_path / "lo"
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    subprocess.run([soffice, profile, "--headless", "--convert-to", "xlsx", "--outdir", str(out), str(store)],
                   check=True, capture_output=True, timeout=180)
    original, resaved = read_store(store), read_store(out / "store.xlsx")
    assert resaved.findings == []
    for key in DATA_REGISTERS:
        assert resaved[key][list(REGISTERS[key].keys)].equals(original[key][list(REGISTERS[key].keys)]), key


def test_the_demo_has_cases_at_every_step_some_never_handed_over_and_third_party_money_never_typed(tables):
    from insurance_xl.core.claim_cases import STEPS, claim_cases
    from insurance_xl.core.claims import not_handed_over, third_party_waiting
    from insurance_xl.settings import Context
    from insurance_xl.tables import registers_from_tables

    registers = registers_from_tables(tables)
    ctx = Context(demo_settings(), AS_OF)
    steps = set(claim_cases(registers, ctx)["step"])
    assert steps >= {*STEPS[1:], "已完成"}
    assert len(not_handed_over(tables["claims"], tables["handovers"], ctx)) >= 3
    waiting = third_party_waiting(tables["claims"], tables["payments"], tables["tp_refunds"], ctx)
    assert (~waiting["recorded"]).sum() >= 2 and waiting["recorded"].sum() >= 1


def test_the_demo_owes_commission_for_a_month_never_entered_and_one_confirmed_by_letter(tables):
    from insurance_xl.core.commission_owed import SOURCE_POLICIES, commission_uncollected
    from insurance_xl.settings import Context

    owed = commission_uncollected(tables["commission_settlements"], Context(demo_settings(), AS_OF), tables["policies"])
    assert (owed["source"] == SOURCE_POLICIES).sum() == 1
    assert owed["confirmation_letter"].sum() == 1
