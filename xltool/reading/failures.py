"""What an exception raised while reading a damaged file means, as a finding (never a
traceback): the errors openpyxl, zipfile and the XML parsers are known to raise."""

from __future__ import annotations

import zipfile
import zlib
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from openpyxl.utils.exceptions import CellCoordinatesException, InvalidFileException

from xltool.findings import Finding
from xltool.reading.sniff import unreadable

# Exceptions openpyxl is known to raise on damaged files, and what they mean.
_KNOWN: list[tuple[type[BaseException], str, str]] = [
    (zipfile.BadZipFile, "zip 包已损坏", "a damaged zip package"),
    (zlib.error, "压缩数据已损坏", "corrupt compressed data"),
    (KeyError, "缺少工作簿中引用的部件", "a part the workbook refers to is missing"),
    (
        IndexError,
        "样式或共享字符串的编号超出范围",
        "a style or shared-string index is out of range",
    ),
    (ParseError, "XML 格式错误", "malformed XML"),
    (
        DefusedXmlException,
        "XML 含有被禁止的结构（DTD/实体）",
        "forbidden XML constructs (DTD/entities)",
    ),
    (NotImplementedError, "使用了不支持的特性", "an unsupported feature"),
    (RecursionError, "结构嵌套过深", "nesting too deep to read"),
    (CellCoordinatesException, "单元格或区域引用无效", "an invalid cell or range reference"),
    (InvalidFileException, "不是可读取的工作簿", "not a workbook that can be read"),
    (EOFError, "文件被截断", "the file is truncated"),
    (TypeError, "部件内容无效", "invalid part content"),
    (ValueError, "单元格或部件的值无效", "invalid cell or part values"),
    (OSError, "无效的工作簿部件", "an invalid workbook part"),
]


def classify_exception(exc: BaseException) -> Finding:
    chain = [exc, exc.__cause__, exc.__context__]
    for candidate in chain:
        if candidate is None:
            continue
        if isinstance(candidate, MemoryError):
            return unreadable("读取时内存超出上限", "the memory bound was exceeded while reading")
        for kind, zh, en in _KNOWN:
            if isinstance(candidate, kind):
                detail = str(candidate)[:200]
                return unreadable(f"{zh}（{detail}）", f"{en} ({detail})")
    detail = f"{type(exc).__name__}: {exc}"[:300]
    return unreadable(f"意外错误：{detail}", f"unexpected error: {detail}", internal=True)
