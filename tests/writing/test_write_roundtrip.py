"""Any register we write with write.write_register reads back identically through read_store
(STYLE.md "anything we write, we read back identically"; issue 10).

Values are drawn in the form the reader gives them (its canonical form: text without surrounding
spaces, identifiers folded and, where compared case-insensitively, upper-case without spaces; money
to the fen; dates within the years the reader accepts), so "identically" means equal tables. The one
documented exception: characters XML 1.0 cannot hold (C0 controls other than tab, line feed and
carriage return, lone surrogates, U+FFFE/U+FFFF) are dropped when written — see SECURITY.md; and
the invisible characters (zero-width, BOM, soft hyphen, direction marks) are dropped when read
(xlsx.grids.INVISIBLE, issue 21: pasted from insurers' web systems, they made ids differ).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pandas as pd
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from insurance_xl.tables import table_from_records
from insurance_xl.reading.store import read_store
from insurance_xl.registers import DATA_REGISTERS, REGISTERS, YES_NO, Column, Kind
from insurance_xl.xlsx.save import save_workbook
from insurance_xl.writing.sheet import write_register
from insurance_xl.xlsx.grids import INVISIBLE
from insurance_xl.xlsx.texts import xml_safe_text

CHINESE = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
XML_UNSAFE = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]))
TRICKY_TEXT = ("=1+1", "+8613800000000", "-5", "@SUM(A1)", "=HYPERLINK(\"http://x\",\"点我\")", "第一行\n第二行", "a\tb",
               "_x0041_", "_x000D_换行", "'前导单引号", "0012", "1.50E+17", "TRUE", "#N/A", "张三（李四）", "、。！", "😀车",
               "x" * 3000)


def _text(upper: bool = False) -> st.SearchStrategy[str]:
    alphabet = st.one_of(CHINESE, st.characters(codec="utf-8", exclude_categories=("Cs",)), st.sampled_from("=+-@_x\n\t 0"))
    raw = st.one_of(st.text(alphabet, min_size=1, max_size=25), st.sampled_from(TRICKY_TEXT))
    return raw.map(lambda t: canonical_text(t, upper)).filter(bool)


def canonical_text(text: str, upper: bool = False) -> str:
    """What a text cell holds once written and read: XML-unsafe characters dropped, surrounding
    whitespace removed, CR LF as LF."""
    text = _visible(xml_safe_text(text)).replace("\r\n", "\n").replace("\r", "\n").strip()
    return text


def _visible(text: str) -> str:
    return re.sub(INVISIBLE, "", text)


def canonical_id(text: str, upper: bool) -> str:
    folded = unicodedata.normalize("NFKC", _visible(xml_safe_text(text))).strip()
    if upper:
        folded = "".join(folded.split()).upper()
    return folded


ID_SAMPLES = ("110101199001011234", "13996030824", "0012", "000000", "6222021234567890123", "LSV0000000000000X",
              "京A12345", "1E5", "123456789012345678901234567890")


def value_strategy(col: Column) -> st.SearchStrategy:
    kind = col.kind
    if kind is Kind.DATE:
        return st.dates(dt.date(1950, 1, 1), dt.date(2100, 12, 31)).map(pd.Timestamp)
    if kind is Kind.MONEY:  # to the fen, up to a hundred million yuan either way
        return st.integers(-10**10, 10**10).map(lambda fen: fen / 100)
    if kind is Kind.INT:
        return st.integers(-10**9, 10**9)
    if kind is Kind.YESNO:
        return st.booleans()
    if kind is Kind.CHOICE:
        return st.sampled_from(col.choices)
    if kind is Kind.MONTH:
        return st.tuples(st.integers(1950, 2100), st.integers(1, 12)).map(lambda ym: f"{ym[0]:04d}-{ym[1]:02d}")
    if kind is Kind.ID:
        raw = st.one_of(st.sampled_from(ID_SAMPLES), st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1,
                                                                   max_size=20), st.integers(0, 10**20).map(str))
        return raw.map(lambda t: canonical_id(t, col.upper)).filter(lambda t: t != "" and t.lower() not in ("nan",))
    return _text()


@st.composite
def register_tables(draw) -> dict[str, pd.DataFrame]:
    tables = {}
    for key in draw(st.lists(st.sampled_from(DATA_REGISTERS), min_size=1, max_size=3, unique=True)):
        reg = REGISTERS[key]
        rows = []
        for _ in range(draw(st.integers(1, 6))):
            # the first column always holds something: a row with nothing in it is a blank row
            row = {col.key: draw(st.one_of(st.none(), value_strategy(col)) if i else value_strategy(col))
                   for i, col in enumerate(reg.columns)}
            rows.append(row)
        tables[key] = table_from_records(key, rows)
    return tables


def write_and_read(tables: dict[str, pd.DataFrame], path) -> dict[str, pd.DataFrame]:
    wb = Workbook()
    wb.remove(wb.active)
    for key, table in tables.items():
        write_register(wb, key, table, validation_rows=0)
    save_workbook(wb, path, kind="store")
    registers = read_store(path)
    assert registers.findings == [], [str(f) for f in registers.findings][:5]
    return {key: registers[key] for key in tables}


def assert_same(written: pd.DataFrame, read: pd.DataFrame, key: str) -> None:
    cols = [c.key for c in REGISTERS[key].columns]
    pd.testing.assert_frame_equal(read[cols].reset_index(drop=True), written[cols].reset_index(drop=True),
                                  check_dtype=True, obj=key)


# Each example writes and reads a workbook (~0.3 s): few examples, and shrinking limited to what
# stays quick; a failure prints its example in full.
@settings(max_examples=20, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tables=register_tables())
@example(tables={"policies": table_from_records("policies", [
    {"archive_no": "0012", "customer": "=1+1", "phone": "13996030824", "id_number": "110101199001011234",
     "policy_no": "P000123", "insurer": "@人保财险", "channel": "本店", "policy_start": pd.Timestamp("2026-10-01"),
     "policy_end": pd.Timestamp("2027-09-30"), "compulsory_premium": 950.01, "commercial_premium": 12345678.99,
     "commission": 0.01, "coverages": "车损\n三者\n-100万", "clerk": "+周敏"},
    {"archive_no": "DA0001", "customer": "张三\u0001\u0008李四", "insurer": "人保财险", "channel": "他处",
     "policy_start": pd.Timestamp("1950-01-01"), "policy_end": pd.Timestamp("2100-12-31"), "compulsory_premium": -0.5,
     "coverages": "_x0041_ 不是 A"}])})
def test_any_register_we_write_reads_back_identically(tables, tmp_path_factory):
    path = tmp_path_factory.mktemp("roundtrip") / "store.xlsx"
    expected = {key: _expected(table, key) for key, table in tables.items()}
    for key, read in write_and_read(tables, path).items():
        assert_same(expected[key], read, key)


def _expected(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """Text columns as the reader gives them back (unsafe characters dropped, spaces trimmed)."""
    out = table.copy()
    for col in REGISTERS[key].columns:
        if col.kind is Kind.TEXT:
            out[col.key] = out[col.key].map(lambda v: canonical_text(v) if isinstance(v, str) else v)
            out[col.key] = out[col.key].where(out[col.key] != "").astype("str")
    return out


def test_long_numeric_ids_stay_text_and_money_keeps_its_fen(tmp_path):
    table = table_from_records("policies", [
        {"archive_no": "000123", "customer": "王五", "phone": "13800000000", "id_number": "11010119900101123X",
         "insurer": "人保财险", "channel": "本店", "policy_no": "12345678901234567890",
         "policy_start": pd.Timestamp("2026-01-01"), "policy_end": pd.Timestamp("2026-12-31"),
         "commercial_premium": 0.1 + 0.2, "compulsory_premium": 99999999.99}])
    read = write_and_read({"policies": table}, tmp_path / "store.xlsx")["policies"]
    assert read.loc[0, "archive_no"] == "000123"
    assert read.loc[0, "policy_no"] == "12345678901234567890"
    assert read.loc[0, "id_number"] == "11010119900101123X"
    assert read.loc[0, "commercial_premium"] == 0.3
    assert read.loc[0, "compulsory_premium"] == 99999999.99


def test_characters_xml_cannot_hold_are_dropped_and_the_rest_kept(tmp_path):
    text = "甲" + XML_UNSAFE + "乙\n丙\t丁"
    assert xml_safe_text(text) == "甲乙\n丙\t丁"
    table = table_from_records("claims", [{"claim_no": "BA1", "report_date": pd.Timestamp("2026-10-01"),
                                           "plate": "京A1", "status": text}])
    read = write_and_read({"claims": table}, tmp_path / "store.xlsx")["claims"]
    assert read.loc[0, "status"] == "甲乙\n丙\t丁"


def test_text_that_looks_like_an_excel_escape_is_kept_literally(tmp_path):
    """Excel writes a control character as _x0001_; a literal '_x0041_' must not come back as 'A'."""
    table = table_from_records("claims", [{"claim_no": "BA1", "report_date": pd.Timestamp("2026-10-01"), "plate": "京A1",
                                           "status": "_x0041__x000D_ _X0041_"}])
    read = write_and_read({"claims": table}, tmp_path / "store.xlsx")["claims"]
    assert read.loc[0, "status"] == "_x0041__x000D_ _X0041_"


def test_every_register_round_trips_in_one_workbook(tmp_path):
    tables = {}
    for key in DATA_REGISTERS:
        row = {}
        for col in REGISTERS[key].columns:
            row[col.key] = (True if col.kind is Kind.YESNO else col.choices[-1] if col.choices else
                            pd.Timestamp("2026-10-31") if col.kind is Kind.DATE else 1234.56 if col.kind is Kind.MONEY else
                            7 if col.kind is Kind.INT else "2026-10" if col.kind is Kind.MONTH else
                            canonical_id(f"v-{col.key}", col.upper) if col.kind is Kind.ID else f"文字 {col.key}")
        tables[key] = table_from_records(key, [row, {**row, **{c.key: None for c in REGISTERS[key].columns[1:]}}])
    for key, read in write_and_read(tables, tmp_path / "store.xlsx").items():
        assert_same(_expected(tables[key], key), read, key)
        assert read["_row"].tolist() == [2, 3]
    assert YES_NO == ("是", "否")
