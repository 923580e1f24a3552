"""Forms xltool did not issue, made as a person would type them (openpyxl, no names, no
metadata): the seed re-typed and varied, and the published examples A–G and provincial
layouts of ../shared/docs/research/forms-in-practice.md (§1, §3).

    python -m tests.foreign_forms DIR     # write every one into DIR
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

SAMPLES = Path(__file__).resolve().parent.parent / "sample_workbooks"


def grid(rows: list[list[Any]], merges: tuple[str, ...] = (), title: str = "Sheet1") -> bytes:
    """A workbook of one sheet holding ``rows`` from A1 (None: an empty cell)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(r, c, value)
    for rng in merges:
        ws.merge_cells(rng)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def retyped_seed(edit: Callable[[Any], None] | None = None) -> bytes:
    """The seed's issued form as a person re-types it: the same grid and figures, no
    formulas (the values they showed), no names, no metadata, no validations."""
    src = SAMPLES / "yuelu-commerce-2019.xlsx"
    shown = openpyxl.load_workbook(src, data_only=True)["自评表"]
    wb = openpyxl.load_workbook(src)
    for name in list(wb.sheetnames):
        if name != "自评表":
            del wb[name]
    for name in list(wb.defined_names):
        del wb.defined_names[name]
    wb.custom_doc_props.props.clear()
    ws = wb["自评表"]
    ws.protection.sheet = False
    ws.data_validations.dataValidation.clear()
    ws.conditional_formatting = type(ws.conditional_formatting)()
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.value = shown[cell.coordinate].value
    if edit:
        edit(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- the seed, re-typed and varied -------------------------------------------------------


def seed() -> bytes:
    return retyped_seed()


def _swap_fund_columns(ws: Any) -> None:
    """年初 / 执行 / 全年: the 全年预算数 and 全年执行数 columns change places."""
    for r in range(5, 10):
        e, f = ws.cell(r, 5), ws.cell(r, 6)
        e.value, f.value = f.value, e.value


def seed_columns_reordered() -> bytes:
    return retyped_seed(_swap_fund_columns)


def _serial_blank_and_notes(ws: Any) -> None:
    """A 序号 column in front, a blank row among the indicators, a note under the form."""
    for rng in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(rng))
    ws.insert_cols(1)
    ws.cell(12, 1, "序号")
    for i, r in enumerate(range(13, 31), start=1):
        ws.cell(r, 1, i)
    ws.insert_rows(20)
    ws.cell(ws.max_row + 2, 2, "注：本表金额单位为万元，得分保留两位小数。")


def seed_with_serial_blank_rows_and_notes() -> bytes:
    return retyped_seed(_serial_blank_and_notes)


def _label_merged(ws: Any) -> None:
    """部门名称 typed across two merged cells, its value one column further right."""
    for rng in list(ws.merged_cells.ranges):
        if rng.min_row == 2:
            ws.unmerge_cells(str(rng))
    value = ws["B2"].value
    ws["B2"] = None
    ws.merge_cells("A2:B2")
    ws["C2"] = value


def seed_label_merged() -> bytes:
    return retyped_seed(_label_merged)


def _wps_sums(ws: Any) -> None:
    """The totals typed as formulas that were never calculated (no saved values)."""
    ws["D6"], ws["E6"], ws["F6"] = "=SUM(D7:D9)", "=SUM(E7:E9)", "=SUM(F7:F9)"


def seed_sums_without_saved_values() -> bytes:
    return retyped_seed(_wps_sums)


# --- the published examples (research §3) and provincial layouts (§1) --------------------

PROJECT_HEAD = [["项目名称", "{name}", None, "主管部门", "{dept}", None, "实施单位", "{unit}"]]
FUND_HEAD = [
    "项目资金（万元）",
    None,
    "年初预算数",
    "全年预算数",
    "全年执行数",
    "分值",
    "执行率",
    "得分",
]
SICHUAN_FUNDS = ["年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分", "原因"]
SICHUAN_HEAD = ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分", "未完成原因分析"]  # fmt: skip
IND_HEAD = [
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因分析及改进措施",
]


def _project(
    name: str, funds: list[list[Any]], indicators: list[list[Any]], total: list[Any] | None
) -> bytes:
    rows: list[list[Any]] = [[f"{name}项目支出绩效自评表"]]
    rows += [
        [
            c.format(name=name, dept="某局", unit="某单位") if isinstance(c, str) else c
            for c in PROJECT_HEAD[0]
        ]
    ]
    rows += [FUND_HEAD, *funds]
    rows += [
        ["年度总体目标", "预期目标", None, None, "实际完成情况"],
        [None, "按期完成", None, None, "已完成"],
    ]
    rows += [IND_HEAD, *indicators]
    if total is not None:
        rows.append(total)
    return grid(rows)


