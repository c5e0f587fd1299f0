"""The one declaration of every register (DOMAIN.md "The registers", seed §4.8).

Everything that knows a sheet name or a Chinese header gets it from here: the reader, validation,
templates, the drop-down lists in written sheets, the Excel face and the docs table in README.md.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from functools import cache


class Kind(str, Enum):
    TEXT = "text"  # free text; full-width forms folded to half-width
    ID = "id"  # identifier: kept as text, digits never turned into a number (no 1.23E+17)
    DATE = "date"
    MONEY = "money"  # yuan, kept to the fen
    INT = "int"
    YESNO = "yesno"  # 是/否, Y/N, √/×, TRUE/FALSE
    CHOICE = "choice"  # one of Column.choices
    MONTH = "month"  # YYYY-MM


class Pii(str, Enum):
    NAME = "name"
    PHONE = "phone"
    ID_NUMBER = "id"
    BANK = "bank"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: Kind = Kind.TEXT
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    required: bool = False  # a value is required on every row
    required_if: tuple[str, str] | None = None  # (column key, value): required on those rows
    pii: Pii | None = None
    upper: bool = False  # identifiers compared case-insensitively (VIN, plate, policy number)
    amount_tier: bool = False  # a choice of amounts in 万: 2000000, 200万元 and 200 read as 200万
    width: int = 12
    doc: str = ""

    @property
    def headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


@dataclass(frozen=True)
class Register:
    key: str
    sheet: str
    section: str
    doc: str
    columns: tuple[Column, ...]
    sheet_aliases: tuple[str, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()  # at least one of these values per row
    # at least one of these values on the rows where a column holds a value: ((keys), (column, value))
    one_of_if: tuple[tuple[tuple[str, ...], tuple[str, str]], ...] = ()
    unique: tuple[str, ...] = ()  # non-empty values must not repeat

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.key} has no column {key!r}")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    def match_header(self, text: object) -> Column | None:
        """The column whose header or alias reads as `text`, after normalize_header."""
        return self.match_normalized(normalize_header(text))

    def match_normalized(self, key: str) -> Column | None:
        """match_header for a header already through normalize_header (a sheet's head is folded once)."""
        return _header_index(self.key).get(key)

    @property
    def needed_columns(self) -> tuple[tuple[str, ...], ...]:
        """Column groups of which the sheet must have at least one (a missing one is an error)."""
        groups = [(c.key,) for c in self.columns if c.required or c.required_if]
        return tuple(groups) + self.one_of + tuple(group for group, _ in self.one_of_if)


# A trailing annotation: (元), (是/否), /元 — clerks add units and hints to headers.
_ANNOTATION = re.compile(r"(\([^()]*\)|/元|/万元)$")
_SPACES = re.compile(r"\s+")


def normalize_header(text: object) -> str:
    """Fold a header as clerks type it into a comparable key.

    Full-width brackets and digits become half-width (NFKC), spaces and line breaks vanish,
    a trailing unit such as (元) is dropped and letters are lower-cased: ' 保单\\n止期 ' and
    '交强险保费（元）' read as '保单止期' and '交强险保费'.
    """
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text))
    folded = _SPACES.sub("", folded).lower().rstrip(":：*")
    return _ANNOTATION.sub("", folded)


@cache
def _header_index(register_key: str) -> dict[str, Column]:
    index: dict[str, Column] = {}
    for col in REGISTERS[register_key].columns:
        for name in col.headers:
            index.setdefault(normalize_header(name), col)
    return index


YES_NO = ("是", "否")
# the limits insurers sell since the 2020 reform, and the seed's 5万 and 100万以上 (§1.3.1 Q3); the
# default of settings' thresholds.third_party_tiers, which validation checks against
THIRD_PARTY_TIERS = ("5万", "10万", "15万", "20万", "30万", "50万", "100万", "150万", "200万", "300万", "400万",
                     "500万", "1000万", "100万以上")
