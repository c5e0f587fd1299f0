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
    p.add_argument("dir", help="folder to write the blank register workbooks into")


COMMANDS: tuple[CommandSpec, ...] = (
    ('templates', 'write blank register workbooks', _templates_args, cmd_templates),
)
