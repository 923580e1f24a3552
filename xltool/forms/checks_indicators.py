"""Check families that are always on, about the indicator rows and the total: complete rows,
scores within points, reasons, scoring by 指标性质, the points total, the rate warning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from xltool.findings import Finding
from xltool.forms.check_base import (
    TOLERANCE,
    Check,
    ExcelFace,
    Facts,
    formula_finding,
    same,
)
from xltool.forms.filled import IndicatorRow, Reading
from xltool.forms.rules import (
    LISTED_NATURES,
    IndicatorScore,
    is_number,
    qualitative_band,
    total,
)
from xltool.forms.values import normalise_nature


@dataclass(frozen=True)
class IndicatorRows(Check):
    """Each indicator row inside the block the totals cover, and complete."""

    type: ClassVar[str] = "indicator_rows"
    codes: ClassVar[tuple[str, ...]] = ("indicator-outside-sum", "indicator-incomplete")
    always: ClassVar[bool] = True

    def findings(self, facts: Facts) -> list[Finding]:
        reading = facts.reading
        labels = {c.key: c.label for c in facts.spec.indicators.columns}
        out: list[Finding] = []
        for row, v in zip(reading.indicators, facts.scored, strict=True):
            if not row.inside:
                out.append(
                    reading.row_finding("indicator-outside-sum", "name", row, field="indicators")
                )
            missing = [k for k in ("name", "points", "score") if v.get(k) in (None, "")]
            if missing:
                out.append(
                    reading.row_finding(
                        "indicator-incomplete",
                        missing[0],
                        row,
                        missing_zh="、".join(labels[k] for k in missing),
                        missing_en=", ".join(labels[k] for k in missing),
                    )
                )
        return out


@dataclass(frozen=True)
class ScoreWithinPoints(Check):
    """得分 between 0 and the row's 分值. Excel refuses anything else as it is typed."""

    type: ClassVar[str] = "score_within_points"
    codes: ClassVar[tuple[str, ...]] = ("score-over-points",)
    always: ClassVar[bool] = True

    def excel(self, face: ExcelFace) -> None:
        face.validate(
            face.column("score"),
            {
                "validate": "decimal",
                "criteria": "between",
                "minimum": 0,
                "maximum": "=" + face.first("points"),
                "input_title": "得分",
                "input_message": "请输入 0 到本行分值之间的数。",
                "error_title": "得分超出范围",
                "error_message": "得分须在 0 到本行分值之间。",
            },
        )

    def findings(self, facts: Facts) -> list[Finding]:
        return [
            facts.reading.row_finding("score-over-points", "score", row, score, points)
            for row, score, points, _v in facts.scores()
            if score > points + TOLERANCE
        ]


@dataclass(frozen=True)
class ReasonMissing(Check):
    """A score below its points needs 偏差原因. The cell turns red until one is given."""

    type: ClassVar[str] = "reason_missing"
    codes: ClassVar[tuple[str, ...]] = ("reason-missing",)
    always: ClassVar[bool] = True

    def excel(self, face: ExcelFace) -> None:
        if "reason" not in face.layout.columns:
            return
        score, points, reason = face.first("score"), face.first("points"), face.first("reason")
        face.highlight(
            face.column("reason"),
            f"AND(ISNUMBER({score}),ISNUMBER({points}),{score}<{points},LEN(TRIM({reason}))=0)",
        )

    def findings(self, facts: Facts) -> list[Finding]:
        if "reason" not in facts.reading.columns:
            return []
        return [
            facts.reading.row_finding("reason-missing", "reason", row, score, points)
            for row, score, points, v in facts.scores()
            if score < points - TOLERANCE and v.get("reason") in (None, "")
        ]


@dataclass(frozen=True)
class IndicatorScoring(Check):
    """Each row's 得分 against its 指标性质 rule: the formula (``score: formula``) or the
    filer's entry; a 定性 row's score against its grade's band."""

    type: ClassVar[str] = "indicator_scoring"
    codes: ClassVar[tuple[str, ...]] = (
        "nature-not-listed",
        "score-out-of-band",
        "score-rule-mismatch",
        "formula-overwritten",
        "formula-altered",
        "cached-value-mismatch",
    )
    always: ClassVar[bool] = True

    def findings(self, facts: Facts) -> list[Finding]:
        reading = facts.reading
        if "nature" not in reading.columns or not facts.has_indicators():
            return []
        out: list[Finding] = []
        for row in reading.indicators:
            nature = normalise_nature(row.values.get("nature"))
            if nature == "定性":
                finding = _band_finding(reading, row)
            elif nature is None:
                continue
            elif facts.spec.indicators.score == "formula":
                finding = _listed(reading, row, nature) or _score_formula_finding(
                    reading, row, nature
                )
            else:
                finding = _score_rule_finding(reading, row, nature)
            if finding:
                out.append(finding)
        return out


