"""Where xltool keeps the user's own things: the config folder, the issuer key and the
issuer's own form kinds. Each can be moved by an environment variable."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from xltool.errors import SpecError

KEY_ENV = "XLTOOL_KEY_FILE"
SPECS_ENV = "XLTOOL_SPECS"


def config_dir() -> Path:
    """%APPDATA%\\xltool on Windows, else $XDG_CONFIG_HOME/xltool or ~/.config/xltool."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        base = Path(os.environ["APPDATA"])
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "xltool"


def default_key_path() -> Path:
    return config_dir() / "issuer.key"


def key_path(explicit: Path | None = None) -> Path:
    """The issuer key: the one given, else $XLTOOL_KEY, else the config folder's."""
    if explicit:
        return explicit
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV])
    return default_key_path()


def user_specs_dir() -> Path:
    """Where an issuer keeps its own kinds: $XLTOOL_SPECS, else the config folder's specs/."""
    if os.environ.get(SPECS_ENV):
        return Path(os.environ[SPECS_ENV])
    return config_dir() / "specs"


def cache_dir() -> Path:
    """What xltool may rebuild at any time (validated specs): %LOCALAPPDATA%\\xltool\\cache
    on Windows, else $XDG_CACHE_HOME/xltool or ~/.cache/xltool."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "xltool" / "cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "xltool"


def templates_dir() -> Path:
    """The built-in form kinds, mail and page texts: inside the installed package, else
    the source checkout's ``templates/``."""
    here = Path(__file__).parent
    for d in (here / "templates", here.parent / "templates"):
        if d.is_dir():
            return d
    raise SpecError(
        "xltool 安装不完整：缺少 templates/ 文件夹",
        "xltool is installed without its templates/ folder",
    )
