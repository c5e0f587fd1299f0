"""The docs are tested (STYLE.md): README tables come from the declarations, commands are documented."""
import re

from insurance_xl.cli import COMMANDS, build_parser
from insurance_xl.writing.docs import render_readme

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_tables_match_the_declarations():
    assert render_readme(README) == README, "run: python -m insurance_xl.writing.docs README.md"


def test_readme_gives_exactly_the_two_setup_commands():
    block = re.search(r"## Two commands\s+```sh\n(.*?)```", README, re.S)[1]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make run", "make test"]


def test_every_command_and_option_is_in_the_readme():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, *_ in COMMANDS:
        assert f"insurance-xl {name}" in README, name
        for action in sub.choices[name]._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help":
                    assert flag in README, f"{name} {flag}"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
