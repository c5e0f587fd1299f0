"""The files the package carries: the live workbook, the blank templates and the buttons' VBA.

In a source checkout they are the repository's `workbook/`, `templates/` and `macros/` (the product
card fixes those folders); a built wheel carries copies of them in `insurance_xl/assets/` (setup.py
copies them in at build time), so a clerk's PC that only ran `pip install` has them too.
"""
from __future__ import annotations

import shutil
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
CHECKOUT = PACKAGE.parent
KINDS = ("workbook", "templates", "macros")
WORKBOOK_NAME = "insurance.xlsm"


def asset_dir(kind: str) -> Path:
    """The folder holding `kind` (one of KINDS): the wheel's copy, else the checkout's own."""
    if kind not in KINDS:
        raise ValueError(f"unknown asset folder {kind!r}")
    packaged = PACKAGE / "assets" / kind
    if packaged.is_dir() and any(packaged.iterdir()):
        return packaged
    return CHECKOUT / kind


def in_checkout() -> bool:
    """Running from the repository (an editable install), not from an installed wheel."""
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "workbook").is_dir()


def workbook_file() -> Path:
    return asset_dir("workbook") / WORKBOOK_NAME


def template_files() -> list[Path]:
    return sorted(asset_dir("templates").glob("*.xlsx"))


def write_workbook_files(folder: str | Path, replace: bool = False) -> list[Path]:
    """insurance.xlsm and the blank templates (in `templates/`) into `folder`, byte for byte as packaged.

    A file already there may hold a clerk's data: it is kept unless `replace`, and then it is backed
    up first (.insurance-xl-backups/) and swapped atomically."""
    from ..errors import InsuranceXlError
    from ..xlsx.save import atomic_write

    workbook = workbook_file()
    if not workbook.is_file():
        raise InsuranceXlError(f"安装包中没有 {WORKBOOK_NAME}（{workbook}）：请重新安装 insurance-xl")
    target = Path(folder)
    if target.exists() and not target.is_dir():
        raise InsuranceXlError(f"{target} 不是文件夹：请给出放工作簿的文件夹")
    pairs = [(workbook, target / WORKBOOK_NAME), *((t, target / "templates" / t.name) for t in template_files())]
    existing = [dest for _, dest in pairs if dest.exists()]
    if existing and not replace:
        raise InsuranceXlError(f"{existing[0]} 已存在（可能有登记的数据），未覆盖；确需换成空白的新版本，加 --replace"
                               f"（旧文件会先备份到 .insurance-xl-backups/）")
    written = []
    for source, dest in pairs:
        dest.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(dest, lambda tmp, source=source: shutil.copyfile(source, tmp), keep_backup=True)
        written.append(dest)
    return written
