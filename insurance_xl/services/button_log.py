"""A button's unexpected error, kept for the maintainer: a rotating log beside the user's xlwings
config (%USERPROFILE%\\.xlwings\\insurance-xl.log on Windows), so the clerk can send one file.

Only where the code failed is written (the traceback's frames and the exception's type), never the
exception's text: it may quote a cell, and cells hold customers' names and phones (ARCHITECTURE.md
"Personal data")."""
from __future__ import annotations

import datetime as dt
import logging
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from . import doctor

LOG_NAME = "insurance-xl.log"
MAX_BYTES, BACKUPS = 1_000_000, 3


def log_path() -> Path:
    return doctor.user_config_file().parent / LOG_NAME


def log_button_error(title: str, exc: BaseException, now: dt.datetime) -> Path | None:
    """Append the error to the log; returns its path (None when the log cannot be written)."""
    path = log_path()
    frames = "".join(traceback.format_tb(exc.__traceback__))
    logger = logging.getLogger("insurance_xl.buttons")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError:
        return None
    try:
        logger.addHandler(handler)
        logger.propagate = False
        logger.error("%s 按钮「%s」内部错误 %s\n%s", now.isoformat(timespec="seconds"), title, type(exc).__name__,
                     frames)
    finally:
        logger.removeHandler(handler)
        handler.close()
    return path
