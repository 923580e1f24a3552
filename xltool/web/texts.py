"""The pages' words: one table, Chinese first (the default), English under ``--lang en``."""

from __future__ import annotations

from typing import Any

TEXT: dict[str, tuple[str, str]] = {
    # frame
    "app": ("绩效自评报送管理", "Self-evaluation returns"),
    "portal.app": ("绩效自评表在线报送", "Self-evaluation form upload"),
    "nav.board": ("报送进度", "Board"),
    "nav.intake": ("收表", "Intake"),
    "nav.mail": ("发送与提醒", "Send and remind"),
    "nav.findings": ("问题说明", "Findings"),
    "footer": (
        "xltool · 数据只保存在本机的批次目录中",
        "xltool · data stays in the campaign folder",
    ),
    # board
    "board.departments": ("部门", "departments"),
    "board.returned": ("已报送", "returned"),
    "board.coverage": ("通过率（按表）", "forms passed"),
    "board.deadline": ("截止日期", "Deadline"),
    "board.no_deadline": ("未设截止日期", "no deadline"),
    "board.days_left": ("还剩 {n} 天", "{n} days left"),
    "board.today": ("今天截止", "due today"),
    "board.days_over": ("已过截止日 {n} 天", "{n} days past the deadline"),
    "board.all": ("全部状态", "every status"),
    "board.search": ("按部门名称或编码查找", "search by name or code"),
    "board.filter": ("筛选", "Filter"),
    "board.shown": ("显示 {n} 个部门", "{n} departments shown"),
    "board.refreshed": ("已更新", "updated"),
    "board.unmatched": ("{n} 份文件未匹配到部门", "{n} files matched no department"),
    "board.downloads": ("下载", "Downloads"),
    "dl.status": ("报送进度表（xlsx）", "Status workbook (xlsx)"),
    "dl.rollup": ("汇总表（xlsx）", "Roll-up (xlsx)"),
    "dl.issued": ("全部发放的表（zip）", "All issued forms (zip)"),
    "col.code": ("编码", "Code"),
    "col.department": ("部门", "Department"),
    "col.status": ("状态", "Status"),
    "col.forms": ("通过/应报", "Passed/forms"),
    "col.returns": ("报送次数", "Returns"),
    "col.received": ("最近报送", "Last received"),
    "col.errors": ("错误", "Errors"),
    "col.warnings": ("警告", "Warnings"),
    "col.score": ("总分", "Score"),
    "col.file": ("文件", "File"),
    "col.matched": ("匹配方式", "Matched by"),
    "col.source": ("来源", "Source"),
    "col.download": ("下载", "Download"),
    "col.cell": ("单元格", "Cell"),
    "col.problem": ("问题", "Problem"),
    "col.severity": ("类别", "Severity"),
    "col.title": ("名称", "Title"),
    "col.message": ("说明", "Message"),
    "col.issued": ("发放时间", "Issued"),
    "col.reason": ("原因", "Reason"),
    "col.assign": ("归属部门", "Assign to"),
    "col.to": ("收件人", "To"),
    "col.outcome": ("结果", "Outcome"),
    # department
    "dept.contacts": ("联系方式", "Contacts"),
    "dept.contact": ("联系人", "Contact"),
    "dept.phone": ("电话", "Phone"),
    "dept.email": ("电子邮箱", "Email"),
    "dept.issued": ("发放的表", "Issued forms"),
    "dept.returns": ("报送记录", "Returns"),
    "dept.no_returns": ("还没有收到报送。", "Nothing returned yet."),
    "dept.findings": ("当前报送的问题", "Findings of the current return"),
    "dept.no_findings": ("当前报送没有问题。", "The current return has no findings."),
    "dept.link": ("部门报送链接", "Department link"),
    "dept.forms": ("各表状态", "Forms"),
    "col.form": ("表单", "Form"),
    "dept.exempt": ("免报原因", "Exempt because"),
    "dl.form": ("下载空白表", "Blank form"),
    "dl.original": ("原件", "original"),
    "dl.annotated": ("标注副本", "annotated copy"),
    "late": ("逾期", "late"),
    "error": ("错误", "error"),
    "warning": ("警告", "warning"),
    "explain": ("说明", "about"),
    # received-at sources
    "when.given": ("收到时间", "time given"),
    "when.mtime": ("文件修改时间", "file time"),
    "when.message": ("邮件时间", "message date"),
    # where a return came from
    "src.portal": ("部门报送页面", "department page"),
    "src.console": ("控制台收表", "console intake"),
    "src.collect": ("收表命令或邮件", "collect or mail"),
    # intake
    "intake.title": ("收表：拖入文件或压缩包", "Intake: drop files or zips"),
    "intake.help": (
        "把各部门报回的 .xlsx 文件或 .zip 压缩包拖到下面的框中（或点击选择文件）。每个文件都按原样保存、校验、匹配部门并登记，与 xltool collect 完全相同；同样的内容只算一次。",
        "Drop the returned .xlsx files or .zip files below (or pick them). Each is stored as received, verified, matched and recorded exactly as xltool collect does; the same bytes count once.",
    ),
    "intake.drop": ("把文件拖到这里，或点击选择文件", "Drop files here, or click to pick them"),
    "intake.submit": ("收录", "Take in"),
    "intake.results": ("收录结果", "What was taken in"),
    "intake.unmatched": ("未匹配到部门的文件", "Files that matched no department"),
    "intake.no_unmatched": ("没有未匹配的文件。", "No unmatched files."),
    "intake.assign": ("归入", "Assign"),
    "intake.pick": ("选择部门", "pick a department"),
    "line.not_recorded": ("未收录", "not recorded"),
    "line.unmatched": ("未匹配到部门", "matched no department"),
    "line.before": ("此前已收到", "received before"),
    "line.by": ("按{how}", "by {how}"),
    "line.counts": ("{e} 个错误、{w} 个警告", "{e} errors, {w} warnings"),
    "line.other": (
        "签名表明这是发给其他部门的表：已收录，但不计入本部门",
        "its signature says it was issued to another department: recorded, not counted here",
    ),
    "assigned": ("已归入 {code}", "assigned to {code}"),
    # statuses of a return
    "ret.ok": ("通过", "passed"),
    "ret.invalid": ("待修改", "to fix"),
    "ret.unreadable": ("待修改（无法读取）", "to fix (unreadable)"),
    # mail
    "mail.title": ("发送表格与提醒", "Send forms and reminders"),
    "mail.help": (
        "先预览将要发出的邮件，确认后再发送。每个部门只发一次（发送表格时可选重发）；免报的部门不提醒。",
        "Preview what would be sent, then confirm. Each department is mailed once (unless you resend); exempt departments are never reminded.",
    ),
    "mail.send": ("发送表格", "Send forms"),
    "mail.resend": ("重发给已发过的部门", "Send again to departments mailed before"),
    "mail.remind": ("提醒", "Remind"),
    "mail.force": ("间隔期内也提醒", "Remind within the interval too"),
    "mail.preview": ("预览", "Preview"),
    "mail.confirm": ("确认发送", "Confirm and send"),
    "mail.previewed": ("将发送以下邮件（尚未发送）", "Would send (nothing sent yet)"),
    "mail.none": ("没有要发送的邮件。", "Nothing to send."),
    "mail.done": ("发送结果", "What was sent"),
    "mail.failed": ("未发出（{n}）", "Not sent ({n})"),
    "mail.all_ok": ("全部发出。", "All sent."),
    "mail.password": (
        "发送需要邮箱密码：请先设置环境变量 {env}，再启动 xltool serve",
        "sending needs the mailbox password: set {env}, then start xltool serve",
    ),
    # portal
    "portal.forms": ("本部门的表", "Your forms"),
    "portal.upload": ("上传填好的表", "Upload the filled form"),
    "portal.upload_help": (
        "填好后直接上传 .xlsx 文件（可一次上传多个，或一个 .zip）。几秒后显示校验结果；有问题的表可下载标注副本，改好后再上传。",
        "Upload the filled .xlsx (several at once, or a .zip). The verdict shows in seconds; a form with problems comes with an annotated copy: fix it and upload again.",
    ),
    "portal.verdict": ("校验结果", "Verdict"),
    "portal.passed": ("通过", "Passed"),
    "portal.passed_text": (
        "校验通过，已收到，无需再做任何事。",
        "Passed and received; nothing more to do.",
    ),
    "portal.to_fix": ("待修改", "To fix"),
    "portal.to_fix_text": (
        "请按下列问题修改后重新上传。",
        "Fix the problems below and upload again.",
    ),
    "portal.annotated": (
        "下载标注副本（问题单元格已标出）",
        "Download the annotated copy (problem cells marked)",
    ),
    "portal.history": ("本部门的报送记录", "Your returns"),
    # errors
    "err.title": ("出错了", "Something went wrong"),
    "err.400": ("请求无法处理", "The request cannot be handled"),
    "err.401": (
        "请用启动 xltool serve 时显示的地址（带 token）打开控制台",
        "Open the console with the address xltool serve printed (with its token)",
    ),
    "err.403": (
        "无权执行此操作（页面可能已过期，请刷新后重试）",
        "Not allowed (the page may be stale: reload it and try again)",
    ),
    "err.404": ("找不到此页面", "No such page"),
    "err.405": ("不支持此请求方式", "Method not allowed"),
    "err.410": (
        "此链接已过期或已作废，请向主管部门索取新的报送链接",
        "This link has expired or was revoked; ask the bureau for a new one",
    ),
    "err.411": ("上传需要注明长度", "An upload needs a Content-Length"),
    "err.413": ("上传的文件太大", "The upload is too large"),
    "err.429": ("上传次数过多，请一小时后再试", "Too many uploads: try again in an hour"),
    "err.500": (
        "服务器内部错误，已记录；请稍后再试",
        "Internal error (logged); please try again later",
    ),
    "err.bad_token": ("访问令牌不对", "Wrong access token"),
    "err.too_big": (
        "{name}：超过 {mib} MiB 上限，未收录",
        "{name}: over the {mib} MiB bound; not recorded",
    ),
    "err.not_sheet": (
        "{name}：不是 .xlsx/.xlsm/.xls/.et/.ods 或 .zip 文件，未收录",
        "{name}: not a spreadsheet or .zip; not recorded",
    ),
    "err.no_files": ("没有选择文件", "No file was chosen"),
    "err.empty_zip": ("{name}：压缩包中没有工作簿", "{name}: the zip holds no workbook"),
    "back": ("返回", "Back"),
}


def text(key: str, lang: str = "zh", **values: Any) -> str:
    """The words for ``key`` in ``lang``, with ``{name}`` placeholders filled in."""
    zh, en = TEXT.get(key, (key, key))
    chosen = zh if lang == "zh" else en
    return chosen.format(**values) if values else chosen
