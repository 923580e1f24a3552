"""抽查复核: a reproducible, stratified sample of the passed forms, and a 复核表 issued
for each (``xltool recheck sample``).

The population is every department's current return that passed, as ``summary`` and
``status`` see it; each form is identified by (department, kind, project code). The
population is sorted by that identity, split into strata (``by``: kind, department,
grade), the strata sorted by name; the sample size is allotted to the strata by largest
remainder (each gets the floor or the ceiling of its share) and drawn with
``random.Random(seed)``: the same seed over the same population gives the same sample on
any machine. ``weight="budget"`` draws larger budgets more often (keys u ** (1 / 全年预算数),
Efraimidis–Spirakis). The seed, the method and the sample are kept in ``recheck.json``."""

from __future__ import annotations

import hashlib
import math
import random
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from xltool.checking.result import FileResult
from xltool.checking.verify import verify_paths
from xltool.errors import XltoolError
from xltool.forms.recheck_form import RECHECK_FORMAT, RecheckRow, write_recheck_form
from xltool.keys import key_id, sign
from xltool.round.folder import Campaign, now_iso, read_json, write_json
from xltool.round.passed_forms import passed_forms, spec_of
from xltool.round.rebuild import open_ledger
from xltool.round.status import campaign_status
from xltool.safeio import safe_stem, write_atomic

RECORD = "recheck.json"
FOLDER = "recheck"
STRATA = ("kind", "department", "grade")
ALGORITHM = (
    "population sorted by (kind, code, project); strata sorted by name; the sample size "
    "allotted by largest remainder; random.Random(seed).sample within each stratum in "
    "that order (weight=budget: the largest keys u ** (1 / budget))"
)


@dataclass
class Member:
    """One passed form of the population."""

    code: str
    department: str
    kind: str
    project: str
    file: str
    sha256: str
    score: float | None
    grade: str
    budget: float | None

    @property
    def ident(self) -> tuple[str, str, str]:
        return (self.kind, self.code, self.project)

    def stratum(self, by: Iterable[str]) -> str:
        parts = {"kind": self.kind, "department": self.code, "grade": self.grade or "—"}
        return "/".join(parts[b] for b in by) or "全部"


@dataclass
class Sample:
    seed: int | str
    method: dict[str, Any]
    strata: dict[str, dict[str, int]]
    members: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"format": RECHECK_FORMAT, "created_at": now_iso(), "seed": self.seed,
                "method": self.method, "strata": self.strata, "sample": self.members}  # fmt: skip


def population(campaign: Campaign) -> list[Member]:
    """Every form whose current return passed, sorted by (kind, code, project)."""
    with open_ledger(campaign) as ledger:
        st = campaign_status(campaign, ledger)
    out = []
    for p in passed_forms(campaign, st):
        score = p.totals.get("score")
        grade = spec_of(campaign, p.kind).profile.grade(score) or ""
        name = f"{p.department}·{p.project_name or p.project}" if p.project else p.department
        out.append(Member(p.code, name, p.kind, p.project, p.current.file, p.current.sha256,
                          score, grade, p.totals.get("budget_adjusted")))  # fmt: skip
    return sorted(out, key=lambda m: m.ident)


def allot(size: int, strata: dict[str, int]) -> dict[str, int]:
    """``size`` shared out over the strata in proportion to theirs, by largest remainder
    (ties: the strata's order): each gets the floor or the ceiling of its share."""
    total = sum(strata.values())
    if not total:
        return dict.fromkeys(strata, 0)
    shares = {s: size * n / total for s, n in strata.items()}
    out = {s: math.floor(q) for s, q in shares.items()}
    left = size - sum(out.values())
    for s in sorted(strata, key=lambda s: (-(shares[s] - out[s]), list(strata).index(s)))[:left]:
        out[s] += 1
    return out


