"""The sent ledger: one JSON line per message sent, drafted (an .eml written to the outbox: nobody has
sent it yet) or failed, next to the .eml files in the outbox.

It is what makes a rerun of the same month send nothing new (ARCHITECTURE.md "Files we touch ·
E-mail"): a message is keyed by store + month + recipient. Appending a line is fsynced; a line torn
by a crash is ignored when reading (that message counts as not sent, and goes again). The ledger is
locked while a run sends, so a cron run and a running scheduler cannot both send.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LEDGER_NAME = "sent-ledger.jsonl"


def message_key(store: str, month: str, recipient: str) -> str:
    """Stable per store, month and recipient: the ledger's key and the Message-ID's core."""
    digest = hashlib.sha256(f"{store}\n{month}\n{recipient.strip().lower()}".encode()).hexdigest()[:16]
    return f"{month}.{digest}"


@dataclass(frozen=True)
class SentLedger:
    """Append-only JSON lines: one per message sent or failed. A torn last line is ignored."""

    path: Path

    @classmethod
    def in_outbox(cls, outbox: Path) -> SentLedger:
        return cls(Path(outbox) / LEDGER_NAME)

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict):
                    out.append(entry)
        return out

    def sent_counts(self, drafts: bool = False) -> dict[str, int]:
        """Messages per key that really left (SMTP: "sent"); with `drafts`, also the ones written to the
        outbox for someone to send ("drafted"): they settle a message for the outbox, not for SMTP."""
        settled = {"sent", "drafted"} if drafts else {"sent"}
        counts: dict[str, int] = {}
        for e in self.entries():
            if e.get("status") in settled:
                counts[e.get("key", "")] = counts.get(e.get("key", ""), 0) + 1
        return counts

    def is_complete(self, store: str, month: str, addresses: Collection[str], drafts: bool = False) -> bool:
        counts = self.sent_counts(drafts)
        return all(counts.get(message_key(store, month, a)) for a in addresses)

    def record(self, entry: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive across processes (a cron run and a running scheduler cannot both send)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(f".{self.path.name}.lock"), "a+b") as fh:
            _lock(fh.fileno())
            try:
                yield
            finally:
                _unlock(fh.fileno())


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # gives up after ~10 s: keep waiting
                return
            except OSError:
                continue

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
