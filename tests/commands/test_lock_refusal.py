"""`reconcile --lock` books a receivable: it refuses an insurer that is not a partner, naming the closest
one, and a month without a policy of ours (issue 20)."""
from __future__ import annotations

import argparse
import dataclasses
import shutil

from insurance_xl import cli
from insurance_xl.commands.common import load
from insurance_xl.services.month_end import lock_refusal, reconcile_month

from tests.conftest import sample

ARGS = ["--settings", None, "--as-of", "2026-11-24", "--month", "2026-10", "--statement", None]


def args_for(store, statement):
    a = list(ARGS)
    a[1], a[-1] = str(sample("settings.toml")), str(statement)
    return [str(store), *a]


def test_a_typo_for_a_partner_is_refused_naming_the_partner_and_nothing_is_written(tmp_path, capsys):
    store = tmp_path / "store.xlsx"
    shutil.copyfile(sample("store.xlsx"), store)
    before = store.read_bytes()
    code = cli.main(["reconcile", *args_for(store, sample("statement.xlsx")), "--insurer", "人保", "--lock"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_DATA_ERRORS
    assert "「人保」不是「设置」里的合作保险公司" in err and "是不是「人保财险」" in err and err.count("\n") == 1
    assert store.read_bytes() == before


def test_a_partner_without_a_policy_that_month_is_refused():
    ns = argparse.Namespace(path=str(sample("store.xlsx")), settings=str(sample("settings.toml")),
                            as_of=__import__("datetime").date(2026, 11, 24))
    registers, ctx = load(ns)
    policies = registers["policies"]
    none_of_theirs = dataclasses.replace(registers, tables={**registers.tables,
                                                             "policies": policies[policies["insurer"] != "人保财险"]})
    result = reconcile_month(none_of_theirs, ctx, "人保财险", "2026-10", sample("statement.xlsx"))
    refusal = lock_refusal(none_of_theirs, ctx, "人保财险", "2026-10", result.rec)
    assert refusal and "本店没有「人保财险」的保单" in refusal
    real = reconcile_month(registers, ctx, "人保财险", "2026-10", sample("statement.xlsx"))
    assert lock_refusal(registers, ctx, "人保财险", "2026-10", real.rec) is None