def _draw(rng: random.Random, pool: list[Member], k: int, weight: str | None) -> list[Member]:
    if k <= 0:
        return []
    if k >= len(pool):
        return list(pool)
    if weight == "budget":
        keyed = [(rng.random() ** (1 / max(m.budget or 0.0, 1e-6)), i) for i, m in enumerate(pool)]
        chosen = sorted(i for _key, i in sorted(keyed, reverse=True)[:k])
        return [pool[i] for i in chosen]
    return sorted(rng.sample(pool, k), key=lambda m: m.ident)


def draw_sample(
    members: list[Member],
    *,
    seed: int | str,
    size: int,
    by: tuple[str, ...] = ("kind",),
    must: Iterable[str] = (),
    weight: str | None = None,
) -> tuple[list[tuple[Member, str, bool]], dict[str, dict[str, int]]]:
    """(each sampled member with its stratum and whether it was a must, the strata's
    population and sample sizes). Pure: the same arguments, the same sample."""
    must = set(must)
    groups: dict[str, list[Member]] = {}
    for m in sorted(members, key=lambda m: m.ident):
        groups.setdefault(m.stratum(by), []).append(m)
    groups = dict(sorted(groups.items()))
    quota = allot(min(size, len(members)), {s: len(g) for s, g in groups.items()})
    rng = random.Random(seed)
    chosen: list[tuple[Member, str, bool]] = []
    strata = {}
    for name, group in groups.items():
        fixed = [m for m in group if m.code in must]
        rest = [m for m in group if m.code not in must]
        drawn = _draw(rng, rest, quota[name] - len(fixed), weight)
        picked = sorted([*fixed, *drawn], key=lambda m: m.ident)
        chosen += [(m, name, m.code in must) for m in picked]
        strata[name] = {"population": len(group), "sampled": len(picked)}
    return chosen, strata


def sample_size(n: int, rate: float | None, count: int | None) -> int:
    if count is not None:
        return max(0, min(count, n))
    return min(n, math.ceil((0.2 if rate is None else rate) * n - 1e-9))


def _rows(result: FileResult) -> list[RecheckRow]:
    """The self-evaluation per indicator (and budget execution, where the total scores it)."""
    data, totals = result.data or {}, result.totals or {}
    rows = []
    for r in data.get("indicators", []):
        if not r.get("name") and r.get("points") is None:
            continue
        rows.append(RecheckRow(
            str(r.get("level1") or ""), str(r.get("level2") or ""), str(r.get("name") or ""),
            str(r.get("target") or ""), str(r.get("actual") or ""), _num(r.get("points")),
            _num(r.get("score")), str(r.get("reason") or ""),
        ))  # fmt: skip
    points = sum(r.points or 0 for r in rows)
    score = sum(r.score or 0 for r in rows)
    total_points, total_score = _num(totals.get("points")), _num(totals.get("score"))
    if total_points is not None and total_points - points > 0.005:
        rate = totals.get("execution_rate")
        shown = f"{rate * 100:.2f}%" if isinstance(rate, int | float) else ""
        rows.insert(0, RecheckRow(
            "预算执行", "预算执行率", "预算执行率", "100%", shown, round(total_points - points, 2),
            round((total_score or 0) - score, 2) if total_score is not None else None,
        ))  # fmt: skip
    return rows


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def recheck_meta(campaign: Campaign, member: Member, sample_id: str, key: bytes) -> dict[str, str]:
    meta = {
        "format": RECHECK_FORMAT, "kind": "recheck", "sample_id": sample_id,
        "campaign": str(campaign.config.get("title") or ""), "code": member.code,
        "department": member.department, "form_kind": member.kind, "project": member.project,
        "return_sha256": member.sha256, "issued_at": now_iso(), "key_id": key_id(key),
    }  # fmt: skip
    meta["signature"] = sign(meta, key)
    return meta


