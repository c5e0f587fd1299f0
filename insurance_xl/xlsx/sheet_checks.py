"""safety.check_workbook_file for a reader that parses a workbook sheet by sheet, the sheets checked ahead.

Checking a dealer group's workbook means inflating and scanning gigabytes of worksheet XML, and the
Rust reader that parses it next does the same. The Rust reader lets go of Python while it parses, so
the two can share the machine's cores: every part but the worksheets is checked at once (the reader
opens those first), and the worksheets are checked on a thread, in workbook order, while the reader
parses the sheets before them. The reader asks `wait(sheet)` before it parses a sheet, which raises
whatever the check found, so no parser ever sees a part that has not passed; `finish()` at the end
raises what was found in a part the reader did not parse. Same rules, same messages.

    checks = SheetChecks(path)
    try:
        for sheet in sheets:
            checks.wait(sheet)        # raises WorkbookUnreadable as check_workbook_file would
            ... parse the sheet; checks.marked(sheet) says whether cell_marks need look at it
        checks.finish()
    finally:
        checks.close()
"""
from __future__ import annotations

import threading
import zipfile
from pathlib import Path

from .parts import sheet_parts
from .safety import check_entries, check_extent, check_file, scan_part, translated

_WORKBOOK_PARTS = ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels")


class SheetChecks:
    def __init__(self, path: Path) -> None:
        check_file(path)
        self.path = path
        self._done = threading.Condition()
        self._results: dict[str, bool | BaseException] = {}  # part → marked, or what it raised
        self._stopped = threading.Event()
        with translated(path), zipfile.ZipFile(path) as archive, path.open("rb") as raw:
            entries = [e for e in check_entries(path, archive) if not e.is_dir()]
            first = [e for e in entries if e.filename in _WORKBOOK_PARTS]
            extents = [(e, scan_part(path, raw, e)) for e in first]  # they say which parts are worksheets
            try:
                self.parts = dict(sheet_parts(archive))
            except Exception:  # noqa: BLE001  a workbook.xml the reader will refuse: nothing is deferred
                self.parts = {}
            ahead = set(self.parts.values())
            extents += [(e, scan_part(path, raw, e)) for e in entries if e not in first and e.filename not in ahead]
            for entry, extent in extents:
                if extent is not None:
                    check_extent(path, archive, raw, entry, extent)
        self._ahead = [e for e in entries if e.filename in ahead]
        order = {part: i for i, part in enumerate(self.parts.values())}
        self._ahead.sort(key=lambda e: order[e.filename])
        self._thread = threading.Thread(target=self._check_sheets, name="insurance-xl sheet checks", daemon=True)
        self._thread.start()

    def wait(self, sheet: str) -> None:
        """Return once the sheet's part has passed; raise what its check found. A sheet the workbook
        does not list waits for every part."""
        part = self.parts.get(sheet)
        if part is None:
            self.finish()
            return
        with self._done:
            self._done.wait_for(lambda: part in self._results or not self._thread.is_alive())
        found = self._results.get(part)
        if isinstance(found, BaseException):
            raise found
        if found is None:  # the thread ended without a verdict on it
            self.finish()

    def marked(self, sheet: str) -> bool:
        """Whether the sheet's XML holds an error value or a formula (cell_marks.py); True when unknown."""
        found = self._results.get(self.parts.get(sheet, ""))
        return not isinstance(found, bool) or found

    def finish(self) -> None:
        """Wait for every part; raise what the first failing one (in workbook order) found."""
        self._thread.join()
        for entry in self._ahead:
            found = self._results.get(entry.filename)
            if isinstance(found, BaseException):
                raise found

    def close(self) -> None:
        """The reader is done (or gave up): the thread stops at its next chunk."""
        self._stopped.set()

    def _check_sheets(self) -> None:
        try:
            with zipfile.ZipFile(self.path) as archive, self.path.open("rb") as raw:
                for entry in self._ahead:
                    if self._stopped.is_set():
                        return
                    try:
                        with translated(self.path):
                            extent = scan_part(self.path, raw, entry, self._stopped.is_set, marks=True)
                            if extent is not None and not self._stopped.is_set():
                                check_extent(self.path, archive, raw, entry, extent)
                        found: bool | BaseException = bool(extent is not None and extent.marked)
                    except BaseException as exc:  # noqa: BLE001  handed to the reader, raised there
                        found = exc
                    with self._done:
                        self._results[entry.filename] = found
                        self._done.notify_all()
                    if isinstance(found, BaseException):
                        return
        except BaseException as exc:  # noqa: BLE001  opening the file again failed: every sheet says so
            error = _as_the_clerk_sees_it(self.path, exc)
            with self._done:
                for entry in self._ahead:
                    self._results.setdefault(entry.filename, error)
        finally:
            with self._done:
                self._done.notify_all()


def _as_the_clerk_sees_it(path: Path, exc: BaseException) -> BaseException:
    """`exc` as translated() raises it (one WorkbookUnreadable), for handing from the thread to the reader."""
    try:
        with translated(path):
            raise exc
    except BaseException as seen:  # noqa: BLE001
        return seen
