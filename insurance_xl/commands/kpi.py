"""kpi: the supervisor's numbers of a month (DOMAIN.md "KPIs")."""
from __future__ import annotations

import argparse

from ..core.kpi_counts import COUNT_LABELS
from ..core.kpi import KPI_NEEDS, MONEY_KEYS, MONEY_LABELS, RATE_LABELS, USED_COLUMNS, monthly_kpis
from ..core.pipeline import renewal_pipeline
from ..writing.terminal import pad
from .common import CommandSpec, add_store_args, emit_json, finish, load, parse_month, say, warn_without_own_brands


def cmd_kpi(args: argparse.Namespace) -> int:
    registers, ctx = load(args)
    registers.require(KPI_NEEDS)
    warn_without_own_brands(ctx)
    kpis = monthly_kpis(registers, ctx, args.month)
    payload = kpis.to_json()
    pipeline = renewal_pipeline(registers, ctx, args.month)
    payload.update(pipeline.to_json())
    code = finish(registers, USED_COLUMNS, payload)
    if args.json:
        emit_json(payload)
        return code
    say(f"{ctx.settings.store} {payload['month']} 关键指标（截至 {ctx.as_of:%Y-%m-%d}）")
    for key, label in RATE_LABELS.items():
        value = payload[key]
        num, den = kpis.fraction(key)
        say(f"  {pad(label, 22)}{'—' if value is None else f'{value:.2%}':>9}   {num} / {den}")
    for key in MONEY_KEYS:  # gross by issue month, then the refunds of policies cancelled in the month
        say(f"  {pad(MONEY_LABELS[key], 22)}{payload[key]:>14,.2f}")
    for key, value in payload["counts"].items():
        say(f"  {pad(COUNT_LABELS[key], 26)}{value:>8}")
    say("  未在店投保原因：" + "、".join(f"{reason} {cars}" for reason, cars in pipeline.not_insured_reasons.items()))
    for week in payload["weeks"]:
        say(f"  {week['week']}  新车销售 {week['sold']:>4}  首保 {week['first_insured']:>4}  续保 {week['renewed']:>4}")
    for row in payload["funnel"]:
        rates = "  ".join(f"{label} {'—' if row[key] is None else f'{row[key]:.0%}'}"
                          for key, label in (("quote_rate", "报价率"), ("close_rate", "成交率")))
        say(f"  {pad(row['clerk'], 8)}应联系 {row['due']:>4}  已报价 {row['quoted']:>4}  已续保 {row['renewed']:>4}  {rates}")
    return code


def _kpi_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--month", type=parse_month, required=True, metavar="YYYY-MM", help="月份，如 2026-10 或 2026/10")
    p.add_argument("--json", action="store_true", help="以一个 JSON 对象输出指标")



COMMANDS: tuple[CommandSpec, ...] = (
    ('kpi', '一个月的关键指标（首保率、续保率、流失率、出险率…）', _kpi_args, cmd_kpi),
)
