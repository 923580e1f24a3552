"""Every command's help in Chinese (the default) and, where the code's English text
names things in Chinese, in English only. Keys: the command's path (``campaign init``),
and the path plus an option (``verify --timeout``); an option without a command applies
to every command that has it."""

from __future__ import annotations

from xltool.cli.help_reports import EN_REPORTS, ZH_REPORTS

ZH: dict[str, str] = {
    "": """xltool：发放绩效自评表（Excel），校验各部门报回的表，组织整轮报送。

\b
示例：
  xltool new                                   # 在 ./forms/ 生成一张空白表
  xltool new --roster 部门名单.csv --year 2025 --indicators 指标.csv
  xltool verify 回收/ --format json
  xltool campaign init 2025自评 --roster 名单.xlsx --deadline 2025-03-31""",
    "--lang": "提示语言：zh（默认，或环境变量 XLTOOL_LANG）或 en；可写在命令前或命令后。",
    "--version": "显示版本并退出。",
    "--help": "显示此帮助并退出。",
    "new": """生成带公式、已保护、已签名的自评表工作簿。

\b
不带选项时，在 ./forms/ 生成一张空白的部门整体支出绩效自评表。
示例：
  xltool new
  xltool new --department 岳麓区商务局 --year 2025
  xltool new --roster 部门名单.xlsx --indicators 指标.csv --year 2025 --out 2025表
  xltool new --data sample_workbooks/yuelu-commerce-2019.json -o 商务局.xlsx --force""",
    "new --kind": "表样 [默认：--data 文件中的表样，否则 dept-overall]。",
    "--spec": "本包以外的表样 spec 文件。",
    "new --department": "一张表的部门名称。",
    "new --code": "一张表的部门编码。",
    "--year": "评价年度。",
    "new --roster": "部门名单（CSV 或 XLSX，每行一个部门，需有「部门名称」列）。",
    "new --indicators": "指标文件（CSV 或 XLSX）：一级指标、二级指标、三级指标、年度指标值、分值。",
    "new --data": "JSON 表单数据（一张或多张），生成已填好的表。",
    "new --spare-rows": "每个二级指标下的空行数 [默认：表样中的值，2]。",
    "new --out": "工作簿的保存文件夹。",
    "new --output": "只生成一张表时的文件名（否则按编码和部门名称命名）。",
    "new --password": "工作表和结构保护的密码（默认无）。",
    "new --force": "覆盖已存在的工作簿。",
    "--key-file": "发放密钥文件 [默认：$XLTOOL_KEY_FILE，否则用户配置目录]。",
    "verify": """校验报回的工作簿：重算每个合计，发现篡改，说明哪里要改、怎么改。

PATHS 可以是文件、文件夹（查找 .xlsx、.xlsm、.xls、.et、.ods 等）或通配符。输入文件
只读不写。退出码 0：全部通过；1：有错误或无法读取的文件；2：用法错误。

\b
示例：
  xltool verify 回收/
  xltool verify '回收/*.xlsx' --format json > 校验结果.json
  xltool verify 商务局.xlsx --lang en""",
    "verify --kind": "把每个文件都按此内置表样读取 [默认：按文件自身]。",
    "verify --format": "text 供人阅读，json 供程序处理（标准输出上一个 JSON 文档）。",
    "--jobs": "工作进程数 [默认：CPU 核数]。",
    "verify --timeout": "每个文件的秒数上限。",
    "verify --max-bytes": "输入文件的最大字节数。",
    "verify --annotate": "把每个文件的标注副本写入 DIR（绝不覆盖输入文件）。",
    "verify --force": "覆盖已存在的标注副本。",
    "verify --max-cells": "每个工作簿的最多单元格数。",
    "export": """把填好的表导出为数据：JSON（每张表一个对象）或两张 CSV 表。

JSON 含每张表按定义名称的填报值、按顺序的指标行、重算的合计和问题清单；
`xltool new --data` 可据此重新生成表。CSV 为带 BOM 的 UTF-8（Excel 能正确显示中文），
会被当作公式的文本已作处理。

\b
示例：
  xltool export 回收/ -o 2025.json
  xltool export 回收/ --format csv -o 2025.csv     # 2025.csv 和 2025-indicators.csv""",
    "export --kind": "把每个文件都按此内置表样读取 [默认：按文件自身]。",
    "export --format": "json 或 csv。",
    "export --output": "输出文件。JSON：默认标准输出。CSV：FILE 存表单，FILE 名加 -indicators.csv 存指标行。",
    "export --force": "覆盖已存在的输出文件。",
    "repair": """把损坏的报回表重新生成为一张新表，带上填报单位已填的内容。

公式、保护、定义名称和版式按表样恢复；未能带入的内容（数字栏中的文字、无法识别的
部分）和带入后与原文件不同的值都会列出。输入文件只读。

\b
示例：
  xltool repair 回收/商务局.xlsx -o 修复/商务局.xlsx""",
    "repair --output": "修复后的表。",
    "repair --kind": "按此内置表样读取 [默认：按文件自身]。",
    "repair --force": "OUTPUT 已存在时覆盖。",
    "import": """把不是 xltool 发放的表转成 xltool 表样的新表。

手工录入的副本、去年的表、本省自己的模板：按其中的标签和列标题读取（不按位置），
按所含的列和行判断表样（或用 --kind 指定），生成该表样的新表，带公式，带上所有
能对应的内容。未能带入的内容，以及新表公式算出的数与原表填报数不同的地方，逐项列出。
新表元数据注明 origin: imported、来源文件名及其哈希，不签署任何预填内容。输入文件
只读。退出码 0：全部导入；1：有文件无法导入；2：用法错误。

\b
示例：
  xltool import 去年的表/ --out 导入/
  xltool import 手填表.xlsx -o 导入/商务局.xlsx
  xltool import 四川样表.xlsx --kind project -o 项目.xlsx""",
    "import --out": "导入后新表的保存文件夹（文件名为 <原名>-导入.xlsx）。",
    "import --output": "只导入一个文件时新表的文件名。",
    "import --kind": "把每个文件都按此表样读取 [默认：按所含标签判断]。",
    "import --force": "覆盖已存在的新表。",
    "summary": """把各部门报回的表汇总为一个工作簿。

给出 PATHS 时：每个部门一行，取其最新的一次报送（按工作簿自身记录的保存时间，
否则按文件修改时间）。不给 PATHS 且在发放批次目录中时：名单上的每个部门一行，
未报送的也列出。

工作表：汇总（每部门一行；只对通过的表计算合计、平均和等级，均为公式）、图表、
指标明细、问题清单、重复报送（未采用的文件及依据）。

\b
示例：
  xltool summary 回收/ -o 2025汇总.xlsx
  xltool summary                      # 在发放批次目录中""",
    "summary --output": "汇总工作簿 [在发放批次中默认为批次目录下的 汇总.xlsx]。",
    "summary --kind": "把每个文件都按此内置表样读取 [默认：按文件自身]。",
    "summary --force": "OUTPUT 已存在时覆盖。",
    "--campaign": "发放批次目录 [默认：当前目录或最近的含 campaign.yaml 的上级目录]。",
    "schema": """输出某表样数据的 JSON Schema（export 写出、new --data 读入的格式）。

\b
示例：
  xltool schema > dept-overall.schema.json""",
    "schema --kind": "内置表样。",
    "spec": """表样：列出、查看、复制和检查生成表格所用的 spec。

\b
示例：
  xltool spec list
  xltool spec show project
  xltool spec init my-dept --from dept-overall
  xltool spec check my-dept.yaml""",
    "spec list": "列出 xltool 知道的所有表样（内置的和发放单位自己的）及其版本。",
    "spec show": "输出某表样的 spec 文件。",
    "spec init": "把某表样的 spec 复制为一个新名称的可编辑副本（第 1 版）。",
    "spec init --from": "要复制的表样。",
    "spec init --output": "[默认：./NEW.yaml]",
    "spec init --force": "OUTPUT 已存在时覆盖。",
    "spec check": "检查 spec 文件：逐条给出「文件:行」和允许的写法。有错误时退出码为 1。",
    "doctor": """查看本机情况：Python、xltool 需要的软件包、LibreOffice（可选）、发放密钥、
配置目录和表样目录。缺少必需的内容时退出码为 1。

\b
示例：
  xltool doctor""",
    "key": """为发放的表签名的发放密钥（HMAC-SHA256）。

\b
示例：
  xltool key init
  xltool key init --key-file /secure/issuer.key""",
    "key init": "生成一个随机的 32 字节发放密钥，仅本人可读（0600）。",
    "key init --force": "替换已有密钥（它签发的表此后将无法通过签名校验）。",
    "campaign": """发放批次：一轮绩效自评，保存为一个文件夹（发放的表、报回的表、台账）。

\b
示例：
  xltool campaign init 2025自评 --roster 名单.xlsx --indicators 指标.xlsx --deadline 2025-03-31
  cd 2025自评 && xltool collect ~/下载/回收/ && xltool status
  xltool campaign exempt 105 --reason 已撤并""",
    "campaign init": """创建发放批次目录，并在 issued/ 中签发本轮要求的每张表：每个部门的
部门整体支出绩效自评表；给出 --projects 时，另为每个项目签发一张项目支出绩效自评表。

没有发放密钥时会自动创建（批次中的表都要签名）；campaign.yaml 只记录密钥编号，
不记录密钥本身。

\b
示例：
  xltool campaign init 2025自评 --roster 名单.xlsx --indicators 指标.xlsx --deadline 2025-03-31
  xltool campaign init 2025全覆盖 --roster 名单.xlsx --projects 项目清单.xlsx --project-indicators 项目指标.xlsx""",
    "campaign init --projects": "项目清单（CSV 或 XLSX）：项目编码、项目名称、部门编码，可选 实施单位、项目负责人、联系电话、项目类别、金额；每个项目签发一张项目支出绩效自评表。",
    "campaign init --project-indicators": "项目表的指标文件；含「项目编码」列的行只属于该项目。",
    "remind --attach": "附上各部门尚未报送的空白表。",
    "status --department": "只列出一个部门（其编码）的每张表及其状态。",
    "campaign init --forms": "本轮要求哪些表：dept、project 或 dept,project [默认：dept；给出 --projects 时二者都要]。",
    "campaign init --roster": "部门名单（CSV 或 XLSX）：部门编码、部门名称，可选 联系人、电子邮箱、联系电话、金额。",
    "campaign init --indicators": "指标文件；含「部门编码」或「部门名称」列的行只属于该部门。",
    "campaign init --kind": "表样 [默认：dept-overall]。",
    "campaign init --deadline": "报送截止日（含当天，至北京时间当天结束）。",
    "campaign init --title": "批次标题 [默认：年度 + 表名]。",
    "campaign reissue": "为部门（其全部表）或某张表（如 D01/P0003）重新签发（新的发放编号；按旧表报回的仍然有效）。",
    "campaign add": """把名单中新增的部门加入批次（各发其表），并更新已有部门的联系方式；
或用 --projects 加入后来增加的项目（各发一张项目表）。已发出的表都不变。

\b
示例：
  xltool campaign add --roster 补充名单.xlsx --indicators 指标（补充后）.xlsx
  xltool campaign add --projects 追加项目.xlsx""",
    "campaign add --projects": "含后来增加的项目的项目清单（新项目各发一张表，已发出的不变）。",
    "campaign add --roster": "名单文件。",
    "campaign add --indicators": "含新增部门指标行的指标文件（替换批次中保存的副本）。",
    "campaign exempt": "把某部门（其全部表）或某张表（如 D01/P0003，年中撤销的项目）移出本轮：显示为免报，不提醒，不计入合计和覆盖率。",
    "campaign exempt --reason": "原因（与「免报」一同显示）。",
    "campaign rebuild": "只依据批次目录中的文件重建台账 ledger.sqlite（每份报回的表重新校验）。",
    "collect": """把报回的文件收入批次：保存、校验、匹配部门、登记。

PATHS 可以是文件、文件夹（其中的工作簿、压缩包和 .eml 邮件）、.zip 压缩包（可再含一层
压缩包）和保存的邮件（.eml）。加 --imap 时还读取邮箱文件夹中的新邮件（不标为已读）。
每个工作簿按原样保存在 inbox/（同样的内容只算一次），校验后匹配到部门（本批次有效签名
的发放编号优先；否则依次按手工指定、表头（编码与名称一致）、回复的邮件、发件人地址、
文件名），并登记；有问题的表在 annotated/ 生成标注副本。
每个输入一行：已收录（归到哪个部门）、此前已收到、拒收（及原因）或未匹配；找不到、
无法读取、过大或嵌套过深的输入只拒收它自己。不可信的收到时间（2000–2100 年以外，或
晚于当前一天以上）不采用，改按收录时间记录并注明。
退出码 0：全部收录且新收的表都通过；1：有待修改、未匹配、拒收或没有附带工作簿的邮件；
2：用法错误，或台账被其他程序占用超过 XLTOOL_LEDGER_WAIT 秒（默认 10 秒）。

\b
示例：
  xltool collect ~/下载/回收/
  xltool collect 商务局.xlsx --received-at 2025-03-02
  xltool collect 扫描件.xlsx --department 101
  xltool collect --imap --reply
  xltool collect 导出的邮件/*.eml --reply --drafts 回复草稿/""",
    "collect --received-at": "收到这些文件的时间（YYYY-MM-DD 或 ISO 时间）[默认：各文件的修改时间，并如实记录；邮件用其日期]。",
    "collect --department": "手工把文件归到此部门编码或表单（D01/P0003）（用于无签名的文件；此前已收录的文件也会改归）。",
    "campaign assign": """把一份已收录的报回表手工改归某部门（签名仍优先）。记入台账，重建台账后仍保留。

RETURN 是 inbox/ 中的文件名，或其 sha256（至少 8 位前缀）。

\b
示例：
  xltool campaign assign 3f9a2c1b 102
  xltool campaign assign 20250302-商务局.xlsx 102""",
    "collect --imap": "同时读取 IMAP 邮箱文件夹中的新邮件。",
    "collect --since": "与 --imap 同用：只读此日期以后的邮件。",
    "collect --move-to": "与 --imap 同用：把处理过的邮件移到此文件夹。",
    "collect --reply": "回复每份新报回的表：要修改的附标注副本，通过的发回执。",
    "collect --drafts": "与 --reply 同用：把回复写成 .eml 草稿存入 DIR，不直接发送。",
    "--insecure": "不校验服务器证书（只用于测试服务器）。",
    "--format": "输出格式。",
    "status": """查看每个部门的报送状态：未报送、逾期未报送、待修改、通过、免报。

每个部门一行：在终端上显示部门编码、名称、状态、发送情况、报送次数、最近报送时间和
总分，按终端宽度（COLUMNS）截断；加 --wide 还显示联系方式、发表时间、当前报送（最近
收到的一份）及最近通过的一份等。另有各状态的数量、未匹配到部门的文件。
退出码 0（无论各部门状态如何）；2：找不到批次，或台账被其他程序占用超过
XLTOOL_LEDGER_WAIT 秒（默认 10 秒），此时只输出一行说明。

\b
示例：
  xltool status
  xltool status --format xlsx -o 报送进度.xlsx
  xltool status --format json > status.json""",
    "status --output": "写入文件 FILE。",
    "status --force": "OUTPUT 已存在时覆盖。",
    "status --wide": "文本输出显示所有列（联系人、邮箱、发表时间、逾期、匹配方式等）。",
    "send": """给每个部门发送其表格：每个部门一封邮件，名单中的所有地址都在收件人中。
每个部门只发一次（除非 --resend）；中断的发送由下一次接着完成，不会重复发给任何人。
有部门未发出时退出码为 1。

\b
示例：
  xltool send --dry-run
  xltool send
  xltool send --only 101 --only 102 --resend
  xltool send --drafts 草稿/            # 用 Outlook 或 Foxmail 自己发送""",
    "send --only": "只发给此部门编码（可重复）。",
    "send --resend": "重新发给此前已发过的部门。",
    "send --dry-run": "只列出将要发送的内容，不发送也不写任何文件。",
    "--drafts": "把邮件写成 .eml 草稿（X-Unsent: 1，Outlook 打开即为草稿）存入 DIR，不直接发送。",
    "--rate": "每分钟发送的邮件数 [默认：mail.rate，否则 20]。",
    "remind": """提醒尚未报送或需要修改的部门。

免报的部门不提醒；同一部门在 --min-interval 天内只提醒一次，除非加 --force。
`status` 显示最近一次提醒。

\b
示例：
  xltool remind --dry-run
  xltool remind --status overdue
  xltool remind --drafts 提醒草稿/""",
    "remind --status": "提醒哪些部门：missing（未报送）、overdue（逾期）、to-fix（待修改），逗号分隔。",
    "remind --min-interval": "两次提醒之间的天数。",
    "remind --force": "在 --min-interval 之内也提醒。",
    "remind --dry-run": "只列出将要提醒的部门，不发送也不写任何文件。",
    "serve": """启动本批次的网页控制台（加 --portal 时还提供各部门的报送页面）。

打印控制台地址和随机访问令牌（环境变量 XLTOOL_TOKEN 可指定令牌）；用浏览器打开即登录。
控制台只对本机开放；部门报送页面只认各部门自己的链接。按 Ctrl-C 停止。

\b
示例：
  xltool serve
  xltool serve --portal --host 0.0.0.0 --public-url https://jx.example.gov.cn""",
    "serve --port": "端口（0：任选一个空闲端口）。",
    "serve --host": "监听地址；不是本机地址时，其他机器只能打开部门报送页面。",
    "serve --public-url": "各部门访问本服务器的地址（反向代理的 HTTPS 地址），用于部门链接；记入 portal.json。",
    "serve --portal": "同时提供各部门的报送页面（/d/<令牌>）。",
    "portal": """xltool serve --portal 的部门链接：列出链接、作废某部门的链接。

\b
示例：
  xltool portal links --public-url https://jx.example.gov.cn --format csv > 部门链接.csv
  xltool portal revoke D01""",
    "portal links": "列出每个部门的报送链接 PUBLIC_URL/d/<令牌>（用批次密钥签名，含部门编码和有效期），以 CSV 或 JSON 输出到标准输出。",
    "portal links --format": "输出格式：csv 或 json。",
    "portal links --public-url": "各部门访问服务器的地址 [默认：上次记下的地址]。",
    "portal links --expires": "链接有效的最后一天 [默认：截止日后 30 天，且至少 30 天]。",
    "portal revoke": "作废某部门迄今的全部链接；之后用 `portal links` 生成其新链接。",
}

