"""The exceptions that stop a run (STYLE.md); data problems are Findings instead."""
from __future__ import annotations


class InsuranceXlError(Exception):
    """Base: the CLI prints the message on one line and exits 2."""


class WorkbookUnreadable(InsuranceXlError):
    def __init__(self, path: object, reason: str, sheet: str = "", column: str = "") -> None:
        self.path, self.reason, self.sheet, self.column = str(path), reason, sheet, column
        where = " · ".join(p for p in (self.path, sheet, column) if p)
        super().__init__(f"无法读取 {where}: {reason}")


class RegisterMissing(WorkbookUnreadable):
    """A register, or a column a command needs, is not in the workbook."""


class WorkbookLocked(InsuranceXlError):
    def __init__(self, path: object, lock: object) -> None:
        self.path, self.lock = str(path), str(lock)
        super().__init__(f"{self.path} 正在被 Excel 或 LibreOffice 打开（发现锁文件 {self.lock}），请先关闭再试")


class WorkbookBusy(InsuranceXlError):
    def __init__(self, path: object) -> None:
        self.path = str(path)
        super().__init__(f"{self.path} 正被另一个 insurance-xl 进程写入，等待超时，请稍后再试")


class SettingsError(InsuranceXlError):
    def __init__(self, source: object, key: str, problem: str) -> None:
        self.source, self.key, self.problem = str(source), key, problem
        super().__init__(f"设置错误 {self.source}: {key}: {problem}")
