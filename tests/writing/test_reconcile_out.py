"""The reconciliation's faces: the detail list both parties sign ties out to the totals; JSON in yuan."""
import pytest

from insurance_xl.writing.reconciliation_book import _detail_frame, reconciliation_json

from tests.core.test_reconcile import OURS, run, statement


class _Statement:
    """The few Statement attributes the JSON needs."""

    path, sheets, period, period_text, stated_totals, findings, policy_prefix = "s.xlsx", [], (), "", {}, [], ""
    lines = statement()

    def columns_used(self):
        return {}


REC = run(OURS, statement(("P1", "京A1", 950, 3000, 800.30), ("P2", "京A2", 950, 0, 38), ("P2", "京A2", 950, 0, 38),
                          ("P3", "京A3", 665, 4466.88, 1143.33), ("P9", "京B9", 950, 2800, 738)))


def test_detail_list_has_every_line_of_both_sides_and_ties_out_to_the_totals():
    frame = _detail_frame(REC)
    totals = REC.totals
    assert round(frame["ours_commission"].sum() * 100) == totals["ours"]["commission"]
    assert round(frame["theirs_commission"].sum() * 100) == totals["theirs"]["commission"]
    assert round(frame["difference"].sum() * 100) == totals["difference"]["commission"]
    results = frame.set_index("policy_no")["result"]
    assert results["P1"] == "金额差异：手续费" and results["P3"] == "一致" and results["P4"] == "仅本店：对账单未列示"
    assert results["P9"].startswith("仅保险公司")
    assert frame["result"].str.startswith("重复列示（保险公司").sum() == 1
    assert frame["no"].tolist() == list(range(1, len(frame) + 1))


def test_json_gives_yuan_both_values_and_the_difference():
    got = reconciliation_json(REC, _Statement())
    [diff] = got["differences"]
    assert diff["ours"]["commission"] == 788.0 and diff["theirs"]["commission"] == 800.3
    assert diff["difference"]["commission"] == pytest.approx(12.3) and diff["differs"] == ["commission"]
    p3 = next(m for m in got["matched"] if m["policy_no"] == "P3")
    assert p3["difference"]["commission"] == 0.01
    assert got["duplicates"] == [{"side": "theirs", "policy_no": "P2", "copies": 2, "identical": True,
                                  "sheet": "清单", "rows": [6, 7], "extra": {"compulsory_premium": 950.0,
                                                                          "commercial_premium": 0.0, "commission": 38.0}}]
    assert got["totals"]["ours"]["lines"] == 4 and got["totals"]["theirs"]["lines"] == 5
    assert got["tolerance"] == 0.01
    assert sum(got["totals"]["explained"]["commission"].values()) == pytest.approx(
        got["totals"]["difference"]["commission"])
