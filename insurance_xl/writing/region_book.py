"""The region's workbook (§4.7.2, §4.9.1): the overall order, the three rankings, penalties, 通报 and statuses."""
from __future__ import annotations

from ..core.region import NOTICE_LABELS, RANKING_LABELS, RANKINGS, RULE_LABELS, STATUS_LABELS, RegionResult

HEADERS = {
    "rank": ("总名次", "0"), "store": ("门店", None), "status": ("报送", None),
    "first_insurance_rate": ("首保率", "rate"), "new_car_commission": ("新车手续费", "money"),
    "new_car_rank": ("新车投保名次", "0"), "renewal_rate": ("续保率", "rate"),
    "renewal_commission": ("续保手续费", "money"), "renewal_rank": ("保有客户续险名次", "0"),
    "commission_ytd": ("年累计手续费", "money"), "annual_commission_target": ("年度手续费目标", "money"),
    "target_progress": ("目标完成进度", "rate"), "target_rank": ("目标进度名次", "0"),
    "rank_sum": ("名次合计", "0"), "penalty_points": ("本月扣分", "0.0"),
}
OVERALL = ("rank", "store", "status", "new_car_rank", "renewal_rank", "target_rank", "rank_sum", "penalty_points")


def build_region_workbook(result: RegionResult, title: str = "区域门店月度排名"):
    """排名, one sheet per ranking, 扣分罚款 (M), 处罚记录 (the whole history), 通报 and 报送情况; values only."""
    from openpyxl import Workbook

    from .report_book import RATE_FORMAT, setup_page
    from .sheet import MONEY_FORMAT, OutColumn, fit_widths, print_ready, write_frame, write_title

    formats = {"rate": RATE_FORMAT, "money": MONEY_FORMAT}

    def columns(keys):
        return [OutColumn(k, HEADERS[k][0], formats.get(HEADERS[k][1], HEADERS[k][1])) for k in keys]

    wb = Workbook()
    ranking = result.ranking.copy()
    ranking["status"] = ranking["status"].map(STATUS_LABELS).fillna(ranking["status"])
    sheets = [(wb.active, "排名", ranking, columns(OVERALL), f"{title} {result.month}（按三项排名名次合计）")]
    for key, (rank_key, criteria) in RANKINGS.items():
        extra = ("commission_ytd", "annual_commission_target") if key == "target" else ()
        frame = ranking.sort_values([rank_key, "store"], na_position="last", kind="stable")
        sheets.append((wb.create_sheet(), RANKING_LABELS[key], frame, columns((rank_key, "store", *criteria, *extra)),
                       f"{RANKING_LABELS[key]}排名 {result.month}"))
    penalty_columns = [OutColumn("store", "门店"), OutColumn("month", "处罚月份", "@"), OutColumn("rule", "原因"),
                       OutColumn("months", "涉及月份"), OutColumn("points", "扣分", "0.0"),
                       OutColumn("fine", "罚款（元）", MONEY_FORMAT)]
    for name, frame, heading in (("扣分罚款", result.penalties, f"月报报送处罚 {result.month}（§4.9.1）"),
                                 ("处罚记录", result.history, "月报报送处罚记录（全部历史，每段连续只罚一次）")):
        fined = frame.copy()
        fined["rule"] = fined["rule"].map(RULE_LABELS)
        fined["months"] = fined["months"].map("、".join)
        sheets.append((wb.create_sheet(), name, fined, penalty_columns, heading))
    notices = result.notices.copy()
    notices["kind"] = notices["kind"].map(NOTICE_LABELS)
    sheets.append((wb.create_sheet(), "通报", notices,
                   [OutColumn("store", "门店"), OutColumn("month", "月份", "@"), OutColumn("kind", "类别"),
                    OutColumn("message", "通报内容")], f"月报通报 {result.month}（迟报、未报、数据不准确）"))
    recent = result.statuses.iloc[:, -12:]
    status = recent.apply(lambda col: col.map(STATUS_LABELS)).reset_index()
    sheets.append((wb.create_sheet(), "报送情况", status,
                   [OutColumn("store", "门店")] + [OutColumn(m, m) for m in recent.columns],
                   f"近12个月月报报送情况（截至 {result.month}）"))
    for ws, name, frame, cols, heading in sheets:
        ws.title = name
        write_frame(ws, frame, cols, start_row=3)
        fit_widths(ws, maximum=40)
        write_title(ws, heading, len(cols))
        setup_page(ws)
    return print_ready(wb)
