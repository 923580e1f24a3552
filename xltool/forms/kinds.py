"""Form kinds: find, load and validate ``templates/<kind>.yaml`` into a :class:`Spec`.

A spec file is validated by pydantic (imported only then) and the result kept in a JSON
cache keyed by the files' bytes and xltool's version, so a command that reads forms
starts without pydantic. A spec's ``checks:`` are validated against the check families
here, above both :mod:`xltool.forms.spec` and :mod:`xltool.forms.checks`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from xltool.errors import SpecError
from xltool.forms import spec as spec_module
from xltool.forms.fields import TYPES
from xltool.forms.spec import (
    FundsBlock,
    GoalsBlock,
    HeaderBlock,
    IndicatorsBlock,
    RuleSpec,
    Spec,
    TitleBlock,
    TotalBlock,
    from_plain,
    plain,
)
from xltool.paths import cache_dir, templates_dir, user_specs_dir


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
    A spec validated before (the same files, the same xltool) comes from the cache, and
    one this process loaded already (the file unchanged since) from memory."""
    key = _source_key(path)
    if key is not None and key in _MEMO:
        return _MEMO[key]
    spec = _cached(key)
    if spec is not None:
        _MEMO[key] = spec  # type: ignore[index]
        return spec
    spec, errors = _load(path)
    if errors:
        raise SpecError(
            f"{errors[0]}（另有 {len(errors) - 1} 处）" if len(errors) > 1 else errors[0],
            errors[0] + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
        )
    assert spec is not None
    _keep(key, spec)
    if key is not None:
        _MEMO[key] = spec
    return spec


_MEMO: dict[str, Spec] = {}  # a long-lived process (xltool serve) loads each spec once


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
    tagged by ``type`` and field types are checked against :mod:`xltool.forms.fields`."""
    from annotated_types import Ge, Le
    from pydantic import AfterValidator, Field, TypeAdapter

    spec_module.Ge, spec_module.Le = Ge, Le  # type: ignore[attr-defined]

    # The spec module's annotations are strings; pydantic resolves them in its namespace.
    spec_module.Block = Annotated[  # type: ignore[misc]
        TitleBlock | HeaderBlock | FundsBlock | GoalsBlock | IndicatorsBlock | TotalBlock,
        Field(discriminator="type"),
    ]
    spec_module.FieldType = Annotated[str, AfterValidator(_known_type)]  # type: ignore[misc]
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
# Plain JSON in the user's cache folder, keyed by the bytes of the spec file and every file
# it extends, by xltool's version and by its own spec code; an entry whose key, version or
# shape does not match is ignored and the file validated again. JSON carries data only, so
# a tampered cache can at worst describe a form, never run code.

_EXTENDS = re.compile(rb"^extends:[ \t]*[\"']?([^\"'\s#]+)", re.M)
_CODE = ("spec.py", "fields.py", "kinds.py")


def _source_key(path: Path) -> str | None:
    from xltool import __version__

    digest = hashlib.sha256(__version__.encode())
    here = Path(__file__).parent
    for part in _CODE:
        stat = (here / part).stat()
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


def _cache_file(key: str) -> Path:
    return cache_dir() / "specs" / f"{key}.json"


def _cached(key: str | None) -> Spec | None:
    if key is None:
        return None
    from xltool import __version__

    try:
        entry = json.loads(_cache_file(key).read_text(encoding="utf-8"))
        if entry.get("key") != key or entry.get("xltool") != __version__:
            return None
        return from_plain(Spec, entry["spec"])
    except Exception:  # absent, unreadable or of another shape: validate again
        return None


def _keep(key: str | None, spec: Spec) -> None:
    if key is None:
        return
    from xltool import __version__

    target = _cache_file(key)
    entry = {"key": key, "xltool": __version__, "spec": plain(spec)}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{key}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, target)
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
    for name in spec.private_fields or []:
        if name not in spec.all_fields():
            raise SpecError(f"{path}: private_fields names unknown field '{name}'")


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
    from xltool.forms.checks import build

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