CHANNELS = ("本店", "他处")
HERE, ELSEWHERE = CHANNELS  # 本店: written here; 他处: known to be insured elsewhere
BUSINESS_TYPES = ("新保", "续保", "转保")
POLICY_KINDS = ("交强险", "商业险", "交强+商业")  # 险类: a 交强险 policy, a 商业险 policy, or a row holding both
COMPULSORY, COMMERCIAL, BOTH_KINDS = POLICY_KINDS
NOT_INSURED_REASONS = ("价格", "自行投保", "贷款/单位指定", "服务", "其他")  # §4.5.1: sold here, insured elsewhere
CONTACT_METHODS = ("短信", "电话")
OUTCOMES = ("已续保", "考虑中", "已在他处投保", "无法联系", "拒绝", "车辆已售/报废")
CLOSING_OUTCOMES = ("已续保", "已在他处投保", "车辆已售/报废")  # §4.5.3: stop reminding
RENEWED, INSURED_ELSEWHERE, SOLD_OR_SCRAPPED = OUTCOMES[0], OUTCOMES[2], OUTCOMES[5]
FAILURE_REASONS = ("价格", "服务", "理赔体验", "他处关系", "其他")
DISPOSALS = ("保险公司回收", "我司销毁")

# a policy's numbers: a row holds one (保单号) or its 交强险's and 商业险's (DOMAIN.md register 2)
POLICY_NUMBERS = ("policy_no", "compulsory_policy_no", "commercial_policy_no")

_VIN = Column("vin", "车架号", Kind.ID, ("车架号码", "VIN", "VIN码", "车辆识别代号", "车辆识别号"),
              upper=True, width=20, doc="17-character VIN")
_PLATE = Column("plate", "车牌号", Kind.ID, ("车牌", "车牌号码", "号牌号码"), upper=True, width=11)
_CUSTOMER = Column("customer", "客户姓名", Kind.TEXT, ("客户名称", "姓名", "车主", "车主姓名", "被保险人"),
                   pii=Pii.NAME, width=10)
_PHONE = Column("phone", "联系电话", Kind.ID, ("电话", "手机", "手机号", "手机号码", "联系方式"),
                pii=Pii.PHONE, width=13)
_BRAND = Column("brand", "品牌", Kind.TEXT, ("车辆品牌",), width=8)
_MODEL = Column("model", "车型", Kind.TEXT, ("车辆型号",), width=10)
_INSURER = Column("insurer", "保险公司", Kind.TEXT, ("承保公司", "保险公司名称", "承保单位"), width=12)
_CLAIM_NO = Column("claim_no", "报案号", Kind.ID, ("报案编号", "案件号", "赔案号"), required=True,
                   upper=True, width=15)
_SIGNED = Column("signed", "签字确认", Kind.YESNO, ("是否签字", "签字"), width=9)

