"""Form specs: load and validate ``templates/<kind>.yaml``.

A spec describes one form kind as data: its fields, the blocks they are laid out in,
the indicator columns and framework, and the rules that derive computed values. The
writer and the reader both take a spec through :mod:`xltool.forms.layout`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache, cached_property
from types import UnionType
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Literal,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

if TYPE_CHECKING:  # bounds pydantic checks when a spec file is validated (forms.kinds)
    from annotated_types import Ge, Le


# Spec classes are frozen dataclasses: reading a form needs no validation library. A spec
# *file* is validated by pydantic (imported only then, see _adapter) and the result kept
# in a cache (see _cached), so a command that reads forms starts without pydantic.

FieldType = str
"""A type of :mod:`xltool.forms.fields` by name (text, amount, measure …); checked on load."""
FUND_PREFIX = "fund_"
PRIVATE_LABELS = ("联系电话", "项目负责人")  # blanked in published copies unless a spec says


def _model(cls: Any) -> Any:
    """A frozen, keyword-only dataclass that refuses keys it does not know."""
    cls.__pydantic_config__ = {"extra": "forbid"}
    return dataclass(frozen=True, kw_only=True)(cls)


@_model
class FieldSpec:
    label: str
    label_en: str = ""
    type: FieldType = "text"
    required: bool = False
    issuer: bool = False
    """Set by the issuer (prefilled); the filer should not change it once prefilled."""


@_model
class Column:
    key: str
    label: str
    label_en: str = ""
    type: FieldType = "text"
    width: float = 12
    issuer: bool = False


@_model
class HeaderItem:
    field: str
    span: Annotated[int, Ge(1)]


@_model
class TitleBlock:
    type: Literal["title"]


@_model
class HeaderBlock:
    type: Literal["header"]
    rows: list[list[HeaderItem]]


@_model
class FundRow:
    key: str
    label: str
    label_en: str = ""


@_model
class RowsColumns:
    rows: list[str]
    columns: list[str]


@_model
class FundsBlock:
    type: Literal["funds"]
    section: str
    label_span: Annotated[int, Ge(1)]
    columns: list[Column]
    rows: list[FundRow]
    inputs: RowsColumns
    dashes: RowsColumns | None = None
    required: list[str] = field(default_factory=list)

    @staticmethod
    def key(row: str, column: str) -> str:
        """The field name of one cell of the grid: ``fund_<row>_<column>``."""
        return f"{FUND_PREFIX}{row}_{column}"


@_model
class GoalsBlock:
    type: Literal["goals"]
    section: str
    fields: list[str]


@_model
class IndicatorsBlock:
    type: Literal["indicators"]
    section: str
    spare_rows: Annotated[int, Ge(0), Le(200)] = 2
    columns: list[Column]
    framework: dict[str, list[str]]
    score: Literal["entry", "formula"] = "entry"
    """How a quantitative row's 得分 comes about: the filer's entry, checked against its
    指标性质 rule (score-rule-mismatch), or a formula of that rule. Needs a ``nature``
    column; 定性 rows are always the filer's entry, checked against their band."""


@_model
class TotalBlock:
    type: Literal["total"]
    label: str
    points: str
    score: str
    grade: str | None = None


Block = TitleBlock | HeaderBlock | FundsBlock | GoalsBlock | IndicatorsBlock | TotalBlock
"""One block of a spec; validated as a union tagged by ``type`` (see _adapter)."""


@_model
class RuleSpec:
    target: str
    type: Literal["sum", "ratio", "ref", "const", "rate_score", "grade"]
    of: list[str] | str | None = None
    numerator: str | None = None
    denominator: str | None = None
    value: float | None = None
    rate: str | None = None
    points: str | None = None


@_model
class Grade:
    label: str
    min: float


@_model
class RateCap:
    below: float
    max: float


def _rate_caps() -> list[RateCap]:
    return [
        RateCap(below=0.8, max=89),
        RateCap(below=0.7, max=79),
        RateCap(below=0.6, max=69),
        RateCap(below=0.5, max=59),
    ]


