"""Help of the reports-and-results commands (``report``, ``recheck …``, ``publish``, and
``campaign init --with-report``), merged into :mod:`xltool.cli.help_text`'s tables."""

from __future__ import annotations

ZH_REPORTS: dict[str, str] = {
    "campaign init --with-report": "同时为每个部门签发绩效评价报告模板（.docx，放在其自评表旁）。",
    "report": """生成本轮绩效自评结果汇总分析报告（Word 文档，可加 PDF）。

内容：报送覆盖面与及时性、自评得分与等级分布、预算执行情况、未完成的指标及各单位所述
原因、各单位报告中的存在问题与改进建议、附表和图表。所有数字都取自当前报送且审核通过
的自评表，与 summary 一致。模板为 templates/reports/summary.docx（批次 spec/ 目录中的
summary.docx 优先）。加 --pdf 而未能生成 PDF 时退出码为 1。

\b
示例：
  xltool report
  xltool report --pdf -o 2025结果汇总分析报告.docx""",
    "report --output": "报告文件（.docx）[默认：批次目录下的 <标题>结果汇总分析报告.docx]。",
    "report --pdf": "同时用 LibreOffice 转成 PDF。",
    "report --force": "报告已存在时覆盖。",
    "recheck": """抽查复核：从审核通过的自评表中按可重现的方法抽样，发复核表，比较复核结果。

\b
示例：
  xltool recheck sample --rate 20% --seed 2025
  xltool recheck take 复核表回收/*.xlsx
  xltool recheck status""",
    "recheck sample": """抽样，并为每张抽中的表在 recheck/issued/ 生成复核表。

按（表样、部门编码、项目编码）排序后分层，用 random.Random(种子) 抽取：同一种子在任何
机器上抽出同样的表。种子、方法和抽样结果记入批次目录的 recheck.json。""",
    "recheck sample --rate": "抽取通过的表的比例（20% 或 0.2）[默认：20%]。",
    "recheck sample --count": "改为抽取固定张数。",
    "recheck sample --seed": "随机种子（记入 recheck.json；同一种子抽样结果相同）[默认：随机生成]。",
    "recheck sample --must": "必抽的部门编码（可重复，或用逗号分隔）。",
    "recheck sample --by": "分层依据：kind（表样）、department（部门）、grade（等级），逗号分隔。",
    "recheck sample --weight": "budget：预算越大越容易被抽中。",
    "recheck sample --force": "重新抽样，替换 recheck.json 和已发的复核表。",
    "recheck take": "收录复核组填好的复核表（保存在 recheck/returned/）。有不属于本次抽样的文件时退出码为 1。",
    "recheck take --received-at": "收到的时间（YYYY-MM-DD 或 ISO 时间）。",
    "recheck status": """每张抽中的表：自评得分、复核得分、偏差和等级变化。

偏差超过阈值或等级变化的，列为问题（recheck-deviation）。退出码总是 0。""",
    "recheck status --threshold": "偏差超过多少分列为问题。",
    "publish": """为每张审核通过的表（及其报告）各生成一个 PDF，并生成目录，供信息公开。

表样中标为不公开的栏目（private_fields；默认为联系电话、项目负责人）只在公开的副本中
清空，报回的原件不作任何改动。需要 LibreOffice。

\b
示例：
  xltool publish
  xltool publish -o 2025公开/""",
    "publish --kind": "只公开此表样的表。",
    "publish --output": "PDF 的保存文件夹 [默认：批次目录下的 publish/]。",
    "publish --force": "文件夹中已有 PDF 时仍写入（覆盖同名文件）。",
}

EN_REPORTS: dict[str, str] = {
    "report --output": "The report (.docx) [default: <title> summary report .docx in the campaign folder].",
}
