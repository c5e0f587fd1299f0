"""The month's renewal pipeline beside the KPIs (DOMAIN.md rev 2 "KPIs" and "Renewal reminders"):
the cars sold without a 本店 新保 policy by reason, the weekly 首保/续保 counts and the per-clerk funnel.
`kpi --json` adds these as `not_insured_reasons`, `weeks` and `funnel`; the report and 看板 show them."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..settings import Context
from ..tables import Registers, json_records
from .first_insurance import WEEK_COLUMNS, not_insured_reasons, pipeline_facts, weekly_counts
from .funnel import funnel_json, renewal_funnel
from .vehicles import VehicleIndex, vehicle_index


# the register columns the pipeline reads (the 刷新看板 button parses only these beside the KPIs' own)
PIPELINE_COLUMNS: dict[str, tuple[str, ...]] = {
    "sales": ("vin", "plate", "brand", "sale_date", "not_insured_reason"),
    "policies": ("archive_no", "vin", "plate", "brand", "channel", "business_type", "issue_date", "policy_start",
                 "policy_end", "clerk", "cancel_date"),
    "contacts": ("archive_no", "contact_date", "quote_amount"),
}


@dataclass(frozen=True, eq=False)
class RenewalPipeline:
    month: str
    not_insured_reasons: dict[str, int]  # reason (未填 last) → own-brand cars sold in M
    weeks: pd.DataFrame  # WEEK_COLUMNS, one row per ISO week touching M
    funnel: pd.DataFrame  # funnel.FUNNEL_COLUMNS, one row per clerk

    def to_json(self) -> dict:
        return {"not_insured_reasons": dict(self.not_insured_reasons),
                "weeks": json_records(self.weeks, WEEK_COLUMNS),
                "funnel": funnel_json(self.funnel)}


def renewal_pipeline(registers: Registers, ctx: Context, month: str,
                     index: VehicleIndex | None = None) -> RenewalPipeline:
    month = str(pd.Period(month, "M"))
    facts = pipeline_facts(registers, ctx)
    index = index or vehicle_index(registers)
    return RenewalPipeline(
        month,
        not_insured_reasons(registers, ctx, month, facts),
        weekly_counts(registers, ctx, month, facts),
        renewal_funnel(registers["policies"], registers["contacts"], index, ctx, month),
    )
