"""When a return was received: the time given by hand, else the message's own date,
else the file's modification time, else the time xltool recorded it. A time no one can
have meant (before 2000, after 2100, or more than a day ahead of the clock: a ``Date:``
in 9999, a file touched to 2099) is set aside and said so, and the next one used: a
return from the future would otherwise stay a department's current return for good.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
AHEAD = timedelta(days=1)  # clocks are wrong by hours, never by days

# Where a receive time comes from (the sidecar's and the ledger's received_at_source)
SOURCES = {
    "given": ("指定的收到时间", "the given receive time"),
    "message": ("邮件日期（Date）", "the message's Date"),
    "mtime": ("文件修改时间", "the file's modification time"),
    "recorded": ("收录时间", "the time it was recorded"),
}


def parse_time(text: str, zone: str) -> datetime:
    """An ISO date or time; one without an offset is in ``zone``. ValueError otherwise."""
    from zoneinfo import ZoneInfo

    when = datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=ZoneInfo(zone))


def plausible(when: datetime, now: datetime | None = None) -> bool:
    """Within 2000–2100 and at most a day ahead of ``now``."""
    if not EARLIEST_YEAR <= when.year <= LATEST_YEAR:
        return False  # checked first: converting year 1 or 9999 to UTC overflows
    return when.astimezone(UTC) <= (now or datetime.now(UTC)) + AHEAD


def utc_iso(text: str, zone: str) -> str:
    """A time as ISO 8601 in UTC (so the ledger orders times as text); a date or a time
    without an offset is in the campaign's zone. ValueError when it is not a time or
    not one that can be written in UTC."""
    try:
        return _iso(parse_time(text, zone))
    except OverflowError:
        raise ValueError(f"out of range: {text}") from None


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


@dataclass
class Received:
    """The receive time used, where it came from, and a time set aside as implausible."""

    at: str
    source: str
    set_aside: dict[str, str] | None = None  # {"source": …, "value": …}
    notes: list[tuple[str, str]] = field(default_factory=list)


def received(
    candidates: list[tuple[str, str | float | None]], zone: str, now: datetime | None = None
) -> Received:
    """The first plausible time of ``candidates`` ((source, ISO text or a POSIX time),
    in order of trust), else ``now`` as "recorded"; the first implausible one is kept in
    ``set_aside`` and a note (zh, en) says what was used instead."""
    now = now or datetime.now(UTC)
    doubtful: tuple[str, str] | None = None
    for source, value in candidates:
        if value is None or value == "":
            continue
        when = _time(value, zone)
        if when is not None and plausible(when, now):
            return _told(Received(_iso(when), source), doubtful, zone)
        doubtful = doubtful or (source, when.isoformat() if when else str(value))
    return _told(Received(_iso(now), "recorded"), doubtful, zone)


def _time(value: str | float, zone: str) -> datetime | None:
    try:
        if isinstance(value, str):
            return parse_time(value, zone)
        return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _told(got: Received, doubtful: tuple[str, str] | None, zone: str) -> Received:
    if doubtful is None:
        return got
    from zoneinfo import ZoneInfo

    source, value = doubtful
    got.set_aside = {"source": source, "value": value}
    local = datetime.fromisoformat(got.at).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
    what, used = SOURCES[source], SOURCES[got.source]
    got.notes.append(
        (
            f"收到时间不明：{what[0]}「{value}」不可信（须在 {EARLIEST_YEAR}–{LATEST_YEAR} 年间、"
            f"不晚于当前一天以上），改按{used[0]} {local} 记录",
            f"receive time unknown: {what[1]} '{value}' is implausible (outside "
            f"{EARLIEST_YEAR}–{LATEST_YEAR} or more than a day ahead); recorded at "
            f"{used[1]}, {local}",
        )
    )
    return got
