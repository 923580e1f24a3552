"""What ``collect`` takes in: files, folders, zips (and a zip inside a zip) and, through
the mail stage's reader, saved messages, each read once within the size bounds. Every
path given is at least one input, so none vanishes: a missing file, an empty folder, a
zip without a workbook are each one input with its problem (zh, en)."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from xltool.checking.verify import SPREADSHEET_SUFFIXES
from xltool.reading.report_docx import REPORT_SUFFIXES
from xltool.reading.sniff import Limits, MiB
from xltool.round.folder import Campaign
from xltool.round.intake import Item
from xltool.safeio import InputTooLarge, NotARegularFile, read_input, shown_path

MAX_ZIP_DEPTH = 2  # a zip of zips is opened; a zip inside that is refused
NOTHING_IN_FOLDER = (
    "文件夹中没有工作簿、压缩包或邮件",
    "the folder holds no workbook, zip or saved message",
)
NOTHING_IN_ZIP = ("压缩包中没有工作簿", "the zip holds no workbook")
NO_SUCH = ("找不到此文件或文件夹", "no such file or folder")
NOT_REGULAR = (
    "不是普通文件（文件夹、管道、设备或套接字），未读取",
    "not a regular file (a folder, pipe, device or socket); not read",
)
OWN_FILE = ("是本批次自己的文件，不作为报回收录", "a file of the campaign itself; not a return")

# A reader of saved messages (the mail stage's): a .eml file → the workbooks it carries,
# or one input saying why it cannot be taken; it never raises.
EmlReader = Callable[[Path], list[Item]]

# what collect takes from folders and zips: workbooks, reports and zips of them
TAKEN = SPREADSHEET_SUFFIXES | REPORT_SUFFIXES | {".zip"}


def items_from_paths(
    paths: Iterable[str], campaign: Campaign, limits: Limits, eml: EmlReader | None = None
) -> list[Item]:
    """Files, folders (spreadsheets, zips and, given ``eml``, saved messages,
    recursively) and .zip files → inputs; at least one for each path, so none vanishes
    (a missing file, an empty folder, a file of the campaign's own folders are each one
    input with its problem). The campaign's own folders are never inputs."""
    own = [campaign.inbox, campaign.annotated_dir, campaign.issued_dir, campaign.root / "outbox"]
    items: list[Item] = []
    for arg in paths:
        items.extend(_items_of(Path(arg), own, limits, eml))
    return items


def refused(source: str | Path, problem: tuple[str, str]) -> Item:
    """An input that cannot be taken, and why (zh, en)."""
    return Item(original_name=shown_path(Path(source).name), source=str(source), problem=problem)


def cannot_read(exc: OSError) -> tuple[str, str]:
    why = exc.strerror or exc.__class__.__name__
    return (f"无法读取（{why}）", f"cannot be read ({why})")


def _items_of(path: Path, own: list[Path], limits: Limits, eml: EmlReader | None) -> list[Item]:
    try:
        if not (path.exists() or path.is_symlink()):
            return [refused(path, NO_SUCH)]
        if not path.is_dir():
            if _is_own(path, own):
                return [refused(path, OWN_FILE)]
            return _read_path(path, limits, eml)
        suffixes = TAKEN | ({".eml"} if eml else set())
        mine = sorted(
            p
            for p in path.rglob("*")
            if p.suffix.lower() in suffixes and not p.is_dir() and not p.name.startswith("~$")
            and not _is_own(p, own)
        )  # fmt: skip
    except OSError as exc:  # a name too long, a folder that cannot be listed …
        return [refused(path, cannot_read(exc))]
    if not mine:
        return [refused(path, NOTHING_IN_FOLDER)]
    # (a saved message without a workbook gives no input: the mail stage lists it)
    return [item for p in mine for item in _read_path(p, limits, eml)]


