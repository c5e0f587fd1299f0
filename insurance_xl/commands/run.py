"""run: the main job on the built-in sample store (services/main_job.py), its lines printed as it goes."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..services.main_job import run_main_job
from .common import EXIT_OK, CommandSpec, now, parse_count, say, today


def cmd_run(args: argparse.Namespace) -> int:
    for line in run_main_job(Path(args.out_dir), seed=args.seed, vehicles=args.vehicles, today=today(), now=now()):
        say(line)
    return EXIT_OK


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out-dir", default="out", help="示例门店和结果写到哪里（默认 ./out）")
    p.add_argument("--seed", type=int, default=2026, help="示例门店的随机种子")
    p.add_argument("--vehicles", type=parse_count, default=1500, help="示例门店规模（本品牌车辆数）")


COMMANDS: tuple[CommandSpec, ...] = (
    ('run', '用内置示例门店跑一遍主流程', _run_args, cmd_run),
)
