"""templates: blank register workbooks."""
from __future__ import annotations

import argparse

from ..writing.template_books import write_templates
from .common import EXIT_OK, CommandSpec, say


def cmd_templates(args: argparse.Namespace) -> int:
    for path in write_templates(args.dir):
        say(str(path))
    return EXIT_OK


def _templates_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="写空白登记表的文件夹")


COMMANDS: tuple[CommandSpec, ...] = (
    ('templates', '写出空白登记表', _templates_args, cmd_templates),
)
