"""Run every command on every corpus file, each file under a time and memory limit.

Two worker processes (spawned, so no state leaks from pytest) take files one at a time; the parent
waits at most `timeout` seconds for each and kills the worker of a file that hangs. Each worker caps
its address space (RLIMIT_AS), so a reader that tries to allocate without bound dies (and counts as a
crash) instead of taking the machine down. Commands run in-process through insurance_xl.cli.main with
INSURANCE_XL_DEBUG=1, so an internal error surfaces as the traceback it is.

An outcome is a `result` (exit 0/1), a `clean` error (exit 2 with exactly one 'insurance-xl: …' line on
stderr and no traceback) or a `crash` (anything else: exit 3, a traceback, an exception out of main,
a worker killed by a signal, a hang, a clerk's workbook changed by a command that refused).
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import logging
import multiprocessing
import os
import queue
import resource
import shutil
import sys
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

AS_OF = "2026-11-24"
MONTH = "2026-10"
# How each command is run on a corpus file. {store}: the corpus file; {store_copy}: a private copy of
# it for commands that write into it; {good_store}: a private copy of the sound base store; {filled}:
# a filled-in call list; {statement}: the sample insurer statement; {out}: a private output folder.
# --json and --out together: one run exercises both faces of a command.
RECIPES: dict[str, tuple[tuple[str, ...], ...]] = {
    "overdue": (("overdue", "{store}", "--json", "--out", "{out}/催款清单.xlsx"),),
    "calls": (("calls", "{store}", "--json", "--out", "{out}/calls"),
              ("calls", "import", "{filled}", "--into", "{store_copy}"),
              ("calls", "import", "{store}", "--into", "{good_store}")),
    "validate": (("validate", "{store}", "--json", "--out", "{out}/validated.xlsx"),
                 ("validate", "{good_store}", "--verify", "{store}")),
    "kpi": (("kpi", "{store}", "--month", MONTH, "--json"),),
    "report": (("report", "{store}", "--month", MONTH, "--out", "{out}/report.xlsx"),),
    "region": (("region", "{store}", "--month", MONTH, "--json", "--out", "{out}/region.xlsx"),),
    "commission": (("commission", "{store}", "--year", MONTH[:4], "--json", "--out", "{out}/commission.xlsx"),),
    "staff": (("staff", "{store}", "--month", MONTH, "--json", "--out", "{out}/staff.xlsx"),),
    "reconcile": (("reconcile", "{store_copy}", "--month", MONTH, "--insurer", "人保财险", "--statement", "{statement}",
                   "--json", "--out", "{out}/reconcile.xlsx", "--lock"),
                  ("reconcile", "{good_store}", "--month", MONTH, "--insurer", "人保财险", "--statement", "{store}", "--json")),
}
NOT_ON_A_STORE = {"run", "demo", "templates", "schedule"}
WRITES_INTO = "{store_copy}"  # a command given this must leave it byte for byte alone when it refuses
RECYCLE_AFTER = 25  # files per worker process


@dataclass(frozen=True)
class Outcome:
    case: str
    family: str
    command: str
    status: str  # result | clean | crash
    detail: str
    seconds: float


@dataclass(frozen=True)
class Fixtures:
    """The sound files commands need beside the corpus file."""

    good_store: Path
    filled: Path
    statement: Path
    settings: Path


def store_commands() -> list[tuple[str, ...]]:
    """Every command on main that takes a store, as argv templates: the RECIPES for known ones, and
    `NAME {store}` (with --json when it has one) for any command added since."""
    from insurance_xl.cli import COMMANDS, build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    argvs: list[tuple[str, ...]] = [("read_store", "{store}")]
    for name, *_ in COMMANDS:
        if name in NOT_ON_A_STORE:
            continue
        options = subparsers.choices[name]._option_string_actions
        common = tuple(o for o, v in (("--settings", "{settings}"), ("--as-of", AS_OF)) if o in options for o in (o, v))
        recipes = RECIPES.get(name) or ((name, "{store}", *(("--json",) if "--json" in options else ())),)
        argvs.extend(recipe + common for recipe in recipes)
    return argvs


# ---- the worker ---------------------------------------------------------------------------------

class _CurrentStderr(logging.Handler):
    """Log records go to whatever sys.stderr is at the time (the capture of the running command)."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")


