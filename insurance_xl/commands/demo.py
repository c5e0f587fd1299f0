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
    p.add_argument("dir", help="folder to write the sample store into")
    p.add_argument("--seed", type=int, default=2026, help="random seed (same seed and date, same store)")
    p.add_argument("--vehicles", type=parse_count, default=1500, help="own-brand vehicles sold over three years")
    p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD",
                   help="the store's last day: history runs three years up to it (default: today)")


COMMANDS: tuple[CommandSpec, ...] = (
    ('demo', 'write a realistic sample store', _demo_args, cmd_demo),
)
