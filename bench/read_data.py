"""A policies register of N rows written the way clerks write (bench input, cached in bench/data/).

Title rows, a header with units and line breaks, dates as Excel dates and as text in every form,
amounts as numbers and as '¥1,234.50' / '1234元', ids that look like numbers, blank rows and a
合计 row: the mix DOMAIN.md lists, so the benchmark measures the parsing clerks' files need.
"""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from openpyxl import Workbook

from insurance_xl.registers import REGISTERS

from .common import DATA

_DATE_FORMS = (
    lambda d: d,  # a real Excel date
    lambda d: d,
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: d.isoformat(),
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: d.strftime("%Y%m%d"),
)
_MONEY_FORMS = (
    lambda x: x,
    lambda x: x,
    lambda x: f"{x:,.2f}",
    lambda x: f"¥{x:.2f}",
    lambda x: f"{x:.2f}元",
)


def policies_file(rows: int, seed: int = 7) -> Path:
    path = DATA / f"policies_{rows}.xlsx"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    reg = REGISTERS["policies"]
    keys = [c.key for c in reg.columns if c.key != "id_number"]  # 20 columns
    headers = {c.key: c.header for c in reg.columns}
    headers.update(compulsory_premium="交强险保费（元）", commercial_premium="商业险保费(元)", policy_end="保单\n止期",
                   plate=" 车牌号 ")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(reg.sheet)
    ws.append(["某某店 客户管理统计明细表（2021-2026）"])
    ws.append([headers[k] for k in keys])
    start = dt.date(2021, 1, 1)
    for i in range(rows):
        if i and i % 5000 == 0:
            ws.append([])
        issue = start + dt.timedelta(days=rng.randrange(2000))
        begin = issue + dt.timedelta(days=1)
        end = begin.replace(year=begin.year + 1) - dt.timedelta(days=1) if not (begin.month == 2 and begin.day == 29) \
            else begin + dt.timedelta(days=364)
        compulsory, commercial = rng.choice((665.0, 950.0, 1100.0)), round(rng.uniform(0, 9000), 2)
        values = {
            "archive_no": f"DA{i // 3:06d}", "customer": rng.choice("张王李赵刘陈") + rng.choice("伟芳娜敏静强磊"),
            "phone": str(13000000000 + rng.randrange(10**9)), "plate": f"京{rng.choice('ABCEFGHJKLMNP')}{i % 99999:05d}",
            "vin": f"LSV{i:014d}", "brand": rng.choice(("斯巴鲁", "斯巴鲁", "斯巴鲁", "本田")), "model": "XV",
            "policy_no": f"P{i:012d}", "insurer": rng.choice(("人保财险", "平安产险", "太平洋产险")),
            "channel": rng.choice(("本店", "本店", "他处")), "business_type": rng.choice(("新保", "续保", "转保")),
            "coverages": "交强险+三者险+车损险", "third_party_limit": rng.choice(("50万", "100万", "100万以上")),
            "issue_date": rng.choice(_DATE_FORMS)(issue), "policy_start": rng.choice(_DATE_FORMS)(begin),
            "policy_end": rng.choice(_DATE_FORMS)(end),
            "compulsory_premium": rng.choice(_MONEY_FORMS)(compulsory),
            "commercial_premium": rng.choice(_MONEY_FORMS)(commercial),
            "commission": rng.choice(_MONEY_FORMS)(round(commercial * 0.25 + compulsory * 0.04, 2)),
            "clerk": rng.choice(("周敏", "吴静", "郑洁")),
        }
        ws.append([values.get(k) for k in keys])  # revision 2's columns this generator leaves empty
    ws.append(["合计"])
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    tmp.replace(path)
    return path
