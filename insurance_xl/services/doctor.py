"""What a button would use on this PC (`insurance-xl doctor`, the 检查环境 button).

The buttons' VBA (xlwings' module, README "The Excel workbook") looks for the Python to start in this
order: the workbook's `xlwings.conf` sheet, an `xlwings.conf` file beside the workbook, the user's
`xlwings.conf` (%USERPROFILE%\\.xlwings\\ on Windows), and finally `python` on PATH. The workbook leaves
the interpreter keys out of its sheet, so each PC's own setting applies. This module reads the same
places the same way, says which interpreter a button would start, and asks that interpreter which
insurance-xl and xlwings it imports: the workbook's VBA must come from that xlwings release.
"""
from __future__ import annotations

import csv
import functools
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..xlsx.properties import PROPERTY_PREFIX, read_properties

XLWINGS_PROPERTY = PROPERTY_PREFIX + "xlwings"  # the xlwings release whose VBA the workbook embeds
CONF_SHEET = "xlwings.conf"
_ENV = re.compile(r"%([^%]+)%")


@dataclass(frozen=True)
class Interpreter:
    command: str  # as configured ("python", a full path…)
    source: str  # where the setting came from
    path: str | None  # what it resolves to (None: not found)


@dataclass
class Checkup:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def say(self, label: str, text: str) -> None:
        self.lines.append(f"{label}：{text}")

    def problem(self, text: str) -> None:
        self.problems.append(text)
        self.lines.append(f"问题：{text}")


def interpreter_key(platform: str = sys.platform) -> str:
    return "INTERPRETER_MAC" if platform == "darwin" else "INTERPRETER_WIN"


def user_config_file(platform: str = sys.platform, environ: dict[str, str] | None = None) -> Path:
    """Where xlwings' VBA reads the user's settings (GetConfigFilePath)."""
    env = os.environ if environ is None else environ
    if platform == "darwin":
        return Path(env.get("HOME", "~")).expanduser() / "Library/Containers/com.microsoft.Excel/Data/xlwings.conf"
    home = env.get("USERPROFILE") or env.get("HOME") or str(Path.home())
    return Path(home) / ".xlwings" / "xlwings.conf"


def expand(text: str, environ: dict[str, str] | None = None) -> str:
    """%VAR% as Windows' ExpandEnvironmentStrings does (unknown names are left as they are)."""
    env = os.environ if environ is None else environ
    return _ENV.sub(lambda m: env.get(m[1], env.get(m[1].upper(), m[0])), text)


def sheet_config(workbook: Path) -> dict[str, str]:
    """The workbook's xlwings.conf sheet, A1 down to the first empty cell (GetConfigFromSheet)."""
    from openpyxl import load_workbook

    from ..errors import WorkbookUnreadable
    from ..xlsx.safety import check_workbook_file

    check_workbook_file(workbook)  # size, archive and encryption checks: WorkbookUnreadable with the reason
    try:
        wb = load_workbook(workbook, read_only=True)
    except Exception as exc:  # the reading boundary: any parser failure is one message naming the file
        raise WorkbookUnreadable(workbook, f"无法打开（{type(exc).__name__}）") from None
    try:
        if CONF_SHEET not in wb.sheetnames:
            return {}
        out = {}
        for key, value, *_ in wb[CONF_SHEET].iter_rows(min_col=1, max_col=2, values_only=True):
            if key in (None, ""):
                break
            out[str(key).upper()] = "" if value is None else str(value)
        return out
    finally:
        wb.close()


def file_config(path: Path) -> dict[str, str]:
    """An xlwings.conf file: one `"KEY","VALUE"` line per setting (VBA's `Input #`)."""
    if not path.is_file():
        return {}
    out = {}
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) >= 2 and row[0].strip():
                out.setdefault(row[0].strip().upper(), row[1].strip())
    return out


def button_interpreter(workbook: Path | None, platform: str = sys.platform,
                       environ: dict[str, str] | None = None) -> Interpreter:
    """The Python a button of `workbook` would start, and where that setting comes from."""
    layers: list[tuple[str, dict[str, str]]] = []
    if workbook is not None and workbook.is_file():
        layers.append((f"工作簿的 {CONF_SHEET} 工作表", sheet_config(workbook)))
        beside = workbook.parent / "xlwings.conf"
        layers.append((f"工作簿旁的 {beside}", file_config(beside)))
    user = user_config_file(platform, environ)
    layers.append((f"用户配置 {user}", file_config(user)))
    for key in (interpreter_key(platform), "INTERPRETER"):  # RunPython falls back to the legacy key
        for source, values in layers:
            if key in values:
                command = expand(values[key], environ)
                if command:
                    return Interpreter(command, f"{source}（{key}）", _resolve(command))
                break  # present but empty: this key gives "", the next key is asked
    return Interpreter("python", "默认（PATH 上的 python）", _resolve("python"))


def _resolve(command: str) -> str | None:
    found = shutil.which(command)
    return str(Path(found).resolve()) if found else None


@functools.lru_cache(maxsize=8)  # one probe per interpreter and process: starting Python takes a second
def interpreter_versions(python: str) -> dict[str, str]:
    """What `python` imports: {'python', 'bits', 'insurance_xl', 'xlwings'} (a missing one as '')."""
    if Path(python).resolve() == Path(sys.executable).resolve():
        return current_versions()
    probe = ("import json,struct,sys\nout={'python':sys.version.split()[0],'bits':str(struct.calcsize('P')*8)}\n"
             "for m in ('insurance_xl','xlwings'):\n    try:\n        out[m]=__import__(m).__version__\n"
             "    except Exception:\n        out[m]=''\nprint(json.dumps(out))")
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60,
                              cwd=tempfile.gettempdir())  # not this folder: a checkout here would be imported
        import json

        return json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return {}


def current_versions() -> dict[str, str]:
    import xlwings

    from .. import __version__

    return {"python": sys.version.split()[0], "bits": str(struct.calcsize("P") * 8),
            "insurance_xl": __version__, "xlwings": xlwings.__version__}


def checkup(workbook: Path | None, interpreter: Interpreter | None = None) -> Checkup:
    """Every line `doctor` prints, and the problems among them."""
    report = Checkup()
    here = current_versions()
    report.say("本命令的 Python", f"{here['python']}（{here['bits']} 位）{sys.executable}")
    report.say("insurance-xl", here["insurance_xl"])
    report.say("xlwings", here["xlwings"])
    chosen = interpreter or button_interpreter(workbook)
    report.say("按钮启动的 Python", f"{chosen.command}，设置来自{chosen.source}")
    if chosen.path is None:
        report.problem(f"找不到 {chosen.command}：在用户配置 {user_config_file()} 写入 "
                       f"\"{interpreter_key()}\",\"python.exe 的完整路径\"，或把 Python 加入 PATH")
        theirs: dict[str, str] = {}
    else:
        theirs = interpreter_versions(chosen.path)
        report.say("  它是", f"{chosen.path}，Python {theirs.get('python') or '?'}（{theirs.get('bits') or '?'} 位），"
                           f"insurance-xl {theirs.get('insurance_xl') or '未安装'}，xlwings {theirs.get('xlwings') or '未安装'}")
        if not theirs.get("insurance_xl") or not theirs.get("xlwings"):
            report.problem(f"{chosen.path} 没有安装 insurance-xl（或 xlwings）：用它运行 pip install 安装包")
        if theirs.get("bits") and theirs["bits"] != "64":
            report.problem("按钮启动的是 32 位 Python：请安装 64 位 Python 3.11+")
    if workbook is None:
        report.say("工作簿", "未指定（insurance-xl doctor 工作簿.xlsm 可检查它的 VBA 与设置）")
    elif not workbook.is_file():
        report.problem(f"找不到工作簿 {workbook}")
    else:
        embedded = read_properties(workbook).get(XLWINGS_PROPERTY, "")
        installed = theirs.get("xlwings") or here["xlwings"]
        report.say("工作簿 VBA 的 xlwings 版本", embedded or "未知（不是 insurance-xl workbook 写出的工作簿）")
        if embedded and embedded != installed:
            report.problem(f"工作簿的 VBA 来自 xlwings {embedded}，按钮的 Python 装的是 xlwings {installed}："
                           f"用 insurance-xl workbook 重新写出与安装包一致的 insurance.xlsm")
    report.lines.append("检查通过，按钮可以运行。" if not report.problems else f"发现 {len(report.problems)} 个问题。")
    return report
