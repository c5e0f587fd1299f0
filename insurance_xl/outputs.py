"""What insurance-xl writes into workbooks, named once: the sheets it adds to a clerk's workbook or
its own outputs. A store is never read back from these sheets."""
from __future__ import annotations

BOARD_SHEET = "看板"  # the live workbook's KPI board, and the report's first sheet
CONF_SHEET = "xlwings.conf"  # the name the xlwings VBA module looks for (GetConfigFromSheet)
GUIDE_SHEET = "说明"
RESULTS_SHEET = "校验结果"  # the validated workbook's findings, and the 校验 button's
STAMP_SHEET = "_integrity"  # the validated workbook's integrity stamp (hidden)
DATA_SHEET = "_data"  # the monthly report's figures for the region (hidden)
OVERDUE_SHEET = "逾期"
SMS_SHEET = "续保短信名单"
PHONE_SHEET = "续保电话名单"
FIRST_INSURANCE_SHEET = "首保跟进"  # new cars not yet insured here, written with the call lists
RECONCILE_SHEET = "月末对账"
CASES_SHEET = "案件跟踪"

# Sheets the Excel face's buttons write into the live workbook, in their order there.
BUTTON_SHEETS = (RESULTS_SHEET, OVERDUE_SHEET, SMS_SHEET, PHONE_SHEET, FIRST_INSURANCE_SHEET, RECONCILE_SHEET,
                 CASES_SHEET)
# Never read back as registers.
OWN_SHEETS = frozenset({BOARD_SHEET, CONF_SHEET, GUIDE_SHEET, STAMP_SHEET, *BUTTON_SHEETS})
