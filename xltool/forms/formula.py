"""The value of a filer's own formula in an input cell, computed here rather than taken
from the value the filer's program saved beside it (which can be anything).

Only simple arithmetic is evaluated: numbers, ``+ - * / ^ %``, parentheses, references
to cells of the same sheet (a referenced formula is evaluated the same way), ``SUM`` and
``ROUND``. Anything else, a cycle, an error (``/0``) or a result that is not a finite
number makes the value unknown (None): never a guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from xltool.forms.cells import Pos, parse_a1

# A cell's raw content: (is_formula, value or formula text)
CellAt = Callable[[Pos], tuple[bool, Any]]

MAX_LENGTH = 2000
MAX_DEPTH = 40  # nesting of parentheses and references
MAX_RANGE_CELLS = 10_000

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<func>[A-Za-z][A-Za-z0-9_.]*)\s*\(
    | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<ref>\$?[A-Za-z]{1,3}\$?\d{1,7})
    | (?P<op>[-+*/^%(),:])
    )""",
    re.VERBOSE,
)


class Unknown(Exception):
    """The formula is not simple arithmetic over this sheet, or has no finite value."""


def tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise Unknown(text[pos:])
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def ref_pos(ref: str) -> Pos:
    try:
        return parse_a1(ref)
    except ValueError:
        raise Unknown(ref) from None


class _Parser:
    def __init__(self, toks: list[tuple[str, str]], evaluator: Evaluator, depth: int) -> None:
        self.toks, self.i, self.ev, self.depth = toks, 0, evaluator, depth

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i] if self.i < len(self.toks) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok[0] == "end" or (value is not None and tok[1] != value):
            raise Unknown(f"expected {value}")
        self.i += 1
        return tok

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unknown("too deep")

    # expr := term (('+'|'-') term)*   term := power (('*'|'/') power)*
    # power := unary ('^' unary)*      unary := ('-'|'+') unary | postfix
    # (Excel binds negation tighter than ^: -2^2 = 4.)
    def expr(self) -> float:
        value = self.term()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            right = self.term()
            value = value + right if op == "+" else value - right
        return value

    def term(self) -> float:
        value = self.power()
        while self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            right = self.power()
            if op == "/" and right == 0:
                raise Unknown("#DIV/0!")
            value = value * right if op == "*" else value / right
        return value

    def power(self) -> float:
        value = self.unary()
        while self.peek()[1] == "^":
            self.take()
            exponent = self.unary()
            try:
                value = math.pow(value, exponent)
            except (OverflowError, ValueError):
                raise Unknown("#NUM!") from None
        return value

    def unary(self) -> float:
        op = self.peek()[1]
        if op in ("-", "+"):
            self.take()
            self.nest()
            value = self.unary()
            self.depth -= 1
            return -value if op == "-" else value
        value = self.primary()
        while self.peek()[1] == "%":
            self.take()
            value /= 100
        return value

    def primary(self) -> float:
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "ref":
            if self.peek()[1] == ":":
                raise Unknown("a range outside SUM")
            return self.ev.number_at(ref_pos(text), self.depth + 1)
        if kind == "op" and text == "(":
            self.nest()
            value = self.expr()
            self.take(")")
            self.depth -= 1
            return value
        if kind == "func":
            return self.function(text.upper())
        raise Unknown(text)

    def function(self, name: str) -> float:
        self.nest()
        args: list[list[float]] = []
        if self.peek()[1] != ")":
            while True:
                args.append(self.argument())
                if self.peek()[1] != ",":
                    break
                self.take(",")
        self.take(")")
        self.depth -= 1
        if name == "SUM":
            return math.fsum(x for arg in args for x in arg)
        if name == "ROUND" and len(args) == 2 and len(args[0]) == len(args[1]) == 1:
            from xltool.forms.rules import excel_round

            digits = args[1][0]
            if not digits.is_integer() or abs(digits) > 15:
                raise Unknown("ROUND digits")
            return excel_round(args[0][0], int(digits))
        raise Unknown(name)

    def argument(self) -> list[float]:
        """One function argument: a range or a lone reference gives the numbers in it
        (text and blanks skipped, as SUM does); anything else its value."""
        kind, text = self.peek()
        if kind == "ref":
            after = self.toks[self.i + 1][1] if self.i + 1 < len(self.toks) else ""
            if after == ":":
                self.i += 2
                end_kind, end = self.take()
                if end_kind != "ref":
                    raise Unknown(end)
                return self.ev.numbers_in(ref_pos(text), ref_pos(end), self.depth + 1)
            if after in (",", ")"):
                self.i += 1
                return self.ev.numbers_in(ref_pos(text), ref_pos(text), self.depth + 1)
        return [self.expr()]


class Evaluator:
    """Evaluates formulas over one sheet's cells; references are followed with cycle
    detection, each cell evaluated at most once."""

    def __init__(self, cell_at: CellAt) -> None:
        self.cell_at = cell_at
        self.done: dict[Pos, Any] = {}
        self.busy: set[Pos] = set()

    def value(self, formula: str) -> float | str | None:
        """The formula's value: a finite number, the text a lone reference points at,
        or None when unknown."""
        try:
            return self._value(formula, 0)
        except (Unknown, RecursionError, OverflowError, ValueError, ArithmeticError):
            return None

    def _value(self, formula: str, depth: int) -> float | str:
        text = formula.lstrip("=").strip()
        if not text or len(text) > MAX_LENGTH or "!" in text or '"' in text:
            raise Unknown(text[:40])  # other sheets, text literals: not simple arithmetic
        toks = tokens(text)
        if len(toks) == 1 and toks[0][0] == "ref":  # =B3 shows whatever B3 holds
            return self._resolved(ref_pos(toks[0][1]), depth + 1)
        parser = _Parser(toks, self, depth)
        result = parser.expr()
        if parser.peek()[0] != "end":
            raise Unknown("trailing")
        if not math.isfinite(result):
            raise Unknown("#NUM!")
        return result + 0.0

    def _resolved(self, pos: Pos, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise Unknown("too deep")
        if pos in self.done:
            if isinstance(self.done[pos], Unknown):
                raise self.done[pos]
            return self.done[pos]
        if pos in self.busy:
            raise Unknown("cycle")
        is_formula, raw = self.cell_at(pos)
        if not is_formula:
            return raw
        self.busy.add(pos)
        try:
            value: Any = self._value(str(raw), depth)
        except Unknown as exc:
            value = exc
        finally:
            self.busy.discard(pos)
        self.done[pos] = value
        if isinstance(value, Unknown):
            raise value
        return value

    def number_at(self, pos: Pos, depth: int) -> float:
        """A referenced cell in arithmetic: blank is 0, a number itself, text unknown
        (Excel's #VALUE!)."""
        value = self._resolved(pos, depth)
        if value is None or value == "":
            return 0.0
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Unknown("#VALUE!")
        if not math.isfinite(value):
            raise Unknown("#NUM!")
        return float(value)

    def numbers_in(self, first: Pos, last: Pos, depth: int) -> list[float]:
        (r1, c1), (r2, c2) = first, last
        r1, r2, c1, c2 = min(r1, r2), max(r1, r2), min(c1, c2), max(c1, c2)
        if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_RANGE_CELLS:
            raise Unknown("range too large")
        out = []
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                value = self._resolved((r, c), depth)
                if isinstance(value, int | float) and not isinstance(value, bool):
                    if not math.isfinite(value):
                        raise Unknown("#NUM!")
                    out.append(float(value))
        return out
