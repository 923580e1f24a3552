"""Jinja2 text: titles and the instructions sheet, rendered from ``templates/``."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jinja2

from xltool.forms.spec import Spec
from xltool.paths import templates_dir


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=False,  # plain text into cells, never HTML
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _compiled(source: str) -> jinja2.Template:
    return _env().from_string(source)


def render_title(spec: Spec, fields: dict[str, Any]) -> str:
    context = {key: fields.get(key) for key in spec.all_fields()}
    return _compiled(spec.title).render(**context)


def render_instructions(spec: Spec, **context: Any) -> list[str]:
    """The 填表说明 sheet as lines of text."""
    text = _env().get_template("instructions.zh.j2").render(spec=spec, **context)
    return text.splitlines()


_IF_ELSE = re.compile(r"\{\{\s*(\w+)\s*~\s*'([^']*)'\s+if\s+\1\s+else\s+'([^']*)'\s*\}\}")
_OR = re.compile(r"\{\{\s*(\w+)\s+or\s+'([^']*)'\s*\}\}")


def title_formula(spec: Spec, address_of: Any) -> str | None:
    """The title as a formula over the cells the filer fills (the year, the name), so the
    printed title follows what they enter. Only titles made of ``{{ f ~ 'x' if f else
    'y' }}``, ``{{ f or 'y' }}`` and plain text are turned into formulas; any other
    template stays the text rendered when the form was issued."""
    fields = spec.all_fields()
    parts: list[str] = []
    pos, text = 0, spec.title
    while pos < len(text):
        match = _IF_ELSE.match(text, pos) or _OR.match(text, pos)
        if match is None:
            if text[pos] == "{":
                return None  # a construct we do not translate
            end = text.find("{", pos)
            literal = text[pos : end if end != -1 else len(text)]
            parts.append('"' + literal.replace('"', '""') + '"')
            pos += len(literal)
            continue
        name = match.group(1)
        if name not in fields:
            return None
        cell = address_of(name)
        if match.re is _IF_ELSE:
            suffix, empty = match.group(2), match.group(3)
            parts.append(f'IF({cell}="","{empty}",{cell}&"{suffix}")')
        else:
            parts.append(f'IF({cell}="","{match.group(2)}",{cell})')
        pos = match.end()
    return "&".join(parts) if parts else None