def example_a() -> bytes:
    """A. 天长市水利局 2022 (Anhui): 880 / 880 / 880, 执行率 left blank ✗."""
    funds = [
        [None, "年度资金总额", 880, 880, 880, 10, None, 10],
        [None, "其中：本年财政拨款", 880, 880, 880, None, None, None],
    ]
    inds = [
        ["产出指标", "数量指标", "灌区改造", "1", "1", 10, 10],
        [None, None, "水价改革", "1", "1", 10, 10],
        [None, "质量指标", "工程质量合格率", "100%", "100%", 10, 10],
        [None, "时效指标", "按期完成率", "100%", "100%", 10, 10],
        [None, "成本指标", "成本控制率", "≤100%", "100%", 10, 10],
        ["效益指标", "经济效益指标", "灌溉效益", "提升", "提升", 10, 10],
        [None, "社会效益指标", "防汛安全", "保障", "保障", 10, 10],
        [None, "生态效益指标", "/", "/", "/", None, None],
        [None, "可持续影响指标", "长效运行", "长期", "长期", 10, 10],
        ["满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "100%", 10, 10],
    ]
    return _project("水旱灾害防御经费", funds, inds, ["总分", None, None, None, None, 100, 100])


def example_b() -> bytes:
    """B. 廊坊市食品工程学校 2019 (Hebei): 37.24 / 43.2 = 86.2% scored 9 ✗ (8.62)."""
    funds = [
        [None, "年度资金总额", 43.2, 43.2, 37.24, 10, "86%", 9],
        [None, "其中：当年财政拨款", 43.2, 43.2, 37.24, None, None, None],
    ]
    inds = [
        ["产出指标", "数量指标", "工程资金金额", "43.2", "37.24", 10, 9, "质保金 3% 未付，价格封顶"]
    ]
    for name in (
        "完工率",
        "验收合格率",
        "及时率",
        "成本控制率",
        "安全率",
        "学校发展能力",
        "长期使用性",
        "学生满意度",
    ):
        inds.append([None, None, name, "100%", "100%", 10, 10])
    return _project("暖通改造经费", funds, inds, None)  # the 总分 row was cut off


def example_c() -> bytes:
    """C. 丽江古城区自然资源局 2020 (Yunnan): 指标性质 | 指标值 | 度量单位 under 年度指标值;
    every target met, every score cut by 10% ✗."""
    rows: list[list[Any]] = [["卫片执法补助经费项目支出绩效自评表"]]
    rows += [
        [
            "项目名称",
            "卫片执法补助经费",
            None,
            "主管部门",
            "丽江市古城区自然资源局",
            None,
            "实施单位",
            "同左",
        ]
    ]
    rows += [FUND_HEAD]
    rows += [[None, "年度资金总额", 7.29, 7.29, 7.29, 10, "100%", 10]]
    rows += [
        ["一级指标", "二级指标", "三级指标", "年度指标值", None, None, "实际完成值", "分值", "得分"]
    ]
    rows += [[None, None, None, "指标性质", "指标值", "度量单位"]]
    rows += [
        ["产出指标", "数量指标", "补助经费", "﹦", 72890, "元", 72890, 10, 9],
        [None, "质量指标", "验收合格率", "﹦", 100, "%", 100, 20, 19],
        [None, "时效指标", "完成及时率", "﹦", 100, "%", 100, 20, 19],
        ["效益指标", "社会效益指标", "违法行为责停率", "≥", 95, "%", 95, 30, 27],
        ["满意度指标", "服务对象满意度指标", "满意度", "≥", 95, "%", 95, 10, 9],
    ]
    return grid(rows, merges=("D5:F5",))


def example_d() -> bytes:
    """D. 池州贵池区棠溪镇 2022 (Anhui): the total row never summed (0 / 0 / 0) ✗."""
    funds = [
        [None, "年度资金总额", 0, 0, 0, 10, 0, 0],
        [None, "其中：本年财政拨款", 90, 89.974, 89.974, None, None, None],
    ]
    inds = [
        ["产出指标", "数量指标", "委托业务数量", "≥50个", "50个", 8, 8],
        [None, None, "覆盖村居", "≥10个", "10个", 8, 8],
        [None, "质量指标", "完成合格率", "≥100百分比", "100百分比", 8, 8],
        [None, None, "严格执行相关制度规定", "严格执行", "达成预期指标", 8, 8],
        [None, "时效指标", "按时完成率", "100%", "100%", 8, 8],
        [None, "成本指标", "成本控制", "≤90万元", "89.974万元", 10, 10],
        ["效益指标", "经济效益指标", None, None, None, None, None],
        [None, "社会效益指标", "服务水平提升", "提升", "提升", 10, 10],
        [None, None, "群众办事便利", "提升", "提升", 10, 10],
        [None, "可持续影响指标", "长效机制", "建立", "建立", 10, 10],
        ["满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "95%", 10, 10],
    ]
    return _project("委托业务", funds, inds, ["总分", None, None, None, None, 100, 100])


def example_e() -> bytes:
    """E. 绥阳县太白镇 2021 (Guizhou, 部门整体): 执行率 over 年初预算数(A); sub-rows carry
    their own 分值 ✗; 基本支出 92.9% scored 10 ✗ (9.29)."""
    rows: list[list[Any]] = [["绥阳县太白镇2021年度部门整体支出绩效自评表"]]
    rows += [["部门名称", "绥阳县太白镇人民政府", None, None, "年度", 2021]]
    rows += [["部门职责", "乡镇综合管理"]]
    rows += [
        [
            "资金（万元）",
            None,
            "年初预算数(A)",
            "全年执行数(B)",
            "分值(10分)",
            "得分",
            "得分计算方法",
        ]
    ]
    rows += [
        [None, "年度资金总额", 1172.55, 1268.72, 10, 10, "执行率*该指标分值，最高不得超过分值上限"]
    ]
    rows += [[None, "基本支出", 985.19, 914.97, 10, 10]]
    rows += [[None, "项目支出", 187.36, 353.75, 10, 10]]
    rows += [
        [
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值(A)",
            "全年实际值(B)",
            "分值",
            "得分计算方法",
            "得分",
        ]
    ]
    rows += [
        ["产出指标", "数量指标", "民生项目", "≥10个", "12个", 30, "B/A*分值", 30],
        [None, "质量指标", "验收合格率", "≥95%", "100%", 20, "B/A*分值", 20],
        ["效益指标", "社会效益指标", "群众生活改善", "提升", "提升", 30, None, 30],
        ["满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "93%", 10, "B/A*分值", 10],
    ]
    rows += [["总分", None, None, None, None, 100, None, 100]]
    return grid(rows)


def example_f() -> bytes:
    """F. 重庆某融媒体中心 2021 (部门整体): 执行率 76% × 权重 10 = 7.6; 自评总分 97.6."""
    rows: list[list[Any]] = [
        ["2021年度部门整体支出绩效自评表"],
        ["部门名称", "某融媒体中心", None, "自评总分", 97.6],
    ]
    rows += [
        [
            "预算执行情况",
            "年初预算数",
            "全年(调整)预算数",
            "全年执行数",
            "执行率",
            "执行率权重",
            "执行率得分",
        ]
    ]
    rows += [["年度资金总额", 480, 500, 380, "76%", 10, 7.6]]
    rows += [
        [
            "指标名称",
            "计量单位",
            "指标性质",
            "年初指标值",
            "调整指标值",
            "全年完成值",
            "得分系数(%)",
            "指标权重",
            "指标得分",
            "是否核心指标",
        ]
    ]
    rows += [
        ["新闻稿件发布量", "篇", "定量", "≥3000", None, 3200, 100, 30, 30, "是"],
        ["融媒体产品数量", "个", "定量", "≥200", None, 210, 100, 20, 20, "否"],
        ["传播影响力", None, "定性", "提升", None, "达成年度指标", 100, 20, 20, "是"],
        ["受众满意度", "%", "定量", "≥90", None, 92, 100, 20, 20, "是"],
    ]
    rows += [["合计", None, None, None, None, None, None, 90, 90]]
    return grid(rows)


def sichuan() -> bytes:
    """Sichuan 2023 (报表编号 510000_0013zp): 财政资金 / 财政专户管理资金 / 单位资金 rows,
    权重, 预算执行率, 10 + 90; 大英县司法局's figures. Consistent."""
    rows: list[list[Any]] = [
        ["部门预算项目支出绩效自评表"],
        ["项目名称", "法律援助经费", None, "主管部门", "大英县司法局"],
    ]
    rows += [["预算执行情况(10分)", None, *SICHUAN_FUNDS]]
    rows += [
        [None, "总额", 0.00, 3.36, 3.36, "100%", 10, 10],
        [None, "其中：财政资金", 0.00, 3.36, 3.36, "100%", "/", "/"],
        [None, "财政专户管理资金", 0, 0, 0, None, "/", "/"],
        [None, "单位资金", 0, 0, 0, None, "/", "/"],
    ]
    rows += [SICHUAN_HEAD]
    rows += [
        ["产出指标", "数量指标", "援助案件数", "≥", 30, "件", 32, 40, 40],
        [None, "时效指标", "结案及时率", "≥", 95, "%", 100, 20, 20],
        ["效益指标", "社会效益指标", "群众权益保障", "定性", "保障", None, "达成年度指标", 20, 18],
        ["满意度指标", "服务对象满意度指标", "受援人满意度", "≥", 90, "%", 96, 10, 10],
    ]
    rows += [["合计", None, None, None, None, None, None, 100, 98]]
    return grid(rows)


def example_g() -> bytes:
    """G. 巴彦淖尔 甘其毛都 2024 (Inner Mongolia): 执行率(%); 指标性质 and 指标方向 side by
    side; the 其他资金 row shows 0 although it spent 1.8 of 1.8 ✗; one indicator is 正向
    but 小于等于 ✗."""
    rows: list[list[Any]] = [["项目支出绩效自评表"], ["项目名称", "口岸运行保障"]]
    rows += [
        [
            "项目资金（万元）",
            None,
            "年初预算数",
            "全年预算数",
            "全年执行数",
            "分值",
            "执行率(%)",
            "得分",
        ]
    ]
    rows += [
        [None, "年度资金总额", 0, 2.38, 2.38, 10, 100, 10],
        [None, "其中:财政拨款", 0, 0.58, 0.58, None, 100, None],
        [None, "其他资金", 0, 1.8, 1.8, None, 0, None],
    ]
    rows += [
        [
            "一级指标",
            "二级指标",
            "三级指标",
            "指标性质",
            "指标方向",
            "年度指标值",
            "实际完成值",
            "计量单位",
            "分值",
            "得分",
        ]
    ]
    rows += [
        ["产出指标", "数量指标", "指标1:租车次数(次)", "正向", "大于等于", 12, 12, "次", 40, 40],
        [None, "成本指标", "指标2:单次租车费用(元)", "正向", "小于等于", 2000, 1800, "元", 20, 20],
        [
            "效益指标",
            "社会效益指标",
            "指标1:保障口岸运行",
            "定性",
            None,
            "保障",
            "保障",
            None,
            20,
            20,
        ],
        [
            "满意度指标",
            "服务对象满意度指标",
            "指标1:满意度(%)",
            "正向",
            "大于等于",
            90,
            95,
            "%",
            10,
            10,
        ],
    ]
    rows += [["总分", None, None, None, None, None, None, None, 100, 100]]
    return grid(rows)


def partly_filled() -> bytes:
    """青神县发改局 2023 (Sichuan): 完成值 and 得分 left blank: the total is unknown."""
    rows: list[list[Any]] = [["项目支出绩效自评表"], ["项目名称", "工资性支出"]]
    rows += [["预算执行情况", None, *SICHUAN_FUNDS[:-1]]]
    rows += [[None, "总额", 238.93, 251.89, 251.89, "100%", 10, 10]]
    rows += [SICHUAN_HEAD[:-1]]
    rows += [
        ["产出指标", "数量指标", "保障人数", "≥", 50, "人", None, 60, None],
        ["效益指标", "社会效益指标", "机构正常运转", "定性", "保障", None, None, 30, None],
    ]
    return grid(rows)


def hunan_2018_score_sheet() -> bytes:
    """益阳市商务局 2018 (Hunan before 2019): a score sheet on the 投入 / 过程 / 产出 / 效果
    framework, with no fund table: its amounts are unknown, and the reading says so."""
    rows: list[list[Any]] = [["2018年度部门整体支出绩效自评表"], ["部门名称", "益阳市商务局"]]
    rows += [["一级指标", "二级指标", "三级指标", "分值", "评分标准", "得分"]]
    rows += [
        ["投入", "目标设定", "绩效目标合理性", 10, "合理得满分", 10],
        [None, "预算配置", "在职人员控制率", 10, "≤100%得满分", 10],
        [None, None, '"三公经费"变动率', 10, "≤0得满分", 10],
        ["过程", "预算执行", "预算完成率", 20, "完成率×分值", 18],
        [None, "预算管理", "管理制度健全性", 10, "健全得满分", 10],
        ["产出", "职责履行", "实际完成率", 20, "完成率×分值", 20],
        ["效果", "履职效益", "社会效益", 20, "显著得满分", 18],
    ]
    rows += [["总分", None, None, 100, None, 96]]
    return grid(rows)


def hunan_2020_county_targets() -> bytes:
    """衡山县 2020 (Hunan) 县级专项资金绩效目标自评表: targets and results, no 分值 and no
    得分 anywhere; not a scoring form, and said so."""
    rows: list[list[Any]] = [["县级专项资金绩效目标自评表"], ["项目名称", "农村公路养护"]]
    rows += [["资金情况", None, "全年预算数(A)", "全年执行数(B)", "执行率(B/A)"]]
    rows += [
        [None, "年度资金总额", 120, 118, "98.3%"],
        [None, "其中：中央、省、市补助县级资金", 100, 100, "100%"],
    ]
    rows += [
        [
            "一级指标",
            "二级指标",
            "三级指标",
            "年初设定目标",
            "全年实际完成情况",
            "未完成原因和改进措施",
        ]
    ]
    rows += [["产出指标", "数量指标", "养护里程", "≥300公里", "305公里", None]]
    return grid(rows)


# --- inconsistencies planted where the research saw them (issue 23, point 4) -------------


def _words_and_no_results(ws: Any) -> None:
    """The seed with figures typed as targets and words as their completion (已完成,
    基本完成: research §5, problem 5), and the 年度工作目标's 实际完成情况 left empty."""
    ws["E13"] = "≥10%"  # 社会零售总额增长: 已完成 stays its completion
    ws["E17"], ws["F17"] = "4亿美元", "基本完成"  # 进出口总额
    ws["F11"] = None


def seed_words_for_figures() -> bytes:
    return retyped_seed(_words_and_no_results)


def side_by_side_goal() -> bytes:
    """A project form typing its goal beside its labels (预期目标 | text | 实际完成情况 |
    empty): the results are missing. 建成服务站 has the figure 3个 as its target and 完成 as
    its completion; 培训人次 reaches 150 of a ≥100 target and gives no reason, while
    单位建设成本, 30% under its ≤50 ceiling, says why."""
    rows: list[list[Any]] = [["村级综合服务站建设项目支出绩效自评表"]]
    rows += [
        [
            c.format(name="村级综合服务站建设", dept="某县商务局", unit="某县商务局")
            if isinstance(c, str)
            else c
            for c in PROJECT_HEAD[0]
        ]
    ]
    rows += [FUND_HEAD]
    rows += [
        [None, "年度资金总额", 120, 120, 114, 10, "95%", 9.5],
        [None, "其中：当年财政拨款", 120, 120, 114, None, None, None],
    ]
    rows += [["年度总体目标", "预期目标", "建成3个村级综合服务站并投入使用", None, "实际完成情况"]]
    rows += [IND_HEAD]
    rows += [
        ["产出指标", "数量指标", "建成服务站", "3个", "完成", 30, 30],
        [None, "质量指标", "培训人次", "≥100人次", "150人次", 20, 20],
        [None, "成本指标", "单位建设成本", "≤50万元", "35万元", 20, 20, "集中采购压低了价格"],
        ["满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", "95%", 20, 20],
    ]
    rows += [["总分", None, None, None, None, 100, 99.5]]
    return grid(rows)


FORMS: dict[str, Callable[[], bytes]] = {
    "seed": seed,
    "seed-columns-reordered": seed_columns_reordered,
    "seed-serial-blank-rows-notes": seed_with_serial_blank_rows_and_notes,
    "seed-label-merged": seed_label_merged,
    "seed-sums-without-saved-values": seed_sums_without_saved_values,
    "a-tianchang-2022": example_a,
    "b-langfang-2019": example_b,
    "c-lijiang-2020": example_c,
    "d-tangxi-2022": example_d,
    "e-suiyang-2021": example_e,
    "f-chongqing-2021": example_f,
    "sichuan-daying-2023": sichuan,
    "g-bayannur-2024": example_g,
    "qingshen-partly-filled-2023": partly_filled,
    "hunan-2018-score-sheet": hunan_2018_score_sheet,
    "planted-seed-words-for-figures": seed_words_for_figures,
    "planted-side-by-side-goal": side_by_side_goal,
}

# Not a scoring form at all: verify says so (template-unknown), import refuses it.
NOT_FORMS: dict[str, Callable[[], bytes]] = {"hunan-2020-county-targets": hunan_2020_county_targets}


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, make in FORMS.items():
        path = folder / f"{name}.xlsx"
        path.write_bytes(make())
        out.append(path)
    return out


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1])):
        print(path)
