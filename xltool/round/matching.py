"""Which department a return belongs to: the evidence, in order of trust (see
:class:`Matcher`), with codes and names compared as people type them."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xltool.checking.result import FileResult
from xltool.round.folder import Campaign, made_from
from xltool.round.ledger import Ledger


def plain(text: Any) -> str:
    """A code or a name as it is compared: NFKC (full-width ``１０２`` is ``102``, ``Ｄ０１``
    is ``D01``), every space removed (so trimmed), case folded; a whole float as an integer
    (a code typed as a number). None is ``""``."""
    if text is None:
        return ""
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).casefold()


def unique(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """key → the one code it names; a key that names several codes (an address one
    accountant uses for several units, two names alike once normalised) names none."""
    seen: dict[str, set[str]] = {}
    for key, code in pairs:
        if key:
            seen.setdefault(key, set()).add(code)
    return {key: codes.pop() for key, codes in seen.items() if len(codes) == 1}


_ALNUM = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")


def whole_tokens(keys: Iterable[str], text: str) -> set[str]:
    """The keys found in ``text`` as whole tokens: not next to an ASCII letter or digit
    (``202`` is not in ``2025``). A scan with ``str.find``, not a pattern per key: a
    round of thousands of codes would compile (and overflow ``re``'s cache) per batch."""
    return {key for key in keys if _has_token(key, text)}


def _has_token(key: str, text: str) -> bool:
    at = text.find(key)
    while at >= 0:
        end = at + len(key)
        if (at == 0 or text[at - 1] not in _ALNUM) and (
            end == len(text) or text[end] not in _ALNUM
        ):
            return True
        at = text.find(key, at + 1)
    return False


def outermost(found: set[str]) -> set[str]:
    """The found keys that are not part of another found key (第22局, not also 第2局)."""
    return {k for k in found if not any(k != o and k in o for o in found)}


@dataclass(frozen=True)
class RosterKeys:
    """The roster as a return is matched against it (see :class:`Matcher`)."""

    names_by_code: dict[str, str]  # code → department name
    codes: dict[str, str]  # plain code → code
    names: dict[str, str]  # plain name → code
    by_sender: dict[str, str]  # address → the one code it is on the roster for


def roster_keys(campaign: Campaign) -> RosterKeys:
    """This campaign's :class:`RosterKeys`, made again only when departments.json
    changed: a server matching one upload at a time would otherwise read and normalise
    the whole roster for each (2 ms of 300 departments)."""

    def make() -> RosterKeys:
        docs = campaign.departments()
        names_by_code = {d["code"]: d["department"] for d in docs}
        return RosterKeys(
            names_by_code,
            unique((plain(c), c) for c in names_by_code),
            unique((plain(n), c) for c, n in names_by_code.items()),
            unique((a.strip().lower(), d["code"]) for d in docs for a in d.get("emails") or []),
        )

    return made_from(campaign.root / "departments.json", "roster_keys", make)


class Matcher:
    """Which department a return belongs to, and by what evidence: the first of these
    ways, in order of trust, that names exactly one department of this campaign.

    1. ``signature``: a valid signature of this campaign's key over an issue id this
       campaign issued; the department it was issued to.
    2. ``hand``: assigned by hand (``collect --department``, :mod:`xltool.round.assign`).
    3. ``header``: the form's own 部门编码 and 部门名称. Both filled: they must name the
       same roster department. One filled and the other empty: the filled one names it.
       A header whose code and name disagree, or that names no roster department,
       decides nothing.
    4. ``reply``: the message answers one xltool sent about a department.
    5. ``sender``: the sender's address is on the roster for exactly one department.
    6. ``file-name``: the file name holds one department's code (as a whole token) or
       its name, and nothing naming another.

    What the form says of itself outranks how it travelled: a shared accountant mails
    and replies for several units, so the sender and the thread say who carried a
    return, its header whose it is; a file name, renamed and forwarded at will and full
    of years and numbers, is the last resort.

    Codes and names are compared as :func:`plain` makes them (NFKC, no spaces, case
    folded). In a file name a code counts only as a whole token, not next to an ASCII
    letter or digit (``202`` is not in ``2025``, ``D01`` not in ``D012``); a name counts
    anywhere, the longest first (``第22局`` is not also ``第2局``).
    """

    def __init__(self, campaign: Campaign, ledger: Ledger) -> None:
        self.ledger = ledger  # asked per return: a round issues thousands of forms
        keys = roster_keys(campaign)
        self.departments, self.codes, self.names = keys.names_by_code, keys.codes, keys.names
        self.by_sender = keys.by_sender

    def signed_form(self, result: FileResult) -> tuple[str, str] | None:
        """(department, form id) of the form a valid signature of this campaign's key
        says this is, when this campaign issued it."""
        if result.signature == "valid-hmac" and result.issue_id:
            return self.ledger.issued_form(result.issue_id)
        return None

    def code_of(self, text: Any) -> str | None:
        """The roster code ``text`` is, as typed anywhere (``１０２`` is ``102``)."""
        return self.codes.get(plain(text))

    def by_file_name(self, stem: str) -> str | None:
        """The one department a file name names, by whole-token codes and by names."""
        text = plain(stem)
        codes = outermost(whole_tokens(self.codes, text))
        names = outermost({k for k in self.names if k in text})
        found = {self.codes[k] for k in codes} | {self.names[k] for k in names}
        return found.pop() if len(found) == 1 else None

    def by_header(self, fields: dict[str, Any]) -> str | None:
        """The one department the header names (see the class docstring)."""
        code, name = plain(fields.get("code")), plain(fields.get("department"))
        by_code, by_name = self.codes.get(code), self.names.get(name)
        if code and name:
            return by_code if by_code == by_name else None
        return by_code or by_name

    def match(
        self, result: FileResult, doc: dict[str, Any]
    ) -> tuple[str | None, str | None, str | None]:
        """(department code, what decided, why none) for one return."""
        ways = (
            self._by_signature,
            self._by_hand,
            self._by_header,
            self._by_reply,
            self._by_sender,
            self._by_file_name,
        )
        for way in ways:
            found = way(result, doc)
            if found:
                return found, way.__name__.removeprefix("_by_").replace("_", "-"), None
        return None, None, self._why_none(result)

    def _by_signature(self, result: FileResult, doc: dict[str, Any]) -> str | None:
        found = self.signed_form(result)
        return found[0] if found else None

    def _by_hand(self, result: FileResult, doc: dict[str, Any]) -> str | None:
        return self.code_of(doc.get("assigned")) if doc.get("assigned") else None

    def _by_header(self, result: FileResult, doc: dict[str, Any]) -> str | None:
        fields = (result.data or {}).get("fields") or {}
        # a project form names its department as 部门编码 and 主管部门
        code = fields.get("code") or fields.get("department_code")
        name = fields.get("department") or fields.get("competent_department")
        return self.by_header({"code": code, "department": name})

    def _by_reply(self, result: FileResult, doc: dict[str, Any]) -> str | None:
        for ref in [doc.get("in_reply_to"), *reversed(doc.get("references") or [])]:
            code = self.ledger.sent_about(ref) if ref else None
            if code in self.departments:
                return code
        return None

    def _by_sender(self, result: FileResult, doc: dict[str, Any]) -> str | None:
        return self.by_sender.get((doc.get("sender") or "").strip().lower())

    def _by_file_name(self, result: FileResult, doc: dict[str, Any]) -> str | None:
        return self.by_file_name(Path(doc.get("original_name") or "").stem)

    @staticmethod
    def _why_none(result: FileResult) -> str:
        if result.issue_id and result.signature == "valid-hmac":
            return "签名有效，但不是本批次发放的表"
        fields = (result.data or {}).get("fields") or {}
        code = str(fields.get("code") or "").strip()
        name = str(fields.get("department") or "").strip()
        if code or name:
            return f"表头的部门「{code} {name}」不在本批次名单中或与编码不符".replace("「 ", "「")
        return "无签名、表头和文件名都无法确定部门"