REGISTER_LIST: tuple[Register, ...] = (
    Register(
        "sales", "新车销售明细", "", "One row per vehicle sold: the retained base (保有量) and the "
        "denominator of the first-insurance rate.",
        (
            _VIN,
            _PLATE,
            _CUSTOMER,
            _PHONE,
            _BRAND,
            _MODEL,
            Column("sale_date", "销售日期", Kind.DATE, ("售车日期", "开票日期", "交车日期", "购车日期"),
                   required=True, width=11),
            Column("salesperson", "销售顾问", Kind.TEXT, ("销售员", "顾问"), width=9),
            Column("not_insured_reason", "未在店投保原因", Kind.CHOICE, ("未投保原因", "未在本店投保原因"),
                   NOT_INSURED_REASONS, width=12, doc="why a car sold here was not insured here (§4.5.1)"),
        ),
        sheet_aliases=("新车销售明细表", "新车销售台账", "销售明细"),
        one_of=(("vin", "plate"),),
        unique=("vin",),
    ),
    Register(
        "policies", "客户管理统计明细表", "§4.8.2", "The policies of each vehicle (一车一档: one archive "
        "per vehicle): one row per vehicle and period holding its 交强险 and 商业险, or one row per policy.",
        (
            Column("archive_no", "档案编号", Kind.ID, ("档案号", "客户档案编号", "档案编码"), required=True,
                   upper=True, width=11),
            Column("customer", "客户姓名", Kind.TEXT, _CUSTOMER.aliases, required=True, pii=Pii.NAME,
                   width=10),
            _PHONE,
            Column("id_number", "身份证号", Kind.ID, ("身份证号码", "证件号码", "身份证"), pii=Pii.ID_NUMBER,
                   upper=True, width=20),
            _PLATE,
            _VIN,
            _BRAND,
            _MODEL,
            Column("policy_no", "保单号", Kind.ID, ("保单号码",), upper=True, width=16),
            Column("compulsory_policy_no", "交强险保单号", Kind.ID, ("交强险保单号码", "交强保单号"), upper=True,
                   width=16),
            Column("commercial_policy_no", "商业险保单号", Kind.ID, ("商业险保单号码", "商业保单号"), upper=True,
                   width=16),
            Column("policy_kind", "险类", Kind.CHOICE, ("保单类型", "险别"), POLICY_KINDS, width=10,
                   doc="交强险, 商业险 or 交强+商业 (a row holding both); blank: from the premiums, else 险种"),
            Column("insurer", "保险公司", Kind.TEXT, _INSURER.aliases, required=True, width=12),
            Column("channel", "投保渠道", Kind.CHOICE, ("渠道", "投保地点", "出单渠道"), CHANNELS, required=True,
                   width=9, doc="本店 = written here, 他处 = insured elsewhere"),
            Column("business_type", "业务类型", Kind.CHOICE, ("投保类型", "业务性质", "新保/续保"), BUSINESS_TYPES,
                   required=True, width=9),
            Column("coverages", "险种", Kind.TEXT, ("投保险种", "险种组合"), width=22,
                   doc="coverages joined by +"),
            Column("third_party_limit", "三者险保额", Kind.CHOICE, ("三者保额", "三者险限额", "第三者责任险保额"),
                   THIRD_PARTY_TIERS, width=10, amount_tier=True,
                   doc="a tier (thresholds.third_party_tiers); 2000000 or 200万元 reads as 200万"),
            Column("issue_date", "出单日期", Kind.DATE, ("签单日期", "投保日期"), width=11),
            Column("policy_start", "保单起期", Kind.DATE, ("起保日期", "保险起期", "生效日期"), required=True,
                   width=11),
            Column("policy_end", "保单止期", Kind.DATE, ("终保日期", "保险止期", "到期日期", "保险到期日"),
                   required=True, width=11),
            Column("compulsory_premium", "交强险保费", Kind.MONEY, ("交强险", "交强保费"), width=11),
            Column("commercial_premium", "商业险保费", Kind.MONEY, ("商业险", "商业保费"), width=11),
            Column("commission", "手续费", Kind.MONEY, ("代理手续费", "手续费金额"), width=10),
            Column("clerk", "出单员", Kind.TEXT, ("出单人", "经办人", "业务员"), width=8),
            Column("cancel_date", "退保日期", Kind.DATE, ("退保时间",), width=11,
                   doc="a cancelled policy (退保) is not in force after this day"),
            Column("refund_premium", "退还保费", Kind.MONEY, ("退保保费", "退保金额"), width=10,
                   doc="premium paid back on cancellation (a positive amount)"),
            Column("refund_commission", "退还手续费", Kind.MONEY, ("退保手续费",), width=10,
                   doc="commission paid back on cancellation (a positive amount)"),
        ),
        sheet_aliases=("客户管理统计明细", "客户管理明细表", "保单明细", "客户管理统计表"),
        one_of=(("plate", "vin"),),
        one_of_if=((POLICY_NUMBERS, ("channel", HERE)),),
    ),
    Register(
        "claims", "客户出险统计表", "§4.8.3", "One row per claim case.",
        (
            _CLAIM_NO,
            Column("report_date", "报案日期", Kind.DATE, ("出险日期", "报案时间"), required=True, width=11),
            Column("plate", "车牌号", Kind.ID, _PLATE.aliases, required=True, upper=True, width=11),
            _CUSTOMER,
            _INSURER,
            Column("insured_here", "是否本店投保", Kind.YESNO, ("本店投保", "是否本店承保"), width=9),
            Column("assessed_amount", "定损金额", Kind.MONEY, ("核损金额", "定损价格"), width=11),
            Column("settled_amount", "结算金额", Kind.MONEY, ("理赔金额", "结案金额"), width=11),
            Column("settled_date", "结算日期", Kind.DATE, ("结案日期",), width=11),
            Column("third_party", "涉及三者", Kind.YESNO, ("是否涉及三者", "有无三者"), width=9),
            Column("adjuster", "理赔员", Kind.TEXT, ("保险理赔员", "理赔专员"), width=8),
            Column("status", "状态", Kind.TEXT, ("案件状态", "进度"), width=8),
        ),
        sheet_aliases=("客户出险统计", "出险统计表", "客户出险统计记录表"),
        unique=("claim_no",),
    ),
    Register(
        "handovers", "保险公司案件交接单登记表", "§4.8.4", "One row per case handed to an insurer (§4.3 step 7).",
        (
            Column("handover_no", "交接单号", Kind.ID, ("交接单编号",), upper=True, width=10),
            _CLAIM_NO,
            _INSURER,
            Column("handover_date", "交接日期", Kind.DATE, ("交案日期",), width=11),
            Column("amount", "交接金额", Kind.MONEY, ("案件金额", "金额"), width=11),
            Column("insurer_receiver", "保险公司接收人", Kind.TEXT, ("接收人", "保险公司收件人"), width=10),
            Column("our_clerk", "我方交接人", Kind.TEXT, ("交接人",), width=9),
            _SIGNED,
        ),
        sheet_aliases=("案件交接单登记表", "保险公司案件交接单登记", "案件交接登记表"),
    ),
    Register(
        "old_parts", "旧件交接统计表", "§4.8.5", "Old parts handed over or destroyed (§4.3 step 8).",
        (
            _CLAIM_NO,
            Column("part", "旧件名称", Kind.TEXT, ("配件名称", "旧件"), width=12),
            Column("qty", "数量", Kind.INT, ("件数",), width=6),
            Column("disposal", "处理方式", Kind.CHOICE, ("处理",), DISPOSALS, width=12),
            Column("handover_date", "交接日期", Kind.DATE, ("签收日期",), width=11),
            Column("insurer_signer", "保险公司签收人", Kind.TEXT, ("签收人",), width=10),
            _SIGNED,
        ),
        sheet_aliases=("旧件交接统计", "旧件交接表"),
    ),
    Register(
        "payments", "保险公司回款统计表", "§4.8.6", "What each insurer owes and paid per case (§4.3 step 9).",
        (
            _CLAIM_NO,
            _INSURER,
            Column("amount_due", "应回款金额", Kind.MONEY, ("应回款", "应收金额"), width=11),
            Column("paid_date", "回款日期", Kind.DATE, ("到账日期",), width=11),
            Column("paid_amount", "回款金额", Kind.MONEY, ("实际回款金额", "到账金额"), width=11),
            Column("returned", "核赔退回", Kind.YESNO, ("是否核赔退回", "退回"), width=9),
        ),
        sheet_aliases=("保险公司回款统计", "回款统计表"),
    ),
    Register(
        "tp_refunds", "客户三者回款统计表", "§4.8.7", "Third-party money refunded to customers after "
        "five approvals (§4.3 step 11).",
        (
            _CLAIM_NO,
            _CUSTOMER,
            Column("bank_account", "银行账号", Kind.ID, ("银行卡号", "收款账号", "账号"), pii=Pii.BANK, width=22),
            Column("amount", "三者金额", Kind.MONEY, ("三者款金额", "金额", "退款金额"), width=11),
            Column("insurer_paid_date", "保险回款日期", Kind.DATE, ("保险公司回款日期",), width=11),
            Column("sign_adjuster", "保险理赔员", Kind.TEXT, ("理赔员签字",), width=9),
            Column("sign_service_manager", "售后经理", Kind.TEXT, ("售后经理签字",), width=9),
            Column("sign_cashier", "收银员", Kind.TEXT, ("收银员签字",), width=9),
            Column("sign_finance_manager", "财务经理", Kind.TEXT, ("财务经理签字",), width=9),
            Column("sign_store_manager", "店长", Kind.TEXT, ("店长签字", "总经理"), width=9),
            Column("refund_date", "退款日期", Kind.DATE, ("退还日期",), width=11),
            Column("customer_signed", "客户签字", Kind.YESNO, ("客户签字确认", "客户确认"), width=9),
        ),
        sheet_aliases=("客户三者回款统计", "三者回款统计表"),
    ),
    Register(
        "contacts", "续保跟进记录", "§4.4.3, §4.5.3", "The renewal call log: written by the call list, "
        "filled in by clerks.",
        (
            Column("archive_no", "档案编号", Kind.ID, ("档案号", "客户档案编号"), required=True, upper=True, width=11),
            Column("contact_date", "联系日期", Kind.DATE, ("跟进日期", "联系时间"), required=True, width=11),
            Column("method", "方式", Kind.CHOICE, ("联系方式", "跟进方式"), CONTACT_METHODS, required=True, width=7),
            Column("outcome", "结果", Kind.CHOICE, ("跟进结果", "联系结果"), OUTCOMES, width=12),
            Column("failure_reason", "失败原因", Kind.CHOICE, ("续保失败原因", "未续保原因"), FAILURE_REASONS, width=10),
            Column("quote_amount", "报价金额", Kind.MONEY, ("报价", "续保报价"), width=10,
                   doc="the premium quoted to the customer in this contact (§4.5.3)"),
            Column("next_date", "下次联系", Kind.DATE, ("下次联系日期", "下次跟进日期"), width=11),
            Column("clerk", "出单员", Kind.TEXT, ("跟进人", "经办人"), width=8),
        ),
        sheet_aliases=("续保跟进", "续保跟进表", "续保跟踪记录"),
    ),
    Register(
        "commission_settlements", "手续费结算台账", "§4.6, §4.9.4", "One row per insurer and month: "
        "commission due, invoiced and received.",
        (
            Column("month", "结算月份", Kind.MONTH, ("月份", "结算期间"), required=True, width=9),
            Column("insurer", "保险公司", Kind.TEXT, _INSURER.aliases, required=True, width=12),
            Column("amount_due", "应收手续费", Kind.MONEY, ("应结手续费", "手续费金额"), width=11),
            Column("invoice_date", "开票日期", Kind.DATE, (), width=11),
            Column("received_date", "到账日期", Kind.DATE, ("回款日期",), width=11),
            Column("received_amount", "到账金额", Kind.MONEY, ("实收手续费", "回款金额"), width=11),
            # §4.9.4: the insurer signed a letter confirming the unsettled commission: no write-down
            Column("confirmation_letter", "确认函", Kind.YESNO, ("是否有确认函", "手续费确认函", "确认函(是/否)"), width=8,
                   doc="是: the insurer confirmed the unsettled commission in writing (no write-down)"),
            Column("clerk", "经办人", Kind.TEXT, ("出单员",), width=8),
            # written by `reconcile --lock` (§4.6): a locked month is never edited, a late correction
            # is an adjustment row in the next month naming the month it corrects
            Column("fingerprint", "对账指纹", Kind.ID, ("对账锁定指纹",), width=18,
                   doc="fingerprint of both sides' lines when the month was locked"),
            Column("locked_on", "锁定日期", Kind.DATE, ("对账锁定日期",), width=11),
            Column("adjusts", "调整月份", Kind.MONTH, ("调整所属月份",), width=9,
                   doc="on an adjustment row: the month it adjusts (written by reconcile --lock)"),
        ),
        sheet_aliases=("手续费结算", "手续费台账"),
    ),
    Register(
        "settings", "设置", "", "Store settings as key/value rows (the sheet wins over the TOML file).",
        (
            Column("key", "设置项", Kind.TEXT, ("项目", "参数"), required=True, width=34),
            Column("value", "值", Kind.TEXT, ("设置值", "数值"), width=20),
            Column("note", "说明", Kind.TEXT, ("备注",), width=40),
        ),
        sheet_aliases=("settings", "参数设置"),
    ),
)

REGISTERS: dict[str, Register] = {r.key: r for r in REGISTER_LIST}
DATA_REGISTERS: tuple[str, ...] = tuple(r.key for r in REGISTER_LIST if r.key != "settings")

# Columns the reader adds to every table: where the row came from.
WORKBOOK, SHEET, ROW = "_workbook", "_sheet", "_row"
ROW_META: tuple[str, ...] = (WORKBOOK, SHEET, ROW)


def pii_columns(register_key: str) -> dict[str, Pii]:
    return {c.key: c.pii for c in REGISTERS[register_key].columns if c.pii}
