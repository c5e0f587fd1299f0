"""The region workbook opens in LibreOffice with the three rankings, the penalties and the 通报."""
import datetime as dt
import shutil
import subprocess
import uuid

import pytest
from openpyxl import load_workbook

from insurance_xl.core.region import region_month
from insurance_xl.writing.region_book import build_region_workbook
from insurance_xl.xlsx.save import save_workbook

from tests.core.test_region import late_every_month, region, report, store


@pytest.mark.libreoffice
def test_libreoffice_opens_the_region_workbook_with_rankings_penalties_and_notices(tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) not installed")
    settings = region(store("甲店", **late_every_month(2026, 3)), store("乙店", **late_every_month(2026, 1)),
                      store("丙店"))
    reports = [report("甲店", month="2026-03", new_car=900), report("丙店", month="2026-03", first=12)]
    result = region_month(reports, settings, "2026-03", dt.date(2026, 4, 20))
    # 甲店 late three months in a row, 乙店 missing twice; 丙店's March report claims 120 % first insurance
    assert sorted(result.penalties["rule"]) == ["missing", "not_on_time"]
    path = tmp_path / "区域.xlsx"
    save_workbook(build_region_workbook(result), path, kind="region")
    converted, profile = tmp_path / "lo", tmp_path / f"lo-profile-{uuid.uuid4().hex}"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(converted), str(path)], check=True, capture_output=True, timeout=180)
    wb = load_workbook(converted / path.name)
    for name in ("排名", "新车投保", "保有客户续险", "年度手续费目标完成进度", "扣分罚款", "通报"):
        assert name in wb.sheetnames, name

    def cells(sheet):
        return [c for row in wb[sheet].iter_rows(min_row=4, values_only=True) for c in row if c is not None]

    assert cells("新车投保")[:2] == [1, "甲店"]
    assert {"甲店", "乙店", "连续未报", "连续不按时上报"} <= set(cells("扣分罚款"))
    assert {"迟报", "未报", "数据不准确"} <= set(cells("通报"))
