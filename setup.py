"""Build hook only (the project is declared in pyproject.toml): the wheel carries the repository's
workbook/, templates/ and macros/ as insurance_xl/assets/, so `pip install` gives a clerk's PC the
workbook (`insurance-xl workbook DIR`) and `python -m insurance_xl.excel.build` its VBA source."""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
ASSETS = {"workbook": "*.xlsm", "templates": "*.xlsx", "macros": "*.bas"}


class BuildWithAssets(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's folders directly
            return
        for folder, pattern in ASSETS.items():
            target = Path(self.build_lib) / "insurance_xl" / "assets" / folder
            target.mkdir(parents=True, exist_ok=True)
            for source in sorted((HERE / folder).glob(pattern)):
                shutil.copyfile(source, target / source.name)


setup(cmdclass={"build_py": BuildWithAssets})