def _read_once(read_store):
    """read_store, remembered per file state: the commands run on one corpus file all read it, and
    reading is deterministic, so one read serves them all (each gets its own copy)."""
    import copy

    seen: dict = {}

    def read(path, *args, **kwargs):
        p = Path(path)
        try:
            stat = p.stat()
            key = (str(p.resolve()), stat.st_size, stat.st_mtime_ns, args, tuple(sorted(kwargs.items())))
        except OSError:
            return read_store(path, *args, **kwargs)
        if key not in seen:
            seen.clear()
            try:
                seen[key] = ("ok", read_store(path, *args, **kwargs))
            except Exception as exc:  # noqa: BLE001  replayed below, exactly as raised
                seen[key] = ("error", exc)
        kind, value = seen[key]
        if kind == "error":
            raise value
        return copy.deepcopy(value)

    return read


def _worker(conn, memory_bytes: int) -> None:
    os.environ["INSURANCE_XL_DEBUG"] = "1"
    import insurance_xl.reading.store as reading

    reading.read_store = _read_once(reading.read_store)  # before any module binds the name
    import insurance_xl.services.calls_import  # noqa: F401  imported before the cap: imports are not what we bound
    import insurance_xl.cli  # noqa: F401  (the commands' modules too)

    logging.getLogger().handlers[:] = [_CurrentStderr()]
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    while True:
        task = conn.recv()
        if task is None:
            return
        conn.send(_run_case(*task))


def _run_case(case: str, family: str, argvs: list[list[str]], workdir: str) -> list[Outcome]:
    outcomes = []
    for argv in argvs:
        os.chdir(workdir)
        guarded = next((a for a in argv if ".guarded." in a), None)
        before = hashlib.sha256(Path(guarded).read_bytes()).digest() if guarded else None
        start = time.perf_counter()
        status, detail = _run_command(argv)
        if guarded and status != "result" and hashlib.sha256(Path(guarded).read_bytes()).digest() != before:
            status, detail = "crash", f"refused but changed the workbook it was given: {detail}"
        outcomes.append(Outcome(case, family, command_label(argv), status, detail, time.perf_counter() - start))
    return outcomes


def command_label(argv) -> str:
    """The command, and the role the corpus file plays when it is not the store: 'calls import (list)',
    'reconcile (statement)', 'validate (verify)'."""
    into = any(".guarded." in a or a == WRITES_INTO for a in argv)  # it writes into the file (or its template does)
    if argv[0] == "calls" and argv[1] == "import":
        return "calls import" + ("" if into else " (list)")
    if argv[0] == "reconcile" and not into:
        return "reconcile (statement)"
    if "--verify" in argv:
        return f"{argv[0]} (verify)"
    return argv[0]


def _run_command(argv: list[str]) -> tuple[str, str]:
    from insurance_xl.cli import main
    from insurance_xl.errors import InsuranceXlError
    from insurance_xl.reading.store import read_store  # the worker's remembering one

    out, err = io.StringIO(), io.StringIO()
    try:
        with _native_stderr() as native, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            if argv[0] == "read_store":
                try:
                    read_store(argv[1])
                    code = 0
                except InsuranceXlError as exc:
                    sys.stderr.write(f"insurance-xl: {exc}\n")
                    code = 2
            else:
                code = main(argv)
    except BaseException as exc:  # noqa: BLE001  the point: anything escaping is a crash
        if isinstance(exc, KeyboardInterrupt):
            raise
        return "crash", "".join(traceback.format_exception(exc))[-3000:]
    text = err.getvalue()
    if native.getvalue().strip():  # a library (a Rust panic hook) wrote to the terminal behind our back
        return "crash", f"exit {code}, and straight to stderr: {native.getvalue()[-3000:]}"
    messages = [line for line in text.splitlines() if line.startswith("insurance-xl:")]
    if "Traceback" in text:
        return "crash", text[-3000:]
    if code in (0, 1):
        return "result", f"exit {code}"
    if code == 2 and len(messages) == 1 and "\n" not in messages[0]:
        return "clean", messages[0]
    return "crash", f"exit {code}: {text[-3000:]}"


@contextlib.contextmanager
def _native_stderr():
    """What is written to file descriptor 2 itself (not through sys.stderr) meanwhile, as a StringIO."""
    import tempfile

    caught = io.StringIO()
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield caught
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            caught.write(sink.read().decode("utf-8", "replace"))


