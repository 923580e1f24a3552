"""The finding catalogue: every stable code with its severity and its Chinese and English
message templates (:mod:`xltool.findings` registers them; a check family may bring its
own). docs/findings.md lists them all, and a test holds the two together."""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter
from typing import Literal

Severity = Literal["error", "warning"]

# Placeholders every finding fills itself: where it is, what was found and expected.
STANDARD = frozenset({"place", "label", "found", "expected"})


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    title_zh: str
    title_en: str
    zh: str
    en: str
    optional: frozenset[str] = frozenset()  # placeholders that may stay empty (a unit hint)

    @property
    def zh_fields(self) -> frozenset[str]:
        return _placeholders(self.zh)

    @property
    def en_fields(self) -> frozenset[str]:
        return _placeholders(self.en)

    @property
    def needs(self) -> frozenset[str]:
        """What a finding of this code must carry in its context (the rest every finding
        fills: place, label, found, expected)."""
        return self.zh_fields - STANDARD - self.optional


def _placeholders(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in Formatter().parse(template) if name)


CODES = [
    Code(
        "file-unreadable",
        "error",
        "文件无法读取",
        "File unreadable",
        "文件无法读取：{reason}。请用 Excel/WPS 打开确认后另存为 .xlsx 再报送",
        "The file cannot be read: {reason}. Open it in Excel/WPS and save it again as .xlsx",
    ),
    Code(
        "file-encrypted",
        "error",
        "文件已加密",
        "File encrypted",
        "文件设置了打开密码，无法校验。请取消密码（文件→信息→保护工作簿→用密码进行加密，清空）后重新报送",
        "The file is password-encrypted and cannot be checked. Remove the password and send it again",
    ),
    Code(
        "file-legacy-format",
        "error",
        "文件格式不对",
        "Wrong file format",
        "文件是 {format} 格式，请用 Excel/WPS 打开后“另存为”Excel 工作簿（.xlsx）再报送",
        "The file is {format}; open it and use Save As → Excel Workbook (.xlsx)",
    ),
    Code(
        "template-unknown",
        "error",
        "不是本表样",
        "Unknown template",
        "不是 xltool 发放的表样，也未识别出「{name}」的结构：{reason}",
        "Not a form xltool issued, and the layout of {name} was not recognised: {reason}",
    ),
    Code(
        "template-version",
        "warning",
        "表样版本不同",
        "Other template version",
        "此表按表样 {kind} 第 {found} 版发放，当前为第 {expected} 版；已按可识别的结构读取",
        "Issued from spec {kind} version {found}; the current version is {expected}. Read as far as recognised",
    ),
    Code(
        "structure-changed",
        "error",
        "表格结构被改动",
        "Structure changed",
        "{place}：找不到「{label}」{what}，表格结构被改动，无法可靠读取该部分。请使用原表填写",
        "{place}: '{label}' {what} is missing; the layout was changed and this part cannot be read. Use the issued form",
    ),
    Code(
        "sheet-renamed",
        "warning",
        "工作表被改名",
        "Sheet renamed",
        "表单工作表名称应为「{expected}」，现为「{found}」；已按内容识别，请改回原名",
        "The form sheet should be named '{expected}', found '{found}'; recognised by content. Rename it back",
    ),
    Code(
        "sheet-hidden",
        "error",
        "表单工作表被隐藏",
        "Form sheet hidden",
        "表单工作表「{sheet}」被设为{state}，打开和打印时看到的不是它；已校验的是这张隐藏的表。"
        "请取消隐藏（右键工作表标签→取消隐藏），删除其他副本后重新报送",
        "The form sheet '{sheet}' is {state}, so what people see and print is not it; the hidden "
        "sheet is what was checked. Unhide it, delete any copies and send the form again",
    ),
    Code(
        "form-copy",
        "error",
        "另有一份表单副本",
        "Another copy of the form",
        "工作表「{found}」也带有本表的栏目，是表单的副本；只有「{expected}」会被校验和汇总，"
        "副本中的数字不计。请删除副本，只在「{expected}」中填写",
        "The sheet '{found}' also carries the form's labels: a copy. Only '{expected}' is checked "
        "and rolled up; figures in the copy do not count. Delete the copy",
    ),
    Code(
        "required-missing",
        "error",
        "必填项为空",
        "Required entry missing",
        "{place}（{label}）未填写，请填写",
        "{place} ({label}) is empty; fill it in",
    ),
    Code(
        "not-a-number",
        "error",
        "不是数字",
        "Not a number",
        "{place}（{label}）应为数字，现为「{found}」，请只输入数字{hint}",
        "{place} ({label}) must be a number, found '{found}'; enter digits only{hint}",
        optional=frozenset({"hint"}),
    ),
    Code(
        "value-out-of-range",
        "error",
        "数值超出范围",
        "Value out of range",
        "{place}（{label}）为 {found}，超出可计算的范围（绝对值应小于 10 的 15 次方），请核实后重新填写",
        "{place} ({label}) is {found}, beyond what can be computed (it must be below 10^15 in size); check and re-enter it",
    ),
    Code(
        "value-coerced",
        "warning",
        "文本已转为数字",
        "Text read as a number",
        "{place}（{label}）是文本「{found}」，已按数字 {expected} 读取；请直接输入数字",
        "{place} ({label}) holds the text '{found}', read as the number {expected}; enter it as a number",
    ),
    Code(
        "number-as-text",
        "error",
        "数字存成了文本",
        "Number stored as text",
        "{place}（{label}）的「{found}」是文本，不是数字；表内公式不计算文本，表上「{total}」显示为 {shown}，"
        "按您输入的 {expected} 应为 {should}。请删去逗号、空格或单位，重新输入为数字",
        "{place} ({label}) holds '{found}' as text, not a number; the form's formulas skip text, so "
        "'{total}' shows {shown}, while with {expected} it would be {should}. Re-enter it as a number",
    ),
    Code(
        "input-formula",
        "error",
        "填报格中有公式",
        "Formula in an input cell",
        "{place}（{label}）填的是公式「{formula}」，不是数值；{detail}。该格计入合计或得分，请直接填写数值",
        "{place} ({label}) holds the formula '{formula}', not a value; {detail}. It counts towards a "
        "total or score: enter the value itself",
    ),
    Code(
        "input-formula-unused",
        "warning",
        "填报格中有公式",
        "Formula in an input cell",
        "{place}（{label}）填的是公式「{formula}」，不是数值；{detail}。请直接填写内容",
        "{place} ({label}) holds the formula '{formula}', not a value; {detail}. Enter the value itself",
    ),
    Code(
        "value-negative",
        "error",
        "数值为负",
        "Negative value",
        "{place}（{label}）为 {found}，不能小于 0",
        "{place} ({label}) is {found}; it cannot be below 0",
    ),
    Code(
        "fund-sum-mismatch",
        "error",
        "合计不等于分项之和",
        "Total is not the sum",
        "{place}（{label}）为 {found}，不等于各分项之和 {expected}；合计公式被改写，请恢复公式或改正",
        "{place} ({label}) is {found}, not the sum of its sub-rows {expected}; restore the formula",
    ),
    Code(
        "execution-over-budget",
        "warning",
        "执行数超预算",
        "Executed above budget",
        "{place}（{label}）全年执行数 {found} 超过全年预算数 {expected}，请核实",
        "{place} ({label}): executed {found} exceeds the adjusted budget {expected}; please check",
    ),
    Code(
        "score-over-points",
        "error",
        "得分超过分值",
        "Score above points",
        "{place}（{label}）得分 {found} 超过分值 {expected}，请改为不超过 {expected} 的数",
        "{place} ({label}): score {found} exceeds the points {expected}; enter at most {expected}",
    ),
    Code(
        "points-total",
        "error",
        "分值合计不对",
        "Points do not add up",
        "{place}：各指标分值合计为 {found}，应为 {expected}，请核对分值",
        "{place}: the indicators' points add up to {found}, expected {expected}",
    ),
    Code(
        "reason-missing",
        "error",
        "缺少偏差原因",
        "Reason missing",
        "{place}（{label}）得分 {found} 低于分值 {expected}，请填写偏差原因分析及改进措施",
        "{place} ({label}): score {found} is below the points {expected}; give the reason and remedy",
    ),
    Code(
        "over-target-unexplained",
        "warning",
        "大幅超额完成未说明原因",
        "Target far exceeded, unexplained",
        "{place}（{label}）实际完成值 {found} {beyond}年度指标值 {expected}，偏离超过 {margin}"
        "（指标性质「{nature}」），属大幅超额完成；请在「{reason}」中说明原因",
        "{place} ({label}): the actual {found} is {beyond} the annual target {expected} by more "
        "than {margin} ({nature}), far beyond it; explain why in '{reason}'",
    ),
    Code(
        "actual-not-a-number",
        "error",
        "定量指标的完成值不是数字",
        "Actual of a quantitative indicator not a number",
        "{place}（{label}）年度指标值为「{expected}」，是定量指标，实际完成值却写作「{found}」，"
        "无法按指标性质核算得分；请填写实际完成的数值",
        "{place} ({label}) has the numeric target '{expected}', but its actual is written as "
        "'{found}', so its score cannot be checked by its rule; enter the figure achieved",
    ),
    Code(
        "goal-actual-missing",
        "error",
        "目标完成情况未填写",
        "Goal results missing",
        "{place}（{label}）：已写明预期目标，实际完成情况却未填写；请填写目标的实际完成情况",
        "{place} ({label}): the expected goals are stated but their actual results are empty; "
        "describe what was achieved",
    ),
    Code(
        "indicator-incomplete",
        "error",
        "指标行不完整",
        "Indicator row incomplete",
        "{place}（{label}）已填写部分内容，但缺少{missing}，请补全或清空该行",
        "{place} ({label}) is partly filled but lacks {missing}; complete or clear the row",
    ),
    Code(
        "indicator-outside-sum",
        "error",
        "指标行在合计范围外",
        "Indicator outside the totals",
        "{place}（{label}）位于指标区之外，总分公式不计入该行；请在指标区内的空行或组内插入行填写",
        "{place} ({label}) lies outside the indicator block, so the totals do not count it; use a row inside the block",
    ),
    Code(
        "formula-overwritten",
        "error",
        "公式被覆盖",
        "Formula overwritten",
        "{place}（{label}）应为公式，现为数值 {found}（应为 {expected}）；请勿覆盖公式，可使用原表或撤销修改",
        "{place} ({label}) should hold a formula but holds the value {found} (expected {expected}); restore the formula",
    ),
    Code(
        "formula-altered",
        "error",
        "公式被改动",
        "Formula altered",
        "{place}（{label}）的公式为「{found}」，应为「{expected}」；请恢复原公式",
        "{place} ({label}) has the formula '{found}', expected '{expected}'; restore it",
    ),
    Code(
        "cached-value-mismatch",
        "warning",
        "保存值与重算值不同",
        "Saved value differs",
        "{place}（{label}）文件保存的值为 {found}，重新计算为 {expected}；请在 Excel/WPS 中重算（F9）后保存",
        "{place} ({label}): the saved value {found} differs from the recomputed {expected}; recalculate and save",
    ),
    Code(
        "score-rule-mismatch",
        "warning",
        "得分与评分规则不符",
        "Score differs from the rule",
        "{place}（{label}）得分 {found}，按指标性质「{nature}」和指标值、完成值计算应为 {expected}，请核实",
        "{place} ({label}): score {found}, but its rule ({nature}) gives {expected}; please check",
    ),
    Code(
        "score-out-of-band",
        "warning",
        "定性得分超出档次",
        "Qualitative score out of band",
        "{place}（{label}）评价为「{grade}」，得分 {found} 应在 {expected} 之间",
        "{place} ({label}) is graded '{grade}'; its score {found} should lie in {expected}",
    ),
    Code(
        "rate-reason-missing",
        "error",
        "执行率偏低未说明原因",
        "Low execution rate unexplained",
        "{place}（{label}）：执行率 {found} 低于 {expected}，请说明原因",
        "{place} ({label}): the execution rate {found} is below {expected}; give the reason",
    ),
    Code(
        "prefill-altered",
        "error",
        "预填内容被改动",
        "Prefilled value altered",
        "{place}（{label}）发放时为「{expected}」，现为「{found}」；发放单位预填的内容不得修改，请改回",
        "{place} ({label}) was issued as '{expected}', now '{found}'; the issuer's prefilled values must not change",
    ),
    Code(
        "indicator-removed",
        "error",
        "发放的指标被删除",
        "Issued indicator removed",
        "发放的指标「{label}」（{group}）不见了，请恢复该行",
        "The issued indicator '{label}' ({group}) is gone; restore the row",
    ),
    Code(
        "indicator-added",
        "warning",
        "新增了指标",
        "Indicator added",
        "{place}（{label}）不是发放时的指标，是填报单位新增的；请确认",
        "{place} ({label}) was not issued; the filer added it. Please check",
    ),
    Code(
        "signature-invalid",
        "error",
        "签名无效",
        "Signature invalid",
        "表单元数据被改动，或由其他密钥签名（{found}）；发放信息不可信，请使用发放的原表",
        "The form's metadata was changed or signed with another key ({found}); use the issued form",
    ),
    Code(
        "signature-absent",
        "warning",
        "表单未签名",
        "Form not signed",
        "发放单位已有密钥，但此表未签名（{found}）；无法证明预填内容未被改动",
        "The issuer has a key but this form is not signed ({found}); prefilled values cannot be proven",
    ),
    Code(
        "signature-unverified",
        "warning",
        "签名未核验",
        "Signature not checked",
        "此表已签名（密钥 {found}），但本机没有发放单位的密钥，无法核验；请用 --key-file 指定",
        "This form is signed (key {found}) but no issuer key is available here; pass it with --key-file",
    ),
    Code(
        "issued-elsewhere",
        "warning",
        "发放对象不符",
        "Issued to someone else",
        "{place}：此表发放给「{expected}」，现在写的是「{found}」；请核实是否交错了表",
        "{place}: this form was issued to '{expected}' but now says '{found}'; was the wrong form returned?",
    ),
    Code(
        "duplicate-return",
        "warning",
        "重复报送",
        "Returned twice",
        "同一份发放的表（{expected}）收到了多个文件：{found}",
        "The same issued form ({expected}) came back more than once: {found}",
    ),
    Code(
        "stated-figure-mismatch",
        "error",
        "填报数与计算不符",
        "Stated figure differs",
        "{place}（{label}）填报为 {found}，按「{rule}」应为 {expected}",
        "{place} ({label}) states {found}; {rule} gives {expected}",
    ),
    Code(
        "column-moved",
        "warning",
        "列的顺序不同",
        "Columns in another order",
        "{place}：{block}的列顺序与表样不同（{found}），已按列标题读取",
        "{place}: the {block} columns stand in another order ({found}); read by their headings",
    ),
    Code(
        "kind-guessed",
        "warning",
        "表样由内容推断",
        "Form kind inferred",
        "没有 xltool 元数据，按所含标签推断为「{found}」（依据：{evidence}）；如不对，请用 --kind 指定",
        "no xltool metadata; read as '{found}' from the labels it carries ({evidence}); use --kind if that is wrong",
    ),
    Code(
        "nature-not-listed",
        "error",
        "指标性质不在下拉列表中",
        "Indicator nature not from the list",
        "{place}（{label}）指标性质填为「{found}」，表中公式只认下拉列表中的 ≥、=、≤，此行不计分；请从列表中选择「{expected}」",
        "{place} ({label}): 指标性质 is '{found}'; the form's formula knows only ≥, = and ≤ from the list, so the row scores nothing. Choose '{expected}' from the list",
    ),
    Code(
        "nature-conflict",
        "error",
        "指标性质自相矛盾",
        "Indicator nature contradicts itself",
        "{place}（{label}）指标性质「{found}」与指标方向「{expected}」相互矛盾，已按指标方向计分；请改为一致",
        "{place} ({label}): 指标性质 '{found}' contradicts 指标方向 '{expected}'; scored by the direction. Make them agree",
    ),
    Code(
        "fund-subrow-points",
        "warning",
        "分项另计分值",
        "Sub-row carries points",
        "{place}（{label}）另计了分值 {found}；执行分值只属于年度资金总额行，分项再计会重复计分",
        "{place} ({label}) carries {found} points of its own; only the total row scores execution",
    ),
    Code(
        "macro-present",
        "warning",
        "含有宏",
        "Macros present",
        "工作簿包含 VBA 宏（未执行）；请另存为不含宏的 .xlsx",
        "The workbook carries VBA macros (not run); save it as a macro-free .xlsx",
    ),
    Code(
        "external-link",
        "warning",
        "含有外部链接",
        "External links",
        "工作簿链接了其他文件（{found}），数值可能随之变化；请断开链接（数据→编辑链接→断开）",
        "The workbook links to other files ({found}); values may change with them. Break the links",
    ),
    # the department's report (.docx) beside its form, and the bureau's re-check (抽查复核)
    Code(
        "report-unreadable",
        "error",
        "报告无法读取",
        "Report unreadable",
        "报告无法读取：{reason}。请用 Word/WPS 打开确认后另存为 Word 文档（.docx）再报送",
        "The report cannot be read: {reason}. Open it in Word/WPS and save it again as .docx",
    ),
    Code(
        "report-legacy-format",
        "error",
        "报告格式不对",
        "Wrong report format",
        "报告是 {format} 格式，请用 Word/WPS 打开后“另存为”Word 文档（.docx）再报送",
        "The report is {format}; open it and use Save As → Word Document (.docx)",
    ),
    Code(
        "report-figure-mismatch",
        "error",
        "报告数字与自评表不一致",
        "Report figure disagrees with the form",
        "报告{where}写的{figure}为 {found}，与{other}的 {expected} 不一致；请核对后改正有误的一处",
        "The report states {figure} as {found} ({where}), but {other} gives {expected}; "
        "correct whichever is wrong",
    ),
    Code(
        "report-section-missing",
        "error",
        "报告缺少部分",
        "Report section missing",
        "报告缺少「{section}」部分；请按报告模板保留六个部分的标题并填写",
        "The report has no '{section}' section; keep the six section headings of the template",
    ),
    Code(
        "recheck-deviation",
        "warning",
        "复核结果与自评偏差较大",
        "Re-check differs from the self-evaluation",
        "{department}：自评 {self_score} 分（{self_grade}），复核 {recheck_score} 分"
        "（{recheck_grade}），偏差 {deviation} 分，超过 {threshold} 分或等级变化",
        "{department}: self-evaluated {self_score} ({self_grade}), re-checked {recheck_score} "
        "({recheck_grade}), a deviation of {deviation}: over {threshold} points or another grade",
    ),
]
