"""Form specs: load and validate ``templates/<kind>.yaml``.

A spec describes one form kind as data: its fields, the blocks they are laid out in,
the indicator columns and framework, and the rules that derive computed values. The
writer and the reader both take a spec through :mod:`xltool.layout`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le

from .errors import SpecError
from .fields import TYPES
from .paths import cache_dir, user_specs_dir

# Spec classes are frozen dataclasses: reading a form needs no validation library. A spec
# *file* is validated by pydantic (imported only then, see _adapter) and the result kept
# in a cache (see _cached), so a command that reads forms starts without pydantic.

FieldType = str
"""A type of :mod:`xltool.fields` by name (text, amount, measure …); checked on load."""
FUND_PREFIX = "fund_"


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
    """One entry of ``checks:``: a family of :mod:`xltool.checks` by its ``type`` and that
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


TEMPLATES_DIRS = (
    Path(__file__).parent / "templates",  # installed wheel
    Path(__file__).parent.parent / "templates",  # source checkout
)


def templates_dir() -> Path:
    for d in TEMPLATES_DIRS:
        if d.is_dir():
            return d
    raise SpecError("xltool is installed without its templates/ folder")


def kind_paths() -> dict[str, Path]:
    """Every known kind → its current spec file: the issuer's own first, then the
    built-in ones. Released earlier versions (``<kind>@<version>.yaml``) are not kinds."""
    out = {p.stem: p for p in sorted(templates_dir().glob("*.yaml")) if "@" not in p.stem}
    user = user_specs_dir()
    if user.is_dir():
        out.update({p.stem: p for p in sorted(user.glob("*.yaml")) if "@" not in p.stem})
    return out


def released_version(kind: str, version: int) -> Spec | None:
    """An earlier released version of a kind (``<kind>@<version>.yaml`` beside the
    current one), so a form issued under it is read with the layout it was issued with."""
    current = kind_paths().get(kind)
    if current is None:
        return None
    path = current.with_name(f"{kind}@{version}.yaml")
    if not path.is_file():
        return None
    return _load_cached(path, path.stat().st_mtime_ns)


def builtin_kinds() -> list[str]:
    return sorted(kind_paths())


def load_builtin(kind: str) -> Spec:
    """A kind by name: built in, or from the issuer's specs directory."""
    path = kind_paths().get(kind)
    if path is None:
        known = ", ".join(builtin_kinds())
        raise SpecError(
            f"未知的表样「{kind}」（可用：{known}）", f"unknown form kind '{kind}' (known: {known})"
        )
    return _load_cached(path, path.stat().st_mtime_ns)


@cache
def _load_cached(path: Path, _mtime: int) -> Spec:
    return load_spec(path)


def load_spec(path: Path) -> Spec:
    """Load and validate a spec file; a bad spec raises :class:`SpecError` with the place.
    A spec validated before (the same files, the same xltool) comes from the cache."""
    key = _source_key(path)
    spec = _cached(key)
    if spec is not None:
        return spec
    spec, errors = _load(path)
    if errors:
        raise SpecError(
            f"{errors[0]}（另有 {len(errors) - 1} 处）" if len(errors) > 1 else errors[0],
            errors[0] + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
        )
    assert spec is not None
    _keep(key, spec)
    return spec


def spec_errors(path: Path) -> list[str]:
    """Every problem of a spec file, each as ``file:line: where: what is wrong``."""
    return _load(path)[1]


