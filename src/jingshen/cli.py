"""The ``jingshen`` command: ``jingshen import orgs FILE`` runs the management command
``import_orgs``; any other Django management command runs by its own name. Every command
creates JINGSHEN_HOME and applies pending migrations first."""

import os
import re
import sys

COMMANDS = {
    "serve": "启动 Web 服务（默认 http://127.0.0.1:8000）",
    "worker": "单独运行后台任务进程（jingshen serve 已自带）",
    "check": "检查系统运行状况（数据库、后台任务、磁盘、数据集与文件、日志链），可输出 JSON",
    "demo load": "载入演示数据（固定随机种子，可重复执行）",
    "import orgs": "导入单位（CSV 或 XLSX 标准模板）",
    "import accounts": "导入科目表（默认科目表，或 --org 某单位的科目表）",
    "import vouchers": "导入凭证（标准模板或用友、金蝶导出）",
    "import balances": "导入科目余额",
    "import budget": "导入工会经费收支预算表（--org 单位、--year 年度；校验上下级科目、收入合计与上年结转衔接，每次导入为新版本）",
    "import assets": "导入固定资产卡片（--org 单位；资产编号不得重复、原值不得为负，每次导入为新版本）",
    "import payroll": "导入各单位全年工资总额（拨缴经费 2% 的计算基数；可选职工人数，每次变化为新版本）",
    "import enterprise": "导入工会企业财务摘要（所有者权益年初、年末数与净利润，计算资产保值增值率；每次变化为新版本）",
    "import prior-audits": "导入往期审计记录（平台启用前的审计，计入审计覆盖率；以 --by 用户的权限）",
    "import regulation": "导入法规正文（.md/.txt/.docx，自动拆分章、节、条、项）到法规库",
    "datasets list": "列出已导入的数据集及其版本",
    "screen": "疑点筛查（规则包），可输出 JSON Lines",
    "users create": "创建用户",
    "users list": "列出用户",
    "users reset-password": "重置用户密码（系统管理员，生成新密码）",
    "grants create": "创建交叉互审授权",
    "grants list": "列出交叉互审授权",
    "grants revoke": "撤销交叉互审授权",
    "collect schedule": "设置单位的报送计划（每期凭证的报送期限）",
    "collect run-due": "检查报送计划，记录未按时报送、标记已补报（可由 cron 调用，可重复执行）",
    "collect watch": "检查一遍监控文件夹，导入财务软件导出的凭证文件（可由 cron 每分钟调用，可重复执行）",
    "collect nil": "申报单位某期本期无业务（零报送），该期视为已报送",
    "apikeys create": "创建 API 密钥（--org 单位、--name 名称、--scope 权限，可重复；密钥只显示一次）",
    "apikeys list": "列出 API 密钥（不含密钥本身）",
    "apikeys revoke": "撤销 API 密钥",
    "audits list": "列出审计项目（--org 筛选，可输出 JSON）",
    "audits show": "显示一个审计项目（项目编号，可输出 JSON）",
    "audits export": "导出审计项目的归档包（ZIP，含 manifest.json）",
    "kb search": "检索知识库（法规条文、案例、指引笔记、定性表述），可输出 JSON",
    "kb reindex": "重建知识库检索索引",
    "log list": "列出操作日志（--org、--since 筛选，可输出 JSON Lines）",
    "log verify": "校验操作日志哈希链是否完整（发现篡改、删除、插入）",
    "backup": "备份全部数据到一个文件（数据库、数据集、上传和取证文件、文书；可增量）",
    "restore": "从备份文件恢复到空的数据目录（先校验整个备份）",
}
# restore: the database must stay empty until the backup's own database is put in place
NO_AUTO_MIGRATE = {"makemigrations", "migrate", "help", "check", "sqlmigrate", "showmigrations", "restore"}


def _usage() -> str:
    width = max(len(c) for c in COMMANDS)
    lines = ["用法：jingshen <命令> [参数]", "", "命令："]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()]
    lines += ["", "查看某个命令的参数：jingshen <命令> --help", "环境变量 JINGSHEN_HOME 指定数据目录，DATABASE_URL 指定数据库。"]
    return "\n".join(lines)


# argparse's messages (Python 3.11 templates), as users read them
ARGPARSE_MESSAGES = [
    (r"the following arguments are required: (.*)", r"缺少必需的参数：\1"),
    (r"argument (\S+): invalid int value: '(.*)'", r"参数 \1 的值“\2”不是整数"),
    (r"argument (\S+): invalid float value: '(.*)'", r"参数 \1 的值“\2”不是数字"),
    (r"argument (\S+): invalid choice: '(.*)' \(choose from (.*)\)", r"参数 \1 的值“\2”无效，可选：\3"),
    (r"argument (\S+): invalid \w+ value: '(.*)'", r"参数 \1 的值“\2”无效"),
    (r"argument (\S+): expected one argument", r"参数 \1 后面需要一个值"),
    (r"argument (\S+): not allowed with argument (\S+)", r"参数 \1 不能与 \2 同时使用"),
    (r"unrecognized arguments: (.*)", r"无法识别的参数：\1"),
]


def argparse_message(message: str) -> str:
    """argparse's English error about the command line, in Chinese."""
    message = message.removeprefix("Error: ")
    for pattern, chinese in ARGPARSE_MESSAGES:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, chinese, message)
    return f"命令参数有误（{message}）"


def migrate_if_needed() -> None:
    from django.core.management import call_command
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections["default"])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", verbosity=0, interactive=False)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingshen.settings")
    import django
    from django.core.management import get_commands, load_command_class
    from django.core.management.base import CommandError

    from jingshen.paths import RESTORE_ENV, IncompleteRestore

    if argv[0] == "restore":
        os.environ[RESTORE_ENV] = "1"  # the one command that may run on a home marked RESTORING
    try:
        django.setup()
    except IncompleteRestore as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    commands = get_commands()
    # `jingshen users reset-password` → users_reset_password
    if len(argv) >= 2 and f"{argv[0]}_{argv[1].replace('-', '_')}" in commands:
        name, shown, rest = f"{argv[0]}_{argv[1].replace('-', '_')}", f"{argv[0]} {argv[1]}", argv[2:]
    elif argv[0] in commands:
        name, shown, rest = argv[0], argv[0], argv[1:]
    else:
        print(f"未知命令「{' '.join(argv[:2])}」。\n\n{_usage()}", file=sys.stderr)
        return 2
    if name not in NO_AUTO_MIGRATE and not {"-h", "--help"} & set(rest):
        migrate_if_needed()
    command = load_command_class(commands[name], name)
    parser = command.create_parser("jingshen", shown)
    try:
        options = vars(parser.parse_args(rest))
    except CommandError as exc:  # Django's parser raises what argparse would print and exit with
        print(f"错误：{argparse_message(str(exc))}\n{parser.format_usage().strip()}", file=sys.stderr)
        return 2
    args = options.pop("args", ())
    try:
        command.execute(*args, **options)
    except CommandError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return exc.returncode
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head and the like
        sys.stderr.close()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
