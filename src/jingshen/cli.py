"""The ``jingshen`` command: ``jingshen import orgs FILE`` runs the management command
``import_orgs``; any other Django management command runs by its own name. Every command
creates JINGSHEN_HOME and applies pending migrations first."""

import os
import sys

COMMANDS = {
    "serve": "启动 Web 服务（默认 http://127.0.0.1:8000）",
    "demo load": "载入演示数据（固定随机种子，可重复执行）",
    "import orgs": "导入单位（CSV 或 XLSX 标准模板）",
    "import accounts": "导入科目表（默认科目表，或 --org 某单位的科目表）",
    "import vouchers": "导入凭证（标准模板或用友、金蝶导出）",
    "import balances": "导入科目余额",
    "datasets list": "列出已导入的数据集及其版本",
    "screen": "疑点筛查（规则包），可输出 JSON Lines",
    "users create": "创建用户",
    "users list": "列出用户",
    "grants create": "创建交叉互审授权",
    "grants list": "列出交叉互审授权",
    "grants revoke": "撤销交叉互审授权",
    "log list": "列出操作日志（--org、--since 筛选，可输出 JSON Lines）",
    "log verify": "校验操作日志哈希链是否完整（发现篡改、删除、插入）",
}
NO_AUTO_MIGRATE = {"makemigrations", "migrate", "help", "check", "sqlmigrate", "showmigrations"}


def _usage() -> str:
    width = max(len(c) for c in COMMANDS)
    lines = ["用法：jingshen <命令> [参数]", "", "命令："]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()]
    lines += ["", "查看某个命令的参数：jingshen <命令> --help", "环境变量 JINGSHEN_HOME 指定数据目录，DATABASE_URL 指定数据库。"]
    return "\n".join(lines)


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

    django.setup()
    commands = get_commands()
    if len(argv) >= 2 and f"{argv[0]}_{argv[1]}" in commands:
        name, shown, rest = f"{argv[0]}_{argv[1]}", f"{argv[0]} {argv[1]}", argv[2:]
    elif argv[0] in commands:
        name, shown, rest = argv[0], argv[0], argv[1:]
    else:
        print(f"未知命令「{' '.join(argv[:2])}」。\n\n{_usage()}", file=sys.stderr)
        return 2
    if name not in NO_AUTO_MIGRATE and not {"-h", "--help"} & set(rest):
        migrate_if_needed()
    command = load_command_class(commands[name], name)
    parser = command.create_parser("jingshen", shown)
    options = vars(parser.parse_args(rest))
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
