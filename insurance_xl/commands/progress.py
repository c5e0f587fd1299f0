"""Signs of life on the command line: a step that runs longer than SHOW_AFTER seconds shows its name
and the time it has taken on stderr, redrawn in place, and clears the line when it ends.

Only on a terminal: piped or redirected output, --json, and INSURANCE_XL_PROGRESS=0 keep stderr
quiet (a scheduled job's log gets no carriage returns). The Excel face shows its steps in the
status bar instead (excel/book.status).
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import TextIO

SHOW_AFTER = 2.0
EVERY = 0.5


def wanted(stream: TextIO, json_output: bool = False) -> bool:
    if json_output or os.environ.get("INSURANCE_XL_PROGRESS", "") == "0":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def step(label: str, *, json_output: bool = False, stream: TextIO | None = None,
         show_after: float = SHOW_AFTER) -> Iterator[None]:
    """`with step("读取 store.xlsx"): ...` — after `show_after` seconds, '读取 store.xlsx … 3 秒'."""
    out = stream or sys.stderr
    if not wanted(out, json_output):
        yield
        return
    done = threading.Event()
    start = time.monotonic()
    shown = [False]

    def draw() -> None:
        if done.wait(show_after):
            return
        while True:
            seconds = time.monotonic() - start
            try:
                out.write(f"\r{label} … {seconds:.0f} 秒 ")
                out.flush()
            except (OSError, ValueError):
                return
            shown[0] = True
            if done.wait(EVERY):
                return

    thread = threading.Thread(target=draw, name="insurance-xl-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        if shown[0]:
            with contextlib.suppress(OSError, ValueError):
                width = len(label) * 2 + 16
                out.write("\r" + " " * width + "\r")
                out.flush()
