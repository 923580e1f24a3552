"""The ``xltool`` command: one short module per command group over the library API."""

from xltool.cli.main import main, run

__all__ = ["main", "run"]
