"""Per-PC interpreter and `insurance-xl doctor` / 检查环境 (issue 20)."""
from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from openpyxl import Workbook, load_workbook

from insurance_xl import cli
from insurance_xl.excel import macros
from insurance_xl.services import button_log
from insurance_xl.services.doctor import XLWINGS_PROPERTY, button_interpreter, checkup
from insurance_xl.xlsx.properties import read_properties

from tests.desktop_engine import alerts, desktop  # noqa: F401 (fixture)

LOG_PATH = button_log.log_path  # taken at import, before conftest's autouse fixture replaces it

ROOT = Path(__file__).resolve().parents[2]
WORKBOOK = ROOT / "workbook" / "insurance.xlsm"


def user_conf(home: Path, **values: str) -> dict[str, str]:
    """A user's %USERPROFILE%\\.xlwings\\xlwings.conf, as xlwings' add-in writes it."""
    (home / ".xlwings").mkdir(parents=True, exist_ok=True)
    lines = [f'"{k}","{v}"' for k, v in values.items()]
    (home / ".xlwings" / "xlwings.conf").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"USERPROFILE": str(home), "PYDIR": str(Path(sys.executable).parent)}


def conf_workbook(path: Path, rows: list[tuple[str, str]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "xlwings.conf"
    for i, (key, value) in enumerate(rows, start=1):
        ws.cell(row=i, column=1, value=key)
        ws.cell(row=i, column=2, value=value)
    wb.save(path)
    return path


def test_the_workbook_leaves_the_interpreter_to_each_pc():
    wb = load_workbook(WORKBOOK, read_only=True)
    keys = [str(row[0]).upper() for row in wb["xlwings.conf"].iter_rows(min_col=1, max_col=1, values_only=True)
            if row[0] and re.fullmatch(r"[A-Za-z_ ]+", str(row[0]))]
    assert "PYTHONPATH" in keys  # the sheet is read, with its other settings
    assert not {"INTERPRETER_WIN", "INTERPRETER_MAC", "INTERPRETER", "CONDA PATH", "CONDA ENV"} & set(keys)


def test_the_users_own_setting_is_the_one_a_button_starts(tmp_path):
    env = user_conf(tmp_path / "home", INTERPRETER_WIN="%PYDIR%\\python")
    chosen = button_interpreter(WORKBOOK, platform="win32", environ=env)
    assert chosen.command == f"{Path(sys.executable).parent}\\python" and "用户配置" in chosen.source


def test_a_file_beside_the_workbook_wins_over_the_user_and_an_empty_sheet_key_hides_both(tmp_path):
    env = user_conf(tmp_path / "home", INTERPRETER_WIN="C:\\Users\\clerk\\python.exe")
    book = conf_workbook(tmp_path / "insurance.xlsm", [("PYTHONPATH", "")])
    (tmp_path / "xlwings.conf").write_text(f'"INTERPRETER_WIN","{sys.executable}"\n', encoding="utf-8")
    chosen = button_interpreter(book, platform="win32", environ=env)
    assert (chosen.command, chosen.path) == (sys.executable, str(Path(sys.executable).resolve()))
    hiding = conf_workbook(tmp_path / "old.xlsm", [("Interpreter_Win", "")])
    (tmp_path / "xlwings.conf").unlink()
    assert button_interpreter(hiding, platform="win32", environ=env).command == "python"  # as the VBA does


def test_the_workbook_records_the_xlwings_release_of_its_vba():
    import xlwings
    from oletools.olevba import VBA_Parser

    code = "\n".join(c for *_, c in VBA_Parser(str(WORKBOOK)).extract_macros())
    (embedded,) = re.findall(r'XLWINGS_VERSION As String = "([^"]+)"', code)
    assert read_properties(WORKBOOK)[XLWINGS_PROPERTY] == embedded == xlwings.__version__


def test_doctor_passes_when_the_button_would_start_this_python(tmp_path, capsys, monkeypatch):
    home = tmp_path / "home"
    for key, value in user_conf(home, INTERPRETER_WIN=sys.executable, INTERPRETER_MAC=sys.executable).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr("insurance_xl.services.doctor.user_config_file", lambda *a, **k: home / ".xlwings" / "xlwings.conf")
    shutil.copyfile(WORKBOOK, tmp_path / "insurance.xlsm")
    assert cli.main(["doctor", str(tmp_path / "insurance.xlsm")]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "检查通过" in out and "工作簿 VBA 的 xlwings 版本：" in out and sys.executable in out


def test_doctor_names_an_interpreter_that_is_not_there(tmp_path, capsys, monkeypatch):
    home = tmp_path / "home"
    user_conf(home, INTERPRETER_WIN=str(tmp_path / "gone" / "python.exe"), INTERPRETER_MAC=str(tmp_path / "gone" / "python3"))
    monkeypatch.setattr("insurance_xl.services.doctor.user_config_file", lambda *a, **k: home / ".xlwings" / "xlwings.conf")
    assert cli.main(["doctor"]) == cli.EXIT_DATA_ERRORS
    assert "问题：找不到" in capsys.readouterr().out


def test_a_workbook_whose_vba_is_another_release_is_reported(tmp_path):
    from insurance_xl.services.doctor import Interpreter
    from insurance_xl.xlsx.properties import set_properties

    wb = Workbook()
    set_properties(wb, {XLWINGS_PROPERTY: "0.30.0"})
    wb.save(tmp_path / "old.xlsx")
    report = checkup(tmp_path / "old.xlsx", Interpreter(sys.executable, "测试", sys.executable))
    assert any("0.30.0" in p for p in report.problems)


def test_the_check_environment_button_shows_the_check(desktop, tmp_path, monkeypatch):
    import xlwings as xw

    shutil.copyfile(WORKBOOK, tmp_path / "insurance.xlsm")
    book = desktop({"看板": [[None]]}, str(tmp_path / "insurance.xlsm"))
    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))
    macros.check_environment()
    ((text, title, mode),) = alerts(book)
    assert title == "检查环境" and mode == "info" and "检查通过" in text and sys.executable in text


def test_a_buttons_unexpected_error_is_logged_beside_the_users_config_and_shown(desktop, tmp_path, monkeypatch):
    monkeypatch.delenv("INSURANCE_XL_DEBUG", raising=False)
    monkeypatch.setattr("insurance_xl.services.doctor.user_config_file", lambda *a, **k: tmp_path / ".xlwings" / "xlwings.conf")
    monkeypatch.setattr(button_log, "log_path", LOG_PATH)  # the real one (conftest points it at a tmp folder)
    book = desktop({"看板": [[None]]})

    def broken(book, today):
        cell = "".join(("张", "三", " ", "138", "1234", "5678"))  # a cell's text: it must not reach the log
        raise KeyError(cell)

    macros.run_button(book, "校验", broken, None)
    ((text, title, mode),) = alerts(book)
    log = tmp_path / ".xlwings" / "insurance-xl.log"
    assert mode == "critical" and text.startswith("内部错误（KeyError）") and str(log) in text
    written = log.read_text(encoding="utf-8")
    assert "校验" in written and "KeyError" in written and "in broken" in written
    assert "13812345678" not in written and "张三" not in written
