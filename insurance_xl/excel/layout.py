"""The live workbook declared once: its sheets, the 看板 input cells, the buttons, the xlwings.conf rows.

`build` writes workbook/insurance.xlsm from this and `macros` reads and writes the same cells, so
the two cannot disagree about where the month is typed or where a result goes.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..writing.sheet import DATE_FORMAT

REPORT_FOLDER = "月报"  # beside the workbook: where 生成月报 writes the report workbook


@dataclass(frozen=True)
class Input:
    """A cell on 看板 the clerk fills in before pressing a button."""

    key: str
    label: str
    row: int
    hint: str
    number_format: str = "@"  # text: '2026-10' must not become a date

    @property
    def cell(self) -> str:
        return f"B{self.row}"


MONTH = Input("month", "月份", 3, "如 2026-10；留空 = 评估日期的上个月")
AS_OF = Input("as_of", "评估日期", 4, "留空 = 今天（逾期、续保、流失按这天算）", DATE_FORMAT)
INSURER = Input("insurer", "对账保险公司", 5, "月末对账用：与「设置」一致的全称")
STATEMENT = Input("statement", "对账单文件", 6, "月末对账用：完整路径，或本簿同文件夹的文件名")
INPUTS = (MONTH, AS_OF, INSURER, STATEMENT)
STATUS_ROW = 7  # "数据截至": which month and as-of day the numbers below are for
STATUS_LABEL = "数据截至"
KPI_TOP = 9  # the KPI block starts here (see excel.board)


@dataclass(frozen=True)
class Button:
    caption: str
    macro: str  # a Sub of macros/InsuranceXl.bas, running one RunPython line
    row: int  # top row of the button on 看板 (it spans two rows, columns H:I)
    doc: str


BUTTON_COLUMN = 7  # 0-based: H
BUTTONS = (
    Button("刷新看板", "RefreshKpis", 3, "按「月份」重算首保率、续保率、流失率、出险率等指标和背后的台数"),
    Button("校验", "ValidateRegisters", 5, "检查全部登记表，问题逐条列在「校验结果」，错误红色、警告黄色"),
    Button("逾期标记", "FlagOverdue", 7, "标出保险公司逾期未回款的交接记录，并列出「逾期」清单"),
    Button("续保名单", "RenewalCalls", 9, "生成今天该发短信、该打电话的续保客户名单"),
    Button("月末对账", "MonthEndReconcile", 11, "把本店保单与保险公司对账单逐单核对，结果写入「月末对账」"),
    Button("生成月报", "MonthlyReport", 13, "把「月份」的月报另存为新工作簿（本工作簿旁的「月报」文件夹）"),
    Button("案件跟踪", "CaseTracking", 15, "每个理赔案件走到哪一步：未完成的按等待环节排在前面，并比较各保险公司回款天数"),
    Button("检查环境", "CheckEnvironment", 17, "按钮用的 Python、insurance-xl、xlwings 版本，工作簿 VBA 是否匹配"),
)

# The xlwings.conf sheet, from A1 down without a gap (the VBA reads A1 to the first empty cell; keys
# are case-insensitive). Switches the VBA compares with True are Excel booleans; ADD_WORKBOOK_TO_PYTHONPATH
# is text because the VBA pastes it into a string that Python reads as 'true'/'false'.
# The interpreter keys (Interpreter_Win/_Mac) and the Conda keys are left out: a key present here, even
# empty, hides the PC's own setting (%USERPROFILE%\.xlwings\xlwings.conf), so every copy would need editing.
CONF_ROWS: tuple[tuple[str, object, str], ...] = (
    ("PYTHONPATH", "", "留空：insurance-xl 用 pip 安装，不需要额外路径"),
    ("ADD_WORKBOOK_TO_PYTHONPATH", "false",
     "false：不从工作簿所在文件夹导入代码，放在旁边的 .py 文件不会冒充 insurance_xl"),
    ("UDF Modules", "insurance_xl.excel.udfs", "工作表函数 INS_* 所在模块（导入：宏 ImportPythonUDFs）"),
    ("Use UDF Server", False, "FALSE：每次按钮启动一个 Python 进程"),
    ("Show Console", False, "TRUE 时显示黑色命令行窗口，排查问题用"),
    ("Debug UDFs", False, "开发者调试工作表函数用"),
)
