"""The region's workbook: rankings, penalties and statuses."""
from __future__ import annotations
from ..core.region import RULE_LABELS, RegionResult, STATUS_LABELS


def build_region_workbook(result: RegionResult, title: str = "区域门店月度排名"):
    """排名, 扣分罚款 and 报送情况 sheets, values only, printable."""
    from openpyxl import Workbook

    from .report_book import RATE_FORMAT, setup_page
    from .sheet import MONEY_FORMAT, OutColumn, fit_widths, print_ready, write_frame, write_title

    wb = Workbook()
    ranking = result.ranking.copy()
    ranking["status"] = ranking["status"].map(STATUS_LABELS).fillna(ranking["status"])
    columns = [OutColumn("rank", "名次", "0"), OutColumn("store", "门店"), OutColumn("status", "报送"),
               OutColumn("first_insurance_rate", "首保率", RATE_FORMAT), OutColumn("rank_first_insurance", "首保率名次", "0"),
               OutColumn("renewal_rate", "续保率", RATE_FORMAT), OutColumn("rank_renewal", "续保率名次", "0"),
               OutColumn("commission", "本月手续费收入", MONEY_FORMAT), OutColumn("rank_commission", "手续费名次", "0"),
               OutColumn("commission_ytd", "年累计手续费", MONEY_FORMAT),
               OutColumn("annual_commission_target", "年度手续费目标", MONEY_FORMAT),
               OutColumn("target_progress", "目标完成率", RATE_FORMAT), OutColumn("rank_target_progress", "完成率名次", "0"),
               OutColumn("rank_sum", "名次合计", "0"), OutColumn("penalty_points", "扣分", "0.0")]
    sheets = [(wb.active, "排名", ranking, columns, f"{title} {result.month}")]
    fined = result.penalties.copy()
    fined["rule"] = fined["rule"].map(RULE_LABELS)
    fined["months"] = fined["months"].map("、".join)
    sheets.append((wb.create_sheet(), "扣分罚款", fined,
                   [OutColumn("store", "门店"), OutColumn("month", "月份", "@"), OutColumn("rule", "原因"),
                    OutColumn("months", "涉及月份"), OutColumn("points", "扣分", "0.0"),
                    OutColumn("fine", "罚款（元）", MONEY_FORMAT)], f"月报报送处罚 {result.month}（§4.9.1）"))
    status = result.statuses.apply(lambda col: col.map(STATUS_LABELS)).reset_index()
    sheets.append((wb.create_sheet(), "报送情况", status,
                   [OutColumn("store", "门店")] + [OutColumn(m, m) for m in result.statuses.columns],
                   f"近12个月月报报送情况（截至 {result.month}）"))
    for ws, name, frame, cols, heading in sheets:
        ws.title = name
        write_frame(ws, frame, cols, start_row=3)
        fit_widths(ws, maximum=30)
        write_title(ws, heading, len(cols))
        setup_page(ws)
    return print_ready(wb)
