import json as jsonlib

from django.core.management.base import CommandError

from jingshen.commands import JingshenCommand
from jingshen.operations import check


class Command(JingshenCommand):
    # replaces Django's `check` (its system checks are the first part of this one)
    help = ("检查系统运行状况：配置、数据库连接与迁移、后台任务进程与队列、磁盘空间、数据集与文件的完整性、"
            "操作日志哈希链。全部正常时退出码为 0，发现异常时为 1。")

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true",
                            help=f"校验每个数据集和文件的内容（默认抽查 {check.SAMPLE} 个，其余只检查文件是否存在）")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出（供监控系统读取）")
        parser.add_argument("--offline", action="store_true",
                            help="服务未启动时检查（升级、恢复之后首次启动之前）：后台任务进程未运行不算异常")

    def handle(self, full, offline, **options):
        report = check.run(full=full, offline=offline)
        if options["json"]:
            self.stdout.write(_json(report.as_dict()))
        else:
            self.stdout.write(report.text())
        if not report.ok:
            raise CommandError("系统检查未通过。", returncode=1)


def _json(data) -> str:
    return jsonlib.dumps(data, ensure_ascii=False, indent=2, default=str)
