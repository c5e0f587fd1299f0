"""demo: write a realistic sample store."""
from __future__ import annotations

import argparse

from ..demo.store import write_demo_store
from .common import EXIT_OK, CommandSpec, parse_count, parse_date, say, today


def cmd_demo(args: argparse.Namespace) -> int:
    for path in write_demo_store(args.dir, seed=args.seed, vehicles=args.vehicles, as_of=args.as_of or today()):
        say(str(path))
    return EXIT_OK


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="写示例门店的文件夹")
    p.add_argument("--seed", type=int, default=2026, help="随机种子（种子和日期相同，门店就相同）")
    p.add_argument("--vehicles", type=parse_count, default=1500, help="三年内售出的本品牌车辆数")
    p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD",
                   help="门店数据的最后一天：往前三年的历史（默认今天）")


COMMANDS: tuple[CommandSpec, ...] = (
    ('demo', '写出一个逼真的示例门店', _demo_args, cmd_demo),
)
