"""The monthly report as the scheduled job, `report --send` and `run` build and send it: read the store,
compute the month's KPIs once, write the workbook, send it through the sent ledger."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..core.claim_cases import insurers_of_month
from ..core.claims import overdue_payments
from ..core.commission import business_commission
from ..core.kpi import KPI_NEEDS, MonthlyKpis, monthly_kpis
from ..core.pipeline import RenewalPipeline, renewal_pipeline
from ..core.staff import StaffMonth, staff_month
from ..settings import Context, MailSettings, Settings
from ..tables import Registers
from ..writing.report_book import report_filename, write_report
from .jobs import ReportBuilder, report_builder
from .mail import SendResult, SentLedger, send_report
from .mail_transport import transport_for

StoreLoader = Callable[[dt.date], tuple[Registers, Context]]


def store_report_builder(load_store: StoreLoader, out_dir: Path, out_file: str | None = None) -> ReportBuilder:
    """The ReportBuilder of `schedule`, `report --send` and `run`: the store's report for a month,
    the workbook in `out_dir` (or `out_file`)."""

    def checked(as_of: dt.date) -> tuple[Registers, Context]:
        registers, ctx = load_store(as_of)
        registers.require(KPI_NEEDS)
        return registers, ctx

    def path_for(store: str, month: str) -> Path:
        return Path(out_file) if out_file else out_dir / report_filename(store, month)

    return report_builder(checked, write_monthly_report, path_for)


@dataclass(frozen=True)
class ReportResults:
    """What the monthly report shows, computed once: the month's KPIs, the overdue payments (None for a
    store that keeps no handover register) and the insurer comparison of the month's claim cases."""

    kpis: MonthlyKpis
    overdue: pd.DataFrame | None
    insurers: pd.DataFrame
    staff: StaffMonth
    pipeline: RenewalPipeline
    commission: dict[str, float]  # new-car and renewal commission (§4.7.2), for the region's `_data`


def report_results(registers: Registers, ctx: Context, month: str) -> ReportResults:
    overdue = None if "handovers" in registers.missing else overdue_payments(
        registers["handovers"], registers["payments"], registers["claims"], ctx)
    return ReportResults(monthly_kpis(registers, ctx, month), overdue, insurers_of_month(registers, ctx, month),
                         staff_month(registers, ctx, month), renewal_pipeline(registers, ctx, month),
                         business_commission(registers["policies"], month))


def write_monthly_report(registers: Registers, ctx: Context, month: str, path: str | Path) -> tuple[Path, MonthlyKpis]:
    """Compute the month's results once and write the report workbook from them."""
    r = report_results(registers, ctx, month)
    return write_report(registers, ctx, month, path, kpis=r.kpis, overdue=r.overdue, insurer_cases=r.insurers,
                        staff=r.staff, pipeline=r.pipeline, extra=r.commission), r.kpis


def send_built(report, mail: MailSettings, now: dt.datetime, *, resend: bool = False) -> SendResult:
    outbox = Path(mail.outbox)
    return send_report(report, mail, transport_for(mail, outbox), SentLedger.in_outbox(outbox), now=now,
                       resend=resend)


def build_and_send(load_store: StoreLoader, out_dir: Path, settings: Settings, month: str, as_of: dt.date,
                   now: dt.datetime, *, resend: bool = False, out_file: str | None = None):
    """`report --send`: build the month's report and send it as the scheduled job does."""
    report = store_report_builder(load_store, out_dir, out_file)(month, as_of)
    return report, send_built(report, settings.mail, now, resend=resend)