def _load(path: Path) -> tuple[Spec | None, list[str]]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        raw = _yaml_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return None, [f"{path}: cannot read the spec: {exc}"]
    if not isinstance(raw, dict):
        return None, [f"{path}:1: a spec is a YAML mapping"]
    try:
        raw = _resolve_extends(raw, path)
    except SpecError as exc:
        return None, [exc.en]
    digest = hashlib.sha256(
        json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    if isinstance(raw.get("checks"), list):
        raw["checks"] = [_check_entry(c) for c in raw["checks"]]
    from pydantic import ValidationError

    try:
        spec = _adapter().validate_python({**raw, "source_hash": digest})
    except ValidationError as exc:
        tree = yaml.compose(text)  # line numbers, needed only to place an error
        return None, [_located(path, tree, err) for err in exc.errors()]
    try:
        _check_blocks(spec, path)
        _check_references(spec, path)
    except SpecError as exc:
        return None, [exc.en]
    return spec, []


def _check_entry(entry: Any) -> Any:
    """``{type: within_budget, budget: adjusted}`` → the family and its parameters."""
    if not isinstance(entry, dict):
        return entry
    params = {k: v for k, v in entry.items() if k != "type"}
    return {"type": entry.get("type", "require_when_below"), "params": params}


@cache
def _adapter() -> Any:
    """pydantic's validator for spec files, built on first use: the union of blocks is
    tagged by ``type`` and field types are checked against :mod:`xltool.fields`."""
    from pydantic import AfterValidator, Field, TypeAdapter

    global Block, FieldType
    Block = Annotated[  # type: ignore[misc]
        TitleBlock | HeaderBlock | FundsBlock | GoalsBlock | IndicatorsBlock | TotalBlock,
        Field(discriminator="type"),
    ]
    FieldType = Annotated[str, AfterValidator(_known_type)]  # type: ignore[misc]
    return TypeAdapter(Spec)


def _known_type(name: str) -> str:
    if name not in TYPES:
        raise ValueError(f"unknown field type '{name}' (allowed: {', '.join(TYPES)})")
    return name


def _check_blocks(spec: Spec, path: Path) -> None:
    kinds = [b.type for b in spec.blocks]
    for needed in ("indicators", "total"):
        if kinds.count(needed) != 1:
            raise SpecError(f"{path}:1: blocks: a spec needs exactly one '{needed}' block")


# --- the cache of validated specs ---------------------------------------------------------
# Keyed by the bytes of the spec file and every file it extends, and by xltool's own spec
# code, so any change to either misses. It lives in the user's cache folder (only the
# user can write there; pickle is read from nowhere else).

_EXTENDS = re.compile(rb"^extends:[ \t]*[\"']?([^\"'\s#]+)", re.M)


def _source_key(path: Path) -> str | None:
    digest = hashlib.sha256()
    for part in (Path(__file__), Path(__file__).with_name("fields.py")):
        stat = part.stat()
        digest.update(f"{part}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    try:
        for depth in range(9):
            data = path.read_bytes()
            digest.update(str(path.resolve()).encode() + b"\0" + data)
            parent = _EXTENDS.search(data)
            if not parent or depth == 8:
                break
            path = _parent_path(parent.group(1).decode("utf-8", "replace"), path)
    except OSError:
        return None
    return digest.hexdigest()


def _cached(key: str | None) -> Spec | None:
    if key is None:
        return None
    import pickle

    try:
        spec = pickle.loads((cache_dir() / "specs" / f"{key}.pickle").read_bytes())
    except Exception:  # absent, or left by another version: validate again
        return None
    return spec if isinstance(spec, Spec) else None


def _keep(key: str | None, spec: Spec) -> None:
    if key is None:
        return
    import pickle

    folder = cache_dir() / "specs"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_bytes(pickle.dumps(spec, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, folder / f"{key}.pickle")
    except OSError:
        pass  # a cache that cannot be written only costs time


def _yaml_load(text: str) -> Any:
    """Safe YAML through libyaml when PyYAML was built with it (about 10× faster)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _resolve_extends(raw: dict[str, Any], path: Path, depth: int = 0) -> dict[str, Any]:
    """``extends: KIND`` (a built-in kind, or a spec file beside this one): the parent's
    spec with this one's keys merged over it. Mappings merge; ``rules`` merge by target;
    other lists are replaced."""
    parent_name = raw.get("extends")
    if not parent_name:
        return raw
    if depth > 8:
        raise SpecError(f"{path}: extends is nested too deeply")
    parent_path = _parent_path(parent_name, path)
    if not parent_path.is_file():
        raise SpecError(
            f"{path}: extends unknown kind '{parent_name}' (known: {', '.join(builtin_kinds())})"
        )
    parent = _yaml_load(parent_path.read_text(encoding="utf-8"))
    parent = _resolve_extends(parent, parent_path, depth + 1)
    child = {k: v for k, v in raw.items() if k != "extends"}
    return _merge(parent, child)


def _parent_path(name: str, path: Path) -> Path:
    """The spec ``extends: name`` names: a file beside this one, else a built-in kind."""
    local = path.parent / f"{name}.yaml"
    return local if local.is_file() and local != path else templates_dir() / f"{name}.yaml"


def _merge(base: Any, over: Any, key: str = "") -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v, k) if k in base else v
        return out
    identity = _MERGED_BY.get(key)
    if identity and isinstance(base, list) and isinstance(over, list):
        merged = {identity(r): r for r in base if isinstance(r, dict)}
        for r in over:
            if isinstance(r, dict):
                merged[identity(r)] = r
        return list(merged.values())
    return over


# Lists an ``extends`` merges entry by entry: a rule by its target, a check by its family
# and code; every other list is replaced.
_MERGED_BY: dict[str, Any] = {
    "rules": lambda r: r.get("target"),
    "checks": lambda c: (c.get("type", "require_when_below"), c.get("code")),
}


def _located(path: Path, tree: Any, err: Any) -> str:
    """``file:line: a.b.c: message (allowed: …)`` for one pydantic error."""
    import yaml

    raw_loc = list(err["loc"])
    # pydantic puts the block's type tag after its index: blocks.3.funds.columns → drop it
    loc = [
        p
        for i, p in enumerate(raw_loc)
        if not (
            i >= 2
            and raw_loc[i - 2] == "blocks"
            and isinstance(raw_loc[i - 1], int)
            and p in _BLOCK_TAGS
        )
    ]
    node, line = tree, 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    where = ".".join(str(p) for p in loc)
    allowed = ""
    ctx = err.get("ctx") or {}
    if "expected" in ctx:
        allowed = f" (allowed: {ctx['expected']})"
    return f"{path}:{line}: {where}: {err['msg']}{allowed}"


_BLOCK_TAGS = {"title", "header", "funds", "goals", "indicators", "total"}


def _check_references(spec: Spec, path: Path) -> None:
    columns = {c.key for c in spec.indicators.columns}
    for needed in ("level1", "level2", "name", "points", "score"):
        if needed not in columns:
            raise SpecError(f"{path}: the indicators block needs a '{needed}' column")
    _check_rules(spec, path, columns)
    for block in spec.blocks:
        if isinstance(block, HeaderBlock):
            _check_header(spec, path, block)
        if (
            isinstance(block, FundsBlock)
            and block.label_span + len(block.columns) != spec.width - 1
        ):
            raise SpecError(f"{path}: the funds block is not {spec.width - 1} columns wide")
    _check_checks(spec, path)


def _check_rules(spec: Spec, path: Path, columns: set[str]) -> None:
    fields = spec.all_fields()

    def known(name: str) -> bool:
        if name.startswith("indicators."):
            return name.split(".", 1)[1] in columns
        return name in fields

    for rule in spec.rules:
        for name in [rule.target, *_rule_sources(rule)]:
            if not known(name):
                raise SpecError(f"{path}: rule for '{rule.target}' names unknown field '{name}'")


def _check_header(spec: Spec, path: Path, block: HeaderBlock) -> None:
    fields = spec.all_fields()
    for row in block.rows:
        used = sum(1 + item.span for item in row)
        if used > spec.width:
            raise SpecError(f"{path}: a header row is {used} columns wide, the grid {spec.width}")
        for item in row:
            if item.field not in fields:
                raise SpecError(f"{path}: header names unknown field '{item.field}'")


def _check_checks(spec: Spec, path: Path) -> None:
    from .checks import build

    for entry in spec.checks:
        try:
            build(entry.type, entry.params, spec)
        except SpecError as exc:
            raise SpecError(f"{path}: {exc.en}") from None


def _rule_sources(rule: RuleSpec) -> list[str]:
    of = rule.of if isinstance(rule.of, list) else [rule.of] if rule.of else []
    return [*of, *(n for n in (rule.numerator, rule.denominator, rule.rate, rule.points) if n)]


def spec_summary(spec: Spec) -> dict[str, Any]:
    return {"kind": spec.kind, "version": spec.version, "name": spec.name, "hash": spec.source_hash}
