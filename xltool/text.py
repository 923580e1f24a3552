"""Jinja2 text: titles and the instructions sheet, rendered from ``templates/``."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from .spec import Spec, templates_dir


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