# ---- the parent ---------------------------------------------------------------------------------

def _argvs_for(case_path: Path, work: Path, fixtures: Fixtures, templates: list[tuple[str, ...]]) -> list[list[str]]:
    argvs = []
    for k, template in enumerate(templates):
        values = {"store": str(case_path), "settings": str(fixtures.settings), "filled": str(fixtures.filled),
                  "statement": str(fixtures.statement), "out": str(work / f"out{k}")}
        (work / f"out{k}").mkdir()
        if WRITES_INTO in template:  # its own copy, named so that the worker checks it on refusal
            copy = work / f"copy{k}" / (case_path.stem + ".guarded" + case_path.suffix)
            copy.parent.mkdir()
            shutil.copy(case_path, copy)
            values["store_copy"] = str(copy)
        if "{good_store}" in template:
            good = work / f"good{k}" / fixtures.good_store.name
            good.parent.mkdir()
            shutil.copy(fixtures.good_store, good)
            values["good_store"] = str(good)
        argvs.append([part.format(**values) for part in template])
    return argvs


class _Slot:
    """One worker process, replaced when it dies or hangs."""

    def __init__(self, ctx, memory_bytes: int) -> None:
        self.ctx, self.memory_bytes, self.done = ctx, memory_bytes, 0
        self._start()

    def _start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.process = self.ctx.Process(target=_worker, args=(child, self.memory_bytes), daemon=True)
        self.process.start()
        child.close()

    def run(self, task, timeout: float) -> list[Outcome] | str:
        self.done += 1
        if self.done % RECYCLE_AFTER == 0:  # a fresh worker now and then: the address-space cap is
            self.close()                     # per process, and allocators do not hand memory back
            self._start()
        self.conn.send(task)
        if self.conn.poll(timeout):
            try:
                return self.conn.recv()
            except (EOFError, OSError):
                pass
        alive = self.process.is_alive()
        self.process.kill()
        self.process.join()
        reason = f"hang: no answer within {timeout:.0f} s" if alive else f"worker died (exit {self.process.exitcode})"
        self._start()
        return reason

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()


def run_corpus(cases, root: Path, fixtures: Fixtures, *, jobs: int = 2, timeout: float = 60,
               memory_bytes: int = 4 << 30) -> list[Outcome]:
    """Every store command on every case; a case that hangs or kills its worker is one crash."""
    templates = store_commands()
    todo: queue.Queue = queue.Queue()
    for case in cases:
        todo.put(case)
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    ctx = multiprocessing.get_context("spawn")

    def drain() -> None:
        slot = _Slot(ctx, memory_bytes)
        try:
            while True:
                try:
                    case = todo.get_nowait()
                except queue.Empty:
                    return
                work = root / case.name
                work.mkdir(parents=True)
                path = work / case.name
                path.write_bytes(case.data)
                start = time.perf_counter()
                got = slot.run((case.name, case.family, _argvs_for(path, work, fixtures, templates), str(work)), timeout)
                if isinstance(got, str):
                    got = [Outcome(case.name, case.family, "(whole file)", "crash", got, time.perf_counter() - start)]
                with lock:
                    outcomes.extend(got)
                shutil.rmtree(work, ignore_errors=True)
        finally:
            slot.close()

    threads = [threading.Thread(target=drain) for _ in range(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def summary(outcomes: list[Outcome], files: int, seconds: float) -> str:
    counts = Counter(o.status for o in outcomes)
    slowest = max(outcomes, key=lambda o: o.seconds, default=None)
    lines = [f"corpus: {files} files tried, {len(outcomes)} command runs: {counts['result']} results, "
             f"{counts['clean']} clean errors, {counts['crash']} crashes ({seconds:.0f} s)"]
    by_family = Counter((o.family, o.status) for o in outcomes)
    for family in sorted({o.family for o in outcomes}):
        lines.append(f"  {family:<16} " + ", ".join(f"{s} {by_family[(family, s)]}" for s in ("result", "clean", "crash")))
    spent = Counter()
    for o in outcomes:
        spent[o.command] += o.seconds
    lines.append("  seconds by command: " + ", ".join(f"{c} {s:.0f}" for c, s in spent.most_common()))
    if slowest:
        lines.append(f"  slowest run: {slowest.command} on {slowest.case} {slowest.seconds:.1f} s")
    return "\n".join(lines)
