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
    p.add_argument("--out-dir", default="out", help="where the demo store and results go (default ./out)")
    p.add_argument("--seed", type=int, default=2026, help="demo store seed")
    p.add_argument("--vehicles", type=parse_count, default=1500, help="demo store size (own-brand vehicles)")


COMMANDS: tuple[CommandSpec, ...] = (
    ('run', 'the main job on the built-in sample store', _run_args, cmd_run),
)