# English where the code's own text names things in Chinese.
EN: dict[str, str] = {
    "": """xltool: issue Excel self-evaluation forms and verify the copies that come back.

\b
Examples:
  xltool new                                   # a blank form in ./forms/
  xltool new --roster roster.csv --year 2025 --indicators indicators.csv
  xltool verify returned/ --format json
  xltool campaign init round-2025 --roster roster.xlsx --deadline 2025-03-31""",
    "new": """Issue formatted, protected form workbooks with live formulas.

\b
With no options, writes a blank dept-overall form into ./forms/.
Examples:
  xltool new
  xltool new --department "Commerce Bureau" --year 2025
  xltool new --roster roster.xlsx --indicators indicators.csv --year 2025 --out forms-2025
  xltool new --data sample_workbooks/yuelu-commerce-2019.json -o commerce.xlsx --force""",
    "new --department": "Department name for one form.",
    "new --code": "Department code for one form.",
    "--year": "Year of the evaluation.",
    "new --roster": "CSV or XLSX with one department per row (a department name column is required).",
    "new --indicators": "CSV or XLSX of indicators: levels 1-3, annual target, points.",
    "new --spare-rows": "Empty rows under every level-2 group [default: the spec's, 2].",
    "verify": """Check returned workbooks: recompute every total, find tampering, say what to fix.

PATHS are files, folders (searched for .xlsx, .xlsm, .xls, .et, .ods …) or globs.
Inputs are only read, never written. Exit code 0: every file ok; 1: any error or
unreadable file; 2: usage error.

\b
Examples:
  xltool verify returned/
  xltool verify 'returned/*.xlsx' --format json > report.json
  xltool verify form.xlsx --lang en""",
    "export": """Export filled forms as data: JSON (one object per form) or two CSV tables.

JSON carries each form's entered values keyed by defined name, its indicator rows in
order, the recomputed totals and the findings; `xltool new --data` issues it back.
CSV is UTF-8 with BOM (Excel opens it correctly); text that would run as a formula is
neutralised.

\b
Examples:
  xltool export returned/ -o 2025.json
  xltool export returned/ --format csv -o 2025.csv     # 2025.csv + 2025-indicators.csv""",
    "repair": """Re-issue a damaged returned form as a fresh one carrying the filer's entries.

Formulas, protection, names and layout are restored from the spec; what could not be
carried, and every value that differs from the file, is listed. The input is only read.

\b
Example:
  xltool repair returned/commerce.xlsx -o repaired/commerce.xlsx""",
    "import": """Turn forms xltool did not issue into forms in xltool's layout.

Hand-typed copies, last year's file, a province's own template: each is read by what
its labels and headings say (never by position), its kind decided by the columns and
rows it has (or --kind), and written as a fresh form of that kind with live formulas,
carrying every value that could be mapped. What could not be carried, and every stated
figure the fresh form's formulas compute differently, is listed. The metadata says
origin: imported and names the source file and its hash; no prefill is signed. Inputs
are only read. Exit 0: every file imported; 1: a file could not be; 2: usage error.

\b
Examples:
  xltool import last-year/ --out imported/
  xltool import typed-copy.xlsx -o imported/commerce.xlsx
  xltool import sichuan.xlsx --kind project -o project.xlsx""",
    "import --out": "Folder for the imported forms (<name>-imported.xlsx).",
    "summary": """Roll every department's returned form up into one workbook.

Given PATHS, one row per department: its latest return (by the workbook's own saved
time, else the file's). Given no PATHS, inside a campaign folder: every department of
the roster, with a row for those that sent nothing.

Sheets: the summary (totals, averages and grades over the returns that passed, as live
formulas), charts, indicator details, problems, and the duplicates set aside.

\b
Examples:
  xltool summary returned/ -o summary-2025.xlsx
  xltool summary                      # inside a campaign folder""",
    "summary --output": "The roll-up workbook [default in a campaign: a summary workbook in its folder].",
    "campaign": """A campaign: one round of self-evaluation as a folder (forms, returns, ledger).

\b
Examples:
  xltool campaign init round-2025 --roster roster.xlsx --indicators indicators.xlsx --deadline 2025-03-31
  cd round-2025 && xltool collect ~/Downloads/returned/ && xltool status
  xltool campaign exempt 105 --reason merged""",
    "campaign init --roster": "CSV or XLSX: department code and name, optionally contact, email, phone, amounts.",
    "campaign init --indicators": "CSV or XLSX of indicators; a department code or name column gives a department its own rows.",
    "campaign init --title": "The campaign's title [default: the year and the form's name].",
    "campaign add": """Add the roster's new departments (each gets its forms) and update the contacts
of those already in the campaign; or, with --projects, the projects added later (each
gets its project form). Nothing already issued is touched.

\b
Examples:
  xltool campaign add --roster more.xlsx --indicators indicators-2.xlsx
  xltool campaign add --projects more-projects.xlsx""",
    "campaign exempt": "Take a department (all its forms) or one form (D01/P0003, a project cancelled mid-year) out of the round: shown as exempt, never reminded, not in totals or coverage.",
    "campaign exempt --reason": "Why (shown with the exemption).",
    "collect": """Take returned files into the campaign: store, verify, match, record.

PATHS are files, folders, .zip files and saved messages (.eml). With --imap, new
messages of the campaign's IMAP folder too (read without marking them read). Each
workbook is kept in inbox/ exactly as received (the same bytes twice are one return),
verified, matched to a department (a valid signed issue id of this campaign decides;
otherwise a hand assignment, the form's header (code and name agreeing), a reply to a
message xltool sent, the sender's address in the roster, then the file name) and recorded; returns with findings
get an annotated copy in annotated/. Folders are searched for workbooks, zips and saved
messages; a zip may hold one level of zips.

One line per input: collected (to which department), received before, refused (and
why) or unmatched; an input that is missing, unreadable, too large or nested too deep
is refused alone. A receive time no one can have meant (outside 2000-2100, or more than a
day ahead) is set aside and the time of recording used, with a note. Exit 0: every
input recorded and every new return passed; 1: a return to fix, an unmatched or refused
input, or a message without a workbook; 2: usage error, or the ledger held by another
program for longer than XLTOOL_LEDGER_WAIT seconds (default 10).

\b
Examples:
  xltool collect ~/Downloads/returned/
  xltool collect commerce.xlsx --received-at 2025-03-02
  xltool collect scan.xlsx --department 101
  xltool collect --imap --reply
  xltool collect saved-mail/*.eml --reply --drafts reply-drafts/""",
    "collect --department": "Assign the file(s) to this department code by hand (unsigned files; a file collected before is moved).",
    "status": """Where every department stands: missing, overdue, to fix, passed or exempt.

One row per department: on a terminal its code, name, status, the delivery of its
form, returns, last received and score, cut to the terminal's width (COLUMNS); with
--wide its contacts, when its form was issued, its current return (the latest received)
and the last that passed too. Then the counts per status and the files that matched no
department. Exit 0 whatever the statuses; 2 when there is no campaign, or its ledger is
held by another program for longer than XLTOOL_LEDGER_WAIT seconds (default 10): one
line says so.

\b
Examples:
  xltool status
  xltool status --format xlsx -o progress.xlsx
  xltool status --format json > status.json""",
    "send": """Mail each department its issued form: one message per department, every roster
address in To. Sends each department once (unless --resend); a run that was interrupted
is resumed without mailing anyone twice. Exit 1 when any department was not sent.

\b
Examples:
  xltool send --dry-run
  xltool send
  xltool send --only 101 --only 102 --resend
  xltool send --drafts drafts/            # to send from Outlook or Foxmail""",
    "send --only": "Only this department code (repeat for more).",
    "remind": """Remind the departments that have not returned, or must fix their return.

Exempt departments are never reminded; a department is reminded at most once per
--min-interval days unless --force. `status` shows the last reminder.

\b
Examples:
  xltool remind --dry-run
  xltool remind --status overdue
  xltool remind --drafts reminder-drafts/""",
}


ZH.update(ZH_REPORTS)
EN.update(EN_REPORTS)


def lookup(table: dict[str, str], command: str, option: str | None = None) -> str | None:
    """The text for a command, or for one of its options (then the option alone)."""
    if option is None:
        return table.get(command)
    return table.get(f"{command} {option}".strip()) or table.get(option)
