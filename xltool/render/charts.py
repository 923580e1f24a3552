"""The summary report's charts, drawn with matplotlib (Agg, imported only here, only by
``xltool report``) in a Chinese font found on this machine. Without one the charts are
not drawn at all: a chart whose labels are boxes is worse than none, and the command
says which package to install."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# Preferred first: fonts that hold every Chinese character a department's name may have.
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "思源黑体", "Noto Sans CJK JP", "Source Han Sans", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "STHeiti", "Noto Serif CJK SC", "SimSun",
)  # fmt: skip
FONT_HINT = (
    "本机没有中文字体，报告未附图表（不会画出方框字）。请安装 fonts-noto-cjk 或 "
    "fonts-wqy-zenhei（Debian/Ubuntu：apt-get install fonts-noto-cjk），Windows 自带 SimHei/微软雅黑",
    "no Chinese font on this machine, so the report has no charts (they would show boxes). "
    "Install fonts-noto-cjk or fonts-wqy-zenhei (Debian/Ubuntu: apt-get install fonts-noto-cjk)",
)
PROBE = "绩效自评得分执行率部门优良中差"


def _matplotlib() -> Any:
    """matplotlib on the Agg backend (the CLI hides numpy from openpyxl; undo that)."""
    if "numpy" in sys.modules and sys.modules["numpy"] is None:
        del sys.modules["numpy"]
    import logging

    import matplotlib

    matplotlib.use("Agg")
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # weight fallbacks
    return matplotlib


def cjk_font() -> tuple[str, str] | None:
    """(family, file) of a Chinese font matplotlib can use, holding every probe glyph."""
    _matplotlib()
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    by_name: dict[str, str] = {}
    for entry in font_manager.fontManager.ttflist:
        by_name.setdefault(entry.name, entry.fname)
    for name in CJK_FONTS:
        path = by_name.get(name)
        if path is None:
            continue
        try:
            face = FT2Font(path)
            if all(face.get_char_index(ord(ch)) for ch in PROBE):
                return name, path
        except (OSError, RuntimeError, ValueError):
            continue
    return None


def _figure(font: tuple[str, str], height: float) -> tuple[Any, Any]:
    _matplotlib()
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    font_manager.fontManager.addfont(font[1])
    plt.rcParams.update({"font.family": "sans-serif", "font.sans-serif": [font[0]],
                         "axes.unicode_minus": False, "font.size": 10})  # fmt: skip
    fig, ax = plt.subplots(figsize=(7.5, height), dpi=150)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _save(fig: Any, target: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(target, format="png")
    plt.close(fig)
    return target


def grades_chart(font: tuple[str, str], grades: list[tuple[str, int]], target: Path) -> Path:
    fig, ax = _figure(font, 2.8)
    labels, counts = [g for g, _n in grades], [n for _g, n in grades]
    bars = ax.bar(labels, counts, color=["#2E75B6", "#5B9BD5", "#F4B183", "#C00000"][: len(labels)])
    ax.bar_label(bars, labels=[f"{n}个" for n in counts])
    ax.set_title("自评等级分布")
    ax.set_ylabel("数量")
    ax.set_ylim(0, max([*counts, 1]) * 1.25)
    return _save(fig, target)


def bars_chart(
    font: tuple[str, str],
    items: list[tuple[str, float]],
    target: Path,
    *,
    title: str,
    percent: bool = False,
    lines: tuple[float, ...] = (),
) -> Path:
    """One horizontal bar per department, in the order given (top to bottom)."""
    fig, ax = _figure(font, max(2.4, 0.28 * len(items) + 1.2))
    labels = [name for name, _v in items]
    values = [v * 100 if percent else v for _n, v in items]
    bars = ax.barh(range(len(items)), values, color="#5B9BD5")
    ax.set_yticks(range(len(items)), labels)
    ax.invert_yaxis()
    ax.bar_label(bars, labels=[f"{v:.2f}%" if percent else f"{v:g}" for v in values], fontsize=8)
    for x in lines:
        ax.axvline(x * 100 if percent else x, color="#C00000", linestyle="--", linewidth=1)
    ax.set_title(title)
    ax.set_xlim(0, max([*values, 1]) * 1.15)
    return _save(fig, target)
