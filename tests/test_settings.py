"""Settings precedence (ARCHITECTURE.md, DOMAIN.md register 10): the defaults, then a TOML file, then the
store's 设置 sheet — the sheet wins where both set a key, the file where only it does."""
from __future__ import annotations

import pytest

from insurance_xl.errors import SettingsError
from insurance_xl.reading.store import read_store
from insurance_xl.settings import Settings, Thresholds, load_settings, store_settings

from tests.conftest import make_workbook

TOML = """
store = "文件里的店名"
own_brands = ["斯巴鲁"]

[thresholds]
grace_days = 45
sms_days = 60

[insurers."人保财险"]
promised_days = 20
"""


@pytest.fixture
def toml(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(TOML, encoding="utf-8")
    return path


def test_defaults_hold_without_file_or_sheet():
    assert load_settings() == Settings()
    assert Settings().thresholds.grace_days == Thresholds().grace_days == 30


def test_the_file_overrides_the_defaults_and_leaves_the_rest(toml):
    settings = load_settings(toml)
    assert settings.store == "文件里的店名" and settings.own_brands == ["斯巴鲁"]
    assert settings.thresholds.grace_days == 45 and settings.thresholds.sms_days == 60
    assert settings.thresholds.call_days == Thresholds().call_days  # not in the file: the default
    assert settings.insurer("人保财险").promised_days == 20


def test_the_sheet_wins_over_the_file_key_by_key(toml):
    rows = [("门店名称", "表里的店名", 2), ("thresholds.grace_days", 60, 3), ("短信提醒提前天数", "", 4)]
    settings = load_settings(toml, rows)
    assert settings.store == "表里的店名"  # a Chinese label on the sheet
    assert settings.thresholds.grace_days == 60  # a dotted key on the sheet
    assert settings.thresholds.sms_days == 60  # blank on the sheet: the file's value stays
    assert settings.own_brands == ["斯巴鲁"]  # only in the file


def test_a_stores_settings_come_from_its_own_sheet_over_the_file(toml, tmp_path):
    store = make_workbook(tmp_path / "store.xlsx", {"设置": [["设置项", "值"], ["门店名称", "表里的店名"],
                                                             ["流失宽限天数", 15]]})
    settings = store_settings(read_store(store), toml)
    assert settings.store == "表里的店名" and settings.thresholds.grace_days == 15
    assert settings.thresholds.sms_days == 60 and settings.own_brands == ["斯巴鲁"]


def test_a_store_without_a_settings_sheet_takes_the_file_then_the_defaults(toml, tmp_path):
    store = make_workbook(tmp_path / "store.xlsx", {"客户出险统计表": [["报案号", "报案日期", "车牌号"]]})
    assert store_settings(read_store(store), toml) == load_settings(toml)
    assert store_settings(read_store(store)) == Settings()


def test_a_wrong_value_on_the_sheet_names_its_row(toml):
    with pytest.raises(SettingsError, match="设置工作表 第7行: thresholds.grace_days: 应为整数"):
        load_settings(toml, [("流失宽限天数", "三十", 7)])


def test_a_wrong_value_in_the_file_names_the_file(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[thresholds]\ngrace_days = \"三十\"\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="settings.toml.*thresholds.grace_days"):
        load_settings(path)
