"""Pages from the package's templates (``templates/web/``, auto-escaped), downloads with
RFC 6266 file names that keep the Chinese, and the assets (CSS, one script)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader
from starlette.responses import FileResponse, HTMLResponse, Response

from xltool.i18n import counts
from xltool.paths import templates_dir
from xltool.web.texts import text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ASSETS = {"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8"}
_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def web_dir() -> Path:
    return templates_dir() / "web"


class Pages:
    """The Jinja2 environment of one server: its language, auto-escaping on."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.env = Environment(
            loader=FileSystemLoader(web_dir()),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(t=self.t, lang=lang, counts=self.counts)

    def t(self, key: str, **values: Any) -> str:
        return text(key, self.lang, **values)

    def counts(self, errors: int, warnings: int, paren: bool = False) -> str:
        """How many errors and warnings, in the page's language (in brackets: its own)."""
        said = counts(errors, warnings, self.lang)
        if not paren:
            return said
        return f"（{said}）" if self.lang == "zh" else f" ({said})"

    def render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)

    def page(self, name: str, http_status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.render(name, **context), status_code=http_status)


def disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the real one as ``filename*``."""
    path = Path(filename)
    stem = _ASCII_SAFE.sub("_", path.stem).strip("._") or "download"
    fallback = stem + _ASCII_SAFE.sub("", path.suffix)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment(data: bytes, filename: str, media_type: str = XLSX) -> Response:
    return Response(
        data, media_type=media_type, headers={"Content-Disposition": disposition(filename)}
    )


def file_attachment(path: Path, filename: str, media_type: str = XLSX) -> FileResponse:
    return FileResponse(
        path, media_type=media_type, headers={"Content-Disposition": disposition(filename)}
    )


def asset(name: str) -> Response | None:
    """One of the package's assets, by its name in the fixed list (never a path)."""
    if name not in ASSETS:
        return None
    data = (web_dir() / "assets" / name).read_bytes()
    return Response(data, media_type=ASSETS[name], headers={"Cache-Control": "max-age=3600"})
