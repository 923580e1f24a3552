"""Errors a user causes: each carries one clear line (Chinese and English) and ends the
command with exit code 2."""

from __future__ import annotations


class XltoolError(Exception):
    """A usage or input error, reported as one line (no traceback)."""

    def __init__(self, zh: str, en: str | None = None) -> None:
        super().__init__(en or zh)
        self.zh = zh
        self.en = en or zh

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class SpecError(XltoolError):
    """A form spec that cannot be loaded or does not hold together."""


class InputError(XltoolError):
    """A roster, indicator or data file that cannot be used."""
