"""The workbook travels with the package (issue 20): the wheel carries insurance.xlsm, the templates and
the VBA source; `insurance-xl workbook DIR` writes them; `--version` answers."""
from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

from insurance_xl import __version__, cli
from insurance_xl.services.package_files import write_workbook_files

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "workbook" / "insurance.xlsm"


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def test_version_answers_with_the_project_version(capsys):
    assert __version__ == project_version()
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"insurance-xl {project_version()}"


def test_workbook_writes_the_committed_workbook_and_templates(tmp_path, capsys):
    assert cli.main(["workbook", str(tmp_path / "desk")]) == cli.EXIT_OK
    assert (tmp_path / "desk" / "insurance.xlsm").read_bytes() == COMMITTED.read_bytes()
    templates = sorted(p.name for p in (ROOT / "templates").glob("*.xlsx"))
    assert sorted(p.name for p in (tmp_path / "desk" / "templates").glob("*.xlsx")) == templates
    assert len(capsys.readouterr().out.splitlines()) == 1 + len(templates)


def test_workbook_never_overwrites_a_clerks_copy_unless_asked(tmp_path, capsys):
    desk = tmp_path / "desk"
    desk.mkdir()
    (desk / "insurance.xlsm").write_bytes(b"the clerk's month of work")
    assert cli.main(["workbook", str(desk)]) == cli.EXIT_UNREADABLE
    assert "已存在" in capsys.readouterr().err
    assert (desk / "insurance.xlsm").read_bytes() == b"the clerk's month of work"
    write_workbook_files(desk, replace=True)
    assert (desk / "insurance.xlsm").read_bytes() == COMMITTED.read_bytes()
    backups = list((desk / ".insurance-xl-backups").glob("*"))
    assert any(b.read_bytes() == b"the clerk's month of work" for b in backups)


@pytest.mark.slow
def test_the_wheel_installs_in_a_clean_venv_and_writes_the_committed_workbook(tmp_path):
    """pip builds the wheel, a fresh venv installs it (with the `workbook` extra): `insurance-xl workbook`
    there writes the committed insurance.xlsm byte for byte, and rebuilding it from the installed
    copy (`python -m insurance_xl.excel.build`) gives the same bytes."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    source = tmp_path / "source"  # a copy: the build leaves nothing in the checkout, and nothing stale gets in
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info",
                                                                 "__pycache__", "out", "data", ".insurance-xl-backups"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(source)],
                   check=True, env=env, cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("insurance_xl-*.whl")
    venv.create(tmp_path / "fresh", with_pip=True)
    bin_dir = tmp_path / "fresh" / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", f"{wheel}[workbook]"],
                   check=True, env=env, cwd=tmp_path)
    run = lambda *args: subprocess.run([str(bin_dir / "insurance-xl"), *args], check=True, env=env, cwd=tmp_path,  # noqa: E731
                                       capture_output=True, text=True).stdout
    assert run("--version").strip() == f"insurance-xl {project_version()}"
    run("workbook", "desk")
    assert filecmp.cmp(tmp_path / "desk" / "insurance.xlsm", COMMITTED, shallow=False)
    for template in (ROOT / "templates").glob("*.xlsx"):
        assert filecmp.cmp(tmp_path / "desk" / "templates" / template.name, template, shallow=False), template.name
    subprocess.run([str(bin_dir / "python"), "-m", "insurance_xl.excel.build", "rebuilt.xlsm"], check=True, env=env,
                   cwd=tmp_path, capture_output=True)
    assert filecmp.cmp(tmp_path / "rebuilt.xlsm", COMMITTED, shallow=False)
