"""The command line for clerks (issue 20): dates and months as the sheets read them, Chinese help,
exit codes documented."""
from __future__ import annotations

import contextlib
import io
import json

import pytest

from insurance_xl import cli

from tests.conftest import sample


def kpi_json(*args: str) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["kpi", str(sample("store.xlsx")), "--settings", str(sample("settings.toml")), "--json",
                         *args]) == cli.EXIT_OK
    return json.loads(out.getvalue())


def test_dates_and_months_on_the_command_line_read_as_in_the_sheets():
    assert kpi_json("--as-of", "2026/11/24", "--month", "2026/10") == \
        kpi_json("--as-of", "2026-11-24", "--month", "2026-10")


@pytest.mark.parametrize("args", [["--month", "十月"], ["--month", "2026-13"], ["--month", "2026-10", "--as-of", "11/24"]])
def test_what_is_not_a_date_or_month_is_refused_in_chinese(args, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["kpi", "store.xlsx", *args])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "不是月份" in err or "不是日期" in err, err


def test_help_is_in_chinese_and_documents_every_exit_code(capsys):
    for argv in (["--help"], ["kpi", "--help"]):
        with pytest.raises(SystemExit):
            cli.main(argv)
        text = capsys.readouterr().out
        assert "显示本说明" in text and "退出码" in text
        flat = "".join(text.split())  # argparse wraps lines where it likes
        for code in ("0完成", "1完成", "2无法读取", "3内部错误"):
            assert code in flat, code
    with pytest.raises(SystemExit):
        cli.main(["kpi", "--help"])
    assert "ARCHITECTURE" not in capsys.readouterr().out


ENGLISH = r"\b(?:the|of|to|as|print|write|each)\b|ARCHITECTURE"  # words of an English sentence, a design document


def test_every_command_and_option_is_explained_in_chinese():
    """Not kpi alone: each command's line in --help and each of its options speak to a clerk in Chinese,
    and none sends the clerk to a design document that is not in the package."""
    import argparse
    import re

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    english = []
    for choice in sub._choices_actions:
        if not re.search(r"[\u4e00-\u9fff]", choice.help or "") or re.search(ENGLISH, choice.help):
            english.append(choice.dest)
    for name, command in sub.choices.items():
        for action in command._actions:
            if action.help not in (None, argparse.SUPPRESS) and (not re.search(r"[\u4e00-\u9fff]", action.help)
                                                                 or re.search(ENGLISH, action.help)):
                english.append(f"{name} {'/'.join(action.option_strings) or action.dest}: {action.help}")
    assert english == []