def _is_own(path: Path, own: list[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved == o or o in resolved.parents for o in own)


def _read_path(path: Path, limits: Limits, eml: EmlReader | None) -> list[Item]:
    if eml is not None and path.suffix.lower() == ".eml":
        return eml(path)
    return _read_item(path, limits)


def _read_item(path: Path, limits: Limits) -> list[Item]:
    item = Item(original_name=shown_path(path.name), source=str(path))
    try:
        item.data = read_input(path, limits.max_bytes)
        item.mtime = path.stat().st_mtime
    except NotARegularFile:
        item.problem = NOT_REGULAR
    except InputTooLarge as exc:
        item.problem = too_large(exc.size, limits.max_bytes)
    except OSError as exc:
        item.problem = cannot_read(exc)
    if item.data is not None and is_plain_zip(item.data):
        return zip_members(item, limits)
    return [item]


def too_large(size: int, bound: int) -> tuple[str, str]:
    return (
        f"文件 {size / MiB:.1f} MiB，超过 {bound / MiB:g} MiB 上限，未收录",
        f"{size / MiB:.1f} MiB, over the {bound / MiB:g} MiB bound; not recorded",
    )


def is_plain_zip(data: bytes) -> bool:
    """A .zip of files (not an xlsx, which is a zip with [Content_Types].xml)."""
    if data[:4] != b"PK\x03\x04":
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    return "[Content_Types].xml" not in names and "mimetype" not in names


@dataclass
class _Budget:
    """What a zip and the zips inside it may hold together (the workbook zip limits)."""

    entries: int = 0
    total: int = 0


def zip_members(
    item: Item, limits: Limits, depth: int = 1, budget: _Budget | None = None
) -> list[Item]:
    """The workbooks inside a zip (and inside a zip in it), within the same limits as a
    workbook's own zip, counted over the zips together; the zip itself, with its problem,
    when it holds none or too many entries."""
    assert item.data is not None
    budget = budget if budget is not None else _Budget()
    with zipfile.ZipFile(io.BytesIO(item.data)) as zf:
        infos = zf.infolist()
        budget.entries += len(infos)
        if budget.entries > limits.max_entries:
            item.problem = (
                f"压缩包有 {budget.entries} 个条目，超过上限 {limits.max_entries}",
                f"the zip has {budget.entries} entries, over {limits.max_entries}",
            )
            return [item]
        out = [m for info in infos for m in _member(zf, info, item, limits, depth, budget)]
    if not out:
        item.problem = NOTHING_IN_ZIP
        return [item]
    return out


def _member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, parent: Item, limits: Limits, depth: int,
    budget: _Budget,
) -> list[Item]:  # fmt: skip
    """One member of a zip: a workbook, the workbooks of a zip in it, or nothing."""
    name = _member_name(info)
    suffix = Path(name).suffix.lower()
    if info.is_dir() or suffix not in TAKEN:
        return []
    member = dataclasses.replace(
        parent, original_name=Path(name).name, source=f"{parent.source}!{name}", data=None
    )
    budget.total += info.file_size
    too_big = info.file_size > limits.max_bytes or budget.total > limits.max_total_size
    bomb = info.file_size > limits.ratio_grace and info.file_size > limits.max_ratio * max(
        info.compress_size, 1
    )
    if too_big or bomb or info.flag_bits & 0x1:
        member.problem = (
            "压缩包中的文件过大、加密或压缩比异常，未解压",
            "too large, encrypted or over the compression-ratio bound; not extracted",
        )
        return [member]
    try:
        with zf.open(info) as f:
            member.data = f.read(limits.max_bytes + 1)[: limits.max_bytes + 1]
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError, EOFError) as exc:
        member.problem = (f"无法解压（{exc}）", f"cannot be extracted ({exc})")
        return [member]
    if suffix == ".zip" and is_plain_zip(member.data):
        if depth >= MAX_ZIP_DEPTH:
            member.problem = (
                f"压缩包嵌套超过 {MAX_ZIP_DEPTH} 层，未解压：请解压后再收录",
                f"a zip nested more than {MAX_ZIP_DEPTH} deep; not extracted: unzip it first",
            )
            return [member]
        return zip_members(member, limits, depth + 1, budget)
    return [member]


def _member_name(info: zipfile.ZipInfo) -> str:
    """A zip member's name; Chinese Windows zips store GBK without the UTF-8 flag."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename
