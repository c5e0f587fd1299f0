"""Markdown tables for README.md, generated from the declarations (a test keeps README in step)."""
from __future__ import annotations

from ..registers import REGISTER_LIST
from ..settings import documented_settings

REGISTERS_BEGIN, REGISTERS_END = "<!-- registers:begin -->", "<!-- registers:end -->"
SETTINGS_BEGIN, SETTINGS_END = "<!-- settings:begin -->", "<!-- settings:end -->"


def registers_markdown() -> str:
    lines = []
    for reg in REGISTER_LIST:
        lines.append(f"**{reg.sheet}** `{reg.key}` {reg.section} — {reg.doc}")
        lines.append("")
        lines.append("| column | key | type | required | allowed values | personal data |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for c in reg.columns:
            required = "yes" if c.required else (f"when {c.required_if[0]} = {c.required_if[1]}" if c.required_if else "")
            for group in reg.one_of:
                if c.key in group:
                    required = required or "one of " + " / ".join(group)
            for group, (other, value) in reg.one_of_if:
                if c.key in group:
                    required = required or f"one of {' / '.join(group)} when {other} = {value}"
            lines.append(f"| {c.header} | `{c.key}` | {c.kind.value} | {required} | {' '.join(c.choices)} | "
                         f"{c.pii.value if c.pii else ''} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def settings_markdown() -> str:
    lines = ["| key | 设置项 | default | meaning |", "| --- | --- | --- | --- |"]
    for key, label, default, doc in documented_settings():
        lines.append(f"| `{key}` | {label} | `{default!r}` | {doc} |")
    return "\n".join(lines) + "\n"


def replace_between(text: str, begin: str, end: str, body: str) -> str:
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    return f"{head}{begin}\n{body}{end}{tail}"


def render_readme(text: str) -> str:
    text = replace_between(text, REGISTERS_BEGIN, REGISTERS_END, registers_markdown())
    return replace_between(text, SETTINGS_BEGIN, SETTINGS_END, settings_markdown())


if __name__ == "__main__":  # python -m insurance_xl.writing.docs README.md: refresh the generated tables
    import sys
    from pathlib import Path

    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(render_readme(path.read_text(encoding="utf-8")), encoding="utf-8")