def _band_finding(reading: Reading, row: IndicatorRow) -> Finding | None:
    v = row.values
    score, points = v.get("score"), v.get("points")
    if not (is_number(score) and is_number(points)) or score > points + TOLERANCE:
        return None  # a score above its points is score-over-points already
    band = qualitative_band(v.get("actual"))
    if band is not None:
        low, high = band
        top = high == 1.0
        if low * points - TOLERANCE <= score <= high * points + TOLERANCE and (
            top or score < high * points - TOLERANCE / 10
        ):
            return None
        expected = f"{low * points:g}–{high * points:g}"
    else:
        expected = "达成年度指标 / 部分达成年度指标并具有一定效果 / 未达成年度指标且效果较差"
    return reading.row_finding(
        "score-out-of-band", "score", row, score, expected, grade=v.get("actual") or ""
    )


def _listed(reading: Reading, row: IndicatorRow, nature: str) -> Finding | None:
    """A 指标性质 typed as words (大于等于, ＝ …) where the row's formula compares symbols."""
    raw = row.values.get("nature")
    if raw in LISTED_NATURES:
        return None
    return reading.row_finding("nature-not-listed", "nature", row, raw, nature)


def _score_formula_finding(reading: Reading, row: IndicatorRow, nature: str) -> Finding | None:
    v, rule = row.values, IndicatorScore()
    want = rule.evaluate(nature, v.get("target"), v.get("actual"), v.get("points"))
    text = row.formulas.get("score")
    if text is None:
        if v.get("score") is None:
            return None
        return reading.row_finding("formula-overwritten", "score", row, v.get("score"), want)
    formula = "=" + rule.formula(lambda key: reading.at(key, row.row))
    result = formula_finding(text, formula, v.get("score"), want)
    return reading.row_finding(result[0], "score", row, *result[1:]) if result else None


def _score_rule_finding(reading: Reading, row: IndicatorRow, nature: str) -> Finding | None:
    v = row.values
    score = v.get("score")
    want = IndicatorScore().evaluate(nature, v.get("target"), v.get("actual"), v.get("points"))
    if is_number(score) and is_number(want) and not same(score, want):
        return reading.row_finding("score-rule-mismatch", "score", row, score, want, nature=nature)
    return None


@dataclass(frozen=True)
class PointsTotal(Check):
    """The indicators' 分值 add up to the profile's total (100, or 90 under 10 + 90).
    The total cell turns red while they do not."""

    type: ClassVar[str] = "points_total"
    codes: ClassVar[tuple[str, ...]] = ("points-total",)
    always: ClassVar[bool] = True

    def excel(self, face: ExcelFace) -> None:
        spec = face.layout.spec
        points = face.layout.address("indicators.points", absolute=True)
        face.highlight(
            face.layout.fields[spec.total.points],
            f"ROUND(SUM({points}),2)<>{spec.profile.points_total:g}",
        )

    def findings(self, facts: Facts) -> list[Finding]:
        spec, reading = facts.spec, facts.reading
        if not facts.has_indicators() or spec.total.points not in reading.positions:
            return []
        points = total(r.get("points") for r in facts.scored)
        if points is None or abs(points - spec.profile.points_total) <= TOLERANCE:
            return []
        return [
            reading.field_finding(
                "points-total", spec.total.points, points, spec.profile.points_total
            )
        ]


@dataclass(frozen=True)
class RateWarning(Check):
    """执行率 below the profile's ``rate_warning_below`` turns amber as it is computed.
    A warning for the filer's eyes only: a low rate is no error in itself."""

    type: ClassVar[str] = "rate_warning"
    always: ClassVar[bool] = True

    def excel(self, face: ExcelFace) -> None:
        spec = face.layout.spec
        threshold = spec.profile.rate_warning_below
        if threshold is None:
            return
        for name, area in face.layout.fields.items():
            if spec.is_fund_field(name) and name.endswith("_rate"):
                face.highlight(area, f"AND(ISNUMBER({area.a1}),{area.a1}<{threshold})", "amber")

    def findings(self, facts: Facts) -> list[Finding]:
        return []