def _issue_one(
    campaign: Campaign, member: Member, result: FileResult, sample_id: str, key: bytes, force: bool
) -> tuple[str, list[dict[str, Any]]]:
    spec = spec_of(campaign, member.kind)
    rows = _rows(result)
    grades = [(g.label, g.min) for g in spec.profile.grades]
    project = f"-{member.project}" if member.project else ""
    name = safe_stem(f"{member.code}{project}-{member.department}-复核表") + ".xlsx"
    target = campaign.root / FOLDER / "issued" / name
    title = f"{campaign.config.get('year') or ''}年度{member.department}{spec.name}抽查复核表"
    info = [("单位", member.department), ("编码", member.code), ("表样", spec.name),
            ("自评总分", f"{member.score:g}" if member.score is not None else "—"),
            ("自评等级", member.grade or "—"), ("抽样编号", sample_id)]  # fmt: skip
    meta = recheck_meta(campaign, member, sample_id, key)
    write_atomic(
        target,
        lambda h: write_recheck_form(h, title=title, info=info, rows=rows, grades=grades,
                                     self_grade=member.grade, meta=meta, font=spec.font),
        force,
    )  # fmt: skip
    return name, [asdict(r) for r in rows]


def recheck_sample(
    campaign: Campaign,
    *,
    key: bytes,
    rate: float | None = None,
    count: int | None = None,
    seed: int | str | None = None,
    must: Iterable[str] = (),
    by: tuple[str, ...] = ("kind",),
    weight: str | None = None,
    force: bool = False,
) -> Sample:
    """Draw the sample, issue a 复核表 for each sampled form into recheck/issued/ and keep
    the seed, the method and the sample in recheck.json (never replaced without force)."""
    record = campaign.root / RECORD
    if record.exists() and not force:
        raise XltoolError(
            f"已抽样（{RECORD}）；重新抽样请加 --force（原抽样结果将被替换）",
            f"a sample was drawn already ({RECORD}); use --force to draw again",
        )
    bad = [b for b in by if b not in STRATA]
    if bad or (rate is not None and count is not None):
        raise XltoolError(
            f"--by 只能是 {', '.join(STRATA)}；--rate 与 --count 只能用一个",
            f"--by takes {', '.join(STRATA)}; give --rate or --count, not both",
        )
    members = population(campaign)
    _check_must(members, must)
    seed = secrets.randbelow(10**8) if seed is None else seed
    size = sample_size(len(members), rate, count)
    chosen, strata = draw_sample(members, seed=seed, size=size, by=by, must=must, weight=weight)
    method = {"rate": rate if count is None else None, "count": count, "by": list(by),
              "must": sorted(set(must)), "weight": weight, "population": len(members),
              "size": len(chosen), "algorithm": ALGORITHM}  # fmt: skip
    out = Sample(seed, method, strata)
    results = [
        verify_paths([campaign.inbox / m.file], spec=spec_of(campaign, m.kind), key=key)[0]
        for m, _s, _must in chosen
    ]
    for (m, stratum, forced), result in zip(chosen, results, strict=True):
        sample_id = hashlib.sha256(f"{seed}|{m.kind}|{m.code}|{m.project}".encode()).hexdigest()[
            :12
        ]
        file, rows = _issue_one(campaign, m, result, sample_id, key, force)
        out.members.append({
            "id": sample_id, "code": m.code, "department": m.department, "kind": m.kind,
            "project": m.project, "stratum": stratum, "must": forced, "return": m.file,
            "return_sha256": m.sha256, "self_score": m.score, "self_grade": m.grade,
            "budget": m.budget, "issued": file, "rows": rows,
        })  # fmt: skip
    write_json(record, out.to_json())
    return out


def _check_must(members: list[Member], must: Iterable[str]) -> None:
    missing = sorted(set(must) - {m.code for m in members})
    if missing:
        raise XltoolError(
            f"--must 指定的部门没有通过的自评表：{'、'.join(missing)}",
            f"--must names departments without a passed form: {', '.join(missing)}",
        )


def load_sample(campaign: Campaign) -> dict[str, Any]:
    path = campaign.root / RECORD
    if not path.exists():
        raise XltoolError(
            "尚未抽样：请先运行 xltool recheck sample", "no sample yet: run xltool recheck sample"
        )
    return read_json(path)


def recheck_folder(campaign: Campaign) -> Path:
    return campaign.root / FOLDER