@_model
class Profile:
    name: str
    points_total: float
    rate_warning_below: float | None = None
    grades: list[Grade] = field(default_factory=list)
    """Grade bands, highest first: the first whose ``min`` the total reaches."""
    cap_total_by_rate: bool = False
    """On: the total is capped by 执行率 (the ``rate_caps`` bands). Off by default."""
    rate_caps: list[RateCap] = field(default_factory=_rate_caps)
    cap_rate_field: str = "fund_total_rate"

    def grade(self, score: float | None) -> str | None:
        if score is None:
            return None
        return next((g.label for g in self.grades if score >= g.min - 1e-9), None)


@_model
class CheckSpec:
    """One entry of ``checks:``: a family of :mod:`xltool.forms.checks` by its ``type`` and that
    family's parameters (checked against the family when the spec loads). Written in a
    spec as one mapping: ``{type: within_budget, budget: adjusted, …}``."""

    type: str = "require_when_below"
    params: dict[str, Any] = field(default_factory=dict)


@_model
class Identity:
    """Which fields say whose form it is: the name (a department's, a project's), its
    code and the year. The metadata records them as issued; verify holds them."""

    name: str | None = None
    code: str | None = None
    year: str | None = None


@_model
class RollUp:
    """Which fields give the roll-up's figures (the totals every return is summed by)."""

    budget_initial: str | None = None
    budget_adjusted: str | None = None
    executed: str | None = None
    execution_rate: str | None = None


@_model
class Spec:
    kind: str
    version: int
    name: str
    name_en: str = ""
    sheet: str
    title: str
    font: str = "宋体"
    section_width: float = 12
    profile: Profile
    fields: dict[str, FieldSpec]
    blocks: list[Block]
    rules: list[RuleSpec]
    checks: list[CheckSpec] = field(default_factory=list)
    roll_up: RollUp = field(default_factory=RollUp)
    identity: Identity = field(default_factory=Identity)
    private_fields: list[str] | None = None
    """Fields blanked in a published copy (``xltool publish``); None: those labelled
    联系电话 or 项目负责人."""
    source_hash: str = ""

    # --- derived views -------------------------------------------------------------
    @property
    def indicators(self) -> IndicatorsBlock:
        return next(b for b in self.blocks if isinstance(b, IndicatorsBlock))

    @property
    def funds(self) -> FundsBlock | None:
        return next((b for b in self.blocks if isinstance(b, FundsBlock)), None)

    @property
    def total(self) -> TotalBlock:
        return next(b for b in self.blocks if isinstance(b, TotalBlock))

    @property
    def width(self) -> int:
        """Columns in the grid: the section column plus one per indicator column."""
        return 1 + len(self.indicators.columns)

    @cached_property
    def fields_by_key(self) -> dict[str, FieldSpec]:
        """Every scalar field, the fund grid's expanded (``fund_<row>_<column>``)."""
        return self._expand_fields()

    def all_fields(self) -> dict[str, FieldSpec]:
        return self.fields_by_key

    def _expand_fields(self) -> dict[str, FieldSpec]:
        out = dict(self.fields)
        funds = self.funds
        if funds:
            for row in funds.rows:
                for col in funds.columns:
                    key = funds.key(row.key, col.key)
                    out[key] = FieldSpec(
                        label=f"{row.label}·{col.label}",
                        label_en=f"{row.label_en} · {col.label_en}",
                        type=col.type,
                        required=key in funds.required,
                    )
        return out

    def identity_fields(self) -> dict[str, str]:
        """The metadata's identity keys → this kind's fields that hold them."""
        keys = {"department": self.identity.name, "code": self.identity.code}
        keys["year"] = self.identity.year
        return {key: name for key, name in keys.items() if name}

    def is_fund_field(self, name: str) -> bool:
        """A cell of the fund grid (its fields are ``fund_<row>_<column>``)."""
        return name.startswith(FUND_PREFIX) and name in self.all_fields()

    def input_fields(self) -> list[str]:
        """Scalar fields the filer (or issuer) types in, in layout order."""
        return list(self._input_fields)

    @cached_property
    def _input_fields(self) -> tuple[str, ...]:
        computed = {r.target for r in self.rules}
        dashes = self.dash_fields()
        return tuple(k for k in self.all_fields() if k not in computed and k not in dashes)

    def dash_fields(self) -> set[str]:
        return set(self._dash_fields)

    @cached_property
    def _dash_fields(self) -> frozenset[str]:
        funds = self.funds
        if not funds or not funds.dashes:
            return frozenset()
        return frozenset(funds.key(r, c) for r in funds.dashes.rows for c in funds.dashes.columns)

    def sections(self) -> dict[str, tuple[str, str]]:
        """Field → (section key, section label), for "this whole section is empty"."""
        out: dict[str, tuple[str, str]] = {}
        for block in self.blocks:
            if isinstance(block, HeaderBlock):
                out.update({item.field: ("header", "表头") for row in block.rows for item in row})
            elif isinstance(block, FundsBlock):
                label = block.section.replace("\n", "")
                out.update(
                    {k: ("funds", label) for k in self.all_fields() if self.is_fund_field(k)}
                )
            elif isinstance(block, GoalsBlock):
                out.update({name: ("goals", block.section) for name in block.fields})
        for key, spec in self.all_fields().items():
            out.setdefault(key, (key, spec.label))
        return out

    def column(self, key: str) -> Column:
        return next(c for c in self.indicators.columns if c.key == key)

    def private_keys(self) -> list[str]:
        """The fields not for publication: ``private_fields``, else by their labels."""
        if self.private_fields is not None:
            return list(self.private_fields)
        return [k for k, f in self.all_fields().items() if f.label in PRIVATE_LABELS]


