"""Validation for auditors: registers + context → every finding, located to the cell.

Pure (STYLE.md, beancount's bean-check): the reader's findings (unreadable values, missing
columns) and the rules' findings (rules.py) come out as one list, all rules run, nothing stops at
the first problem. A cell the reader already reported is not reported again by a rule (an
unreadable 保单起期 is one finding, not also "保单起期 is empty").
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ...findings import Finding, Severity
from ...tables import Registers
from ...registers import DATA_REGISTERS, REGISTERS
from .business import (check_claim_numbers_known, check_commission_rates, check_handovers_signed, check_partner_count,
                       check_partner_insurers, check_payments_within_due, check_policy_dates, check_refund_approvals,
                       check_refund_customer_signature, check_settled_after_reported)
from .claim_money import check_payment_matches_settlement
from .common import Check
from .compulsory import check_compulsory_overlap, check_compulsory_term
from .policy_numbers import check_archive_one_vehicle, check_policy_numbers_unique
from .policy_rules import (check_insured_here_matches, check_issue_date_present, check_new_policy_after_sale,
                           check_sale_brand_present)
from .fields import (check_allowed_values, check_dates_not_after_as_of, check_duplicates, check_negative_amounts,
                     check_phone_numbers, check_registers_present, check_required, check_third_party_tiers,
                     check_unrecognised_sheets, check_vins)
from ...settings import Context

# Bump when a rule is added, removed or changes what it flags: the stamp of a validated workbook
# records which rules it was checked against.
RULESET_VERSION = "2026.2"

# Rule code → what it checks, in Chinese: the catalogue shown in the validated workbook.
RULE_TITLES: dict[str, str] = {
    "read.missing_column": "缺少必填列",
    "read.not_a_date": "不是有效日期",
    "read.not_a_number": "不是有效金额",
    "read.not_an_integer": "不是整数",
    "read.not_yes_no": "不是 是/否",
    "read.not_a_month": "不是有效月份",
    "register.missing": "未找到登记表",
    "sheet.unrecognised": "无法识别的工作表",
    "required.missing": "必填项为空",
    "required.plate_or_vin": "车牌号和车架号均为空",
    "value.not_allowed": "值不在允许范围内",
    "amount.negative": "金额为负数",
    "policy.end_before_start": "保单止期不晚于起期",
    "vin.invalid": "车架号格式错误",
    "policies.duplicate_policy_no": "保单号重复（保单号、交强险保单号、商业险保单号之间）",
    "policies.archive_two_vehicles": "同一档案编号用于两辆车",
    "compulsory.overlap": "同一车辆两份交强险同时在保",
    "compulsory.longer_than_year": "交强险期限超过一年",
    "compulsory.short_term": "短期交强险（不足一年）",
    "policy.no_issue_date": "本店保单缺少出单日期",
    "policy.new_long_after_sale": "新保起期晚于销售日期过久",
    "claim.insured_here_contradicts": "是否本店投保与保单台账不符",
    "sales.brand_blank": "多品牌门店销售记录缺少品牌",
    "claims.duplicate_claim_no": "报案号重复",
    "sales.duplicate_vin": "车架号重复",
    "commission.duplicate_month": "同一保险公司同一月份重复结算",
    "claim_no.not_in_claims": "报案号不在出险统计表中",
    "policy.insurer_not_partner": "本店出单的保险公司不是合作公司",
    "settings.no_partners": "设置中没有合作保险公司",
    "partners.too_many": "当月合作保险公司过多",
    "refund.missing_approvals": "三者款退款缺少审批签字",
    "refund.customer_not_signed": "三者款退款客户未签字",
    "date.after_as_of": "日期晚于校验基准日",
    "claim.settled_before_reported": "结算日期早于报案日期",
    "phone.wrong_length": "联系电话位数不对",
    "handover.not_signed": "交接单未签字确认",
    "payment.more_than_due": "回款金额大于应回款金额",
    "payment.differs_from_settlement": "应回款金额与结算金额不符",
    "policy.commission_off_rate": "手续费与约定费率不符",
}

# Every rule, in the order it runs (all run: the report lists every problem, not the first).
CHECKS: tuple[Check, ...] = (
    check_registers_present,
    check_unrecognised_sheets,
    check_required,
    check_allowed_values,
    check_third_party_tiers,
    check_negative_amounts,
    check_policy_dates,
    check_vins,
    check_duplicates,
    check_policy_numbers_unique,
    check_archive_one_vehicle,
    check_compulsory_overlap,
    check_compulsory_term,
    check_issue_date_present,
    check_new_policy_after_sale,
    check_insured_here_matches,
    check_sale_brand_present,
    check_claim_numbers_known,
    check_partner_insurers,
    check_partner_count,
    check_refund_approvals,
    check_refund_customer_signature,
    check_dates_not_after_as_of,
    check_settled_after_reported,
    check_phone_numbers,
    check_handovers_signed,
    check_payments_within_due,
    check_payment_matches_settlement,
    check_commission_rates,
)

_REGISTER_ORDER = {key: i for i, key in enumerate(("", *DATA_REGISTERS))}


@dataclass(frozen=True)
class Validation:
    findings: tuple[Finding, ...]
    ruleset: str = RULESET_VERSION

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.is_error)

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors

    def to_json(self) -> dict:
        """The `validate --json` contract: findings, errors, warnings."""
        return {"findings": [f.to_json() for f in self.findings], "errors": self.errors, "warnings": self.warnings}

    def summary(self) -> list[tuple[str, str, Severity, int]]:
        """(register, rule, severity, count): by register, errors before warnings, then by rule."""
        counts = Counter((f.register, f.rule, f.severity) for f in self.findings)
        return [(reg, rule, sev, n) for (reg, rule, sev), n in sorted(
            counts.items(), key=lambda item: (_REGISTER_ORDER.get(item[0][0], 99), item[0][2] is not Severity.ERROR,
                                              item[0][1]))]


def validate(registers: Registers, ctx: Context, checks: Sequence[Check] = CHECKS) -> Validation:
    """Run every rule; return the reader's findings and the rules', sorted by where they are."""
    findings = list(registers.findings)
    reported = {_cell(f) for f in registers.findings if f.key}
    for check in checks:
        findings.extend(f for f in check(registers, ctx) if not (f.key and _cell(f) in reported))
    return Validation(tuple(sorted(findings, key=_order)))


def _cell(f: Finding) -> tuple:
    loc = f.location
    return (f.register, loc.workbook, loc.sheet, loc.row, f.key)


def _order(f: Finding) -> tuple:
    loc = f.location
    return (_REGISTER_ORDER.get(f.register, 99), loc.workbook, loc.sheet, -1 if loc.row is None else loc.row,
            len(loc.cell), loc.cell, f.rule)


def register_title(key: str) -> str:
    return REGISTERS[key].sheet if key in REGISTERS else "工作簿"


def rule_title(rule: str) -> str:
    return RULE_TITLES.get(rule, rule)


SEVERITY_LABEL = {Severity.ERROR: "错误", Severity.WARNING: "警告"}


def report_lines(validation: Validation, source: str = "", as_of: object = None) -> Iterable[str]:
    """A readable report: one block per register with its counts, one line per finding."""
    head = f"校验 {source}" if source else "校验结果"
    if as_of is not None:
        head += f"（基准日 {as_of}，规则版本 {validation.ruleset}）"
    yield head
    if not validation.findings:
        yield "  没有发现问题。"
    by_register: dict[str, list[Finding]] = {}
    for f in validation.findings:
        by_register.setdefault(f.register, []).append(f)
    for key, items in by_register.items():
        errors = sum(1 for f in items if f.is_error)
        yield ""
        yield f"{register_title(key)}（{key or '-'}）：错误 {errors} 条，警告 {len(items) - errors} 条"
        for f in items:
            loc = f.location
            where = f"{loc.sheet}!{loc.cell}" if loc.cell else (f"{loc.sheet} 第{loc.row}行" if loc.row else loc.sheet)
            yield f"  {SEVERITY_LABEL[f.severity]}  {where:<24} {f.rule:<30} {f.message}"
    yield ""
    yield f"合计：错误 {validation.errors} 条，警告 {validation.warnings} 条"
