"""Chinese by default, English on request: the language setting and the CLI's own lines.

Finding messages live with the finding catalogue (:mod:`xltool.findings`).
"""

from __future__ import annotations

from typing import Any

_LANG = {"value": "zh"}

MESSAGES: dict[str, tuple[str, str]] = {
    "progress_new": ("生成", "Issuing"),
    "progress_verify": ("校验", "Verifying"),
    "issued_one": ("已生成 {path}", "Wrote {path}"),
    "skipped_lock": ("已跳过 Excel 锁定文件 {path}", "Skipped Excel lock file {path}"),
    "wrote": ("已写入 {path}", "Wrote {path}"),
    "not_annotated": (
        "{path} 无法打开，未生成标注副本",
        "{path} cannot be opened; no annotated copy",
    ),
    "not_carried": ("以下 {n} 项未能带入：", "{n} entries were not carried:"),
    "imported_as": (
        "按「{kind}」导入（依据：{evidence}）",
        "imported as '{kind}' (from: {evidence})",
    ),
    "changed": ("以下 {n} 项带入后与原文件不同：", "{n} entries differ from the file:"),
    "duplicate": (
        "{who} 重复报送：采用最新的 {kept}，另有 {n} 个文件未采用",
        "{who} returned more than once: using the newest, {kept}; {n} other file(s) set aside",
    ),
    "key_created": (
        "已创建发放密钥 {path}（仅本人可读）",
        "Created the issuer key {path} (owner-only)",
    ),
    "spec_ok": (
        "{path}：表样 {kind} 第 {version} 版，检查通过",
        "{path}: kind {kind} version {version} is valid",
    ),
    "export_unreadable": (
        "{path} 无法读取，导出中只有其路径和问题",
        "{path} cannot be read; the export holds only its path and findings",
    ),
    "campaign_created": (
        "已创建发放批次 {dir}：{n} 个部门的表已签发在 issued/ 中",
        "Created the campaign {dir}: forms for {n} departments in issued/",
    ),
    "campaign_projects": (
        "共 {n} 张表，其中 {projects} 个项目各一张项目支出绩效自评表（每个部门一个文件夹）",
        "{n} forms in all, one project form for each of {projects} projects (a folder per department)",
    ),
    "campaign_added": (
        "新增 {added} 个部门并已发表，更新 {updated} 个部门的联系方式",
        "Added {added} departments (forms issued), updated the contacts of {updated}",
    ),
    "campaign_exempt": ("{code} 已设为免报", "{code} is exempt"),
    "collect_nothing": ("没有找到要收录的文件", "nothing to collect"),
    "mail_no_workbook": (
        "{source}：来自 {sender} 的邮件「{subject}」没有附带工作簿",
        "{source}: the message from {sender}, '{subject}', carries no workbook",
    ),
    "insecure": (
        "警告：--insecure 关闭了服务器证书校验，连接可能被冒充；只可用于测试服务器！",
        "WARNING: --insecure turns certificate checks off; anyone could pose as the server. Test servers only!",
    ),
    "issued_many": ("已生成 {n} 个工作簿，位于 {dir}", "Wrote {n} workbooks to {dir}"),
}


def counts(errors: int, warnings: int, lang: str) -> str:
    """「1 个错误、0 个警告」, or "1 error, 0 warnings" (English counts agree)."""
    if lang == "zh":
        return f"{errors} 个错误、{warnings} 个警告"
    return f"{errors} error{'' if errors == 1 else 's'}, {warnings} warning{'' if warnings == 1 else 's'}"


def set_lang(lang: str) -> None:
    _LANG["value"] = "en" if lang == "en" else "zh"


def current_lang() -> str:
    return _LANG["value"]


def t(key: str, **kwargs: Any) -> str:
    zh, en = MESSAGES[key]
    return (zh if current_lang() == "zh" else en).format(**kwargs)