# --- plain data ----------------------------------------------------------------------------
# A validated spec as JSON-ready data and back, without pydantic: the cache's format.


def plain(obj: Any) -> Any:
    """A spec (or any part of one) as dicts, lists and scalars."""
    if is_dataclass(obj):
        return {f.name: plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    return obj


def from_plain(cls: Any, data: Any) -> Any:
    """What :func:`plain` gave, as the spec classes again; a shape that does not fit raises."""
    hints = _hints(cls)
    return cls(**{name: _build(hints[name], value) for name, value in data.items()})


_BLOCKS = {"title": TitleBlock, "header": HeaderBlock, "funds": FundsBlock}
_BLOCKS.update(goals=GoalsBlock, indicators=IndicatorsBlock, total=TotalBlock)


def _build(hint: Any, value: Any) -> Any:
    origin, args = get_origin(hint), get_args(hint)
    if value is None:
        return None
    if hint is Block or (origin in (Union, UnionType) and TitleBlock in args):
        return from_plain(_BLOCKS[value["type"]], value)
    if origin in (Union, UnionType):
        typed = [a for a in args if a is not type(None)]
        fitting = [a for a in typed if _fits(a, value)]
        return _build(fitting[0], value) if fitting else value
    if origin is list:
        return [_build(args[0], v) for v in value]
    if origin is dict:
        return {k: _build(args[1], v) for k, v in value.items()}
    if is_dataclass(hint):
        return from_plain(hint, value)
    return value


def _fits(hint: Any, value: Any) -> bool:
    if is_dataclass(hint):
        return isinstance(value, dict)
    origin = get_origin(hint) or hint
    if origin is Any:
        return True
    return isinstance(value, origin if isinstance(origin, type) else object)


@cache
def _hints(cls: Any) -> dict[str, Any]:
    bounds = {"Ge": _no_bound, "Le": _no_bound}  # validated data needs no checks
    return get_type_hints(cls, globalns={**globals(), **bounds, "Block": Block, "FieldType": str})


def _no_bound(_value: Any) -> None:
    return None
