"""Saving workbooks safely: refuse while open, backups, temp file + fsync + verify + atomic replace."""
from __future__ import annotations
import contextlib
import datetime as dt
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from openpyxl import Workbook
from .properties import stamp_kind
from ..errors import WorkbookBusy, WorkbookLocked, WorkbookUnreadable


BACKUP_DIR = ".insurance-xl-backups"

BACKUPS_KEPT = 10
STALE_TEMP_SECONDS = 600  # a temp file this old is a write killed half-way (kill -9, power cut)
LOCK_WAIT_SECONDS = 300
_held = threading.local()



def lock_files(path: Path) -> list[Path]:
    """Lock files showing the workbook open: Excel's ~$name, LibreOffice's .~lock.name#."""
    folder, name = path.parent, path.name
    candidates = [folder / f"~${name}", folder / f"~${name[2:]}", folder / f".~lock.{name}#"]
    return [c for c in candidates if c.exists()]


def check_not_open(path: Path) -> None:
    locks = lock_files(path)
    if locks:
        raise WorkbookLocked(path, locks[0].name)


@contextlib.contextmanager
def workbook_lock(path: str | Path, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Exclusive across processes for one workbook's read-modify-write (two clerks importing call
    lists at once: the second waits, then reads what the first wrote). The lock file lives in the
    backup folder (never read as part of the store); the operating system releases it when the
    process dies, so a killed run leaves no stale lock. Re-entrant within a thread."""
    target = Path(path).resolve()
    if getattr(_held, "pid", None) != os.getpid():  # a forked child holds nothing of its parent's
        _held.pid, _held.paths = os.getpid(), {}
    held = _held.paths
    if held.get(target):
        held[target] += 1
        try:
            yield
        finally:
            held[target] -= 1
        return
    folder = target.parent / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    with open(folder / f"{target.name}.lock", "a+b") as fh:
        _lock(fh.fileno(), target, wait)
        held[target] = 1
        try:
            yield
        finally:
            held[target] = 0
            _unlock(fh.fileno())


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _lock(fd: int, target: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    pause = 0.01
    while not _try_lock(fd):
        if time.monotonic() > deadline:
            raise WorkbookBusy(target)
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def clean_stale_temps(target: Path, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Remove temp files a killed write left beside `target` (ours: .{stem}.*.tmp{suffix})."""
    removed = []
    cutoff = time.time() - older_than
    for tmp in target.parent.glob(f".{glob_escape(target.stem)}.*.tmp{glob_escape(target.suffix)}"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed.append(tmp)
        except OSError:  # another run's, or already gone
            continue
    return removed


def backup(path: Path, now: dt.datetime | None = None) -> Path:
    """Copy `path` into .insurance-xl-backups/ with a timestamp; keep the newest BACKUPS_KEPT."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S-%f")
    folder = path.parent / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    data = path.read_bytes()
    with open(target, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    _fsync_dir(folder)
    olds = sorted(folder.glob(f"{glob_escape(path.stem)}.*{path.suffix}"))
    for old in olds[:-BACKUPS_KEPT]:
        old.unlink()
    return target


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | Path, write: Callable[[Path], None], *, keep_backup: bool = True,
                 verify: Callable[[Path], None] | None = None, now: dt.datetime | None = None) -> Path | None:
    """Write a workbook through `write(temp_path)` and swap it in atomically.

    Returns the backup made of the old file (None when there was no old file or no backup asked).
    """
    target = Path(path)
    check_not_open(target)
    clean_stale_temps(target)
    made = backup(target, now) if keep_backup and target.exists() else None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        _keep_mode(target, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        (verify or verify_workbook)(tmp)
        check_not_open(target)  # opened while we were writing: leave the clerk's file alone
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        if tmp.exists():
            tmp.unlink()
    return made


def _keep_mode(target: Path, tmp: Path) -> None:
    """mkstemp makes the temp file 0600: give it the old file's permissions (a store on a shared
    folder must stay readable by the others), or the umask's default for a new file."""
    if target.exists():
        shutil.copymode(target, tmp)
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)


def verify_workbook(path: Path) -> None:
    """Re-open a freshly written workbook: it must pass the reading checks and list its sheets."""
    from .safety import check_workbook_file
    from .grids import load_grids

    check_workbook_file(path)
    try:
        for _ in load_grids(path, rows=1):
            pass
    except WorkbookUnreadable as exc:
        raise WorkbookUnreadable(path, f"写入后校验失败：{exc.reason}") from None


def save_workbook(wb: Workbook, path: str | Path, *, keep_backup: bool = True, kind: str | None = None,
                  now: dt.datetime | None = None) -> Path | None:
    """Save an openpyxl workbook atomically; `kind` marks it as an insurance-xl output."""
    if kind:
        stamp_kind(wb, kind)
    return atomic_write(path, lambda tmp: wb.save(tmp), keep_backup=keep_backup, now=now)



