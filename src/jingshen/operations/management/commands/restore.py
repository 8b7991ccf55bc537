from django.core.management.base import CommandError

from jingshen.commands import JingshenCommand, progress_bar
from jingshen.operations.restore import restore_backup

MISMATCH = 3  # exit code: restored, but counts or the log chain do not match (1: refused, nothing written)


class Command(JingshenCommand):
    help = ("从备份文件恢复到空的数据目录（JINGSHEN_HOME；使用 PostgreSQL 时还须是空数据库）。先完整校验备份"
            "（清单、每个文件的 SHA-256），校验不通过则不写入任何数据；恢复后执行必要的数据库迁移、校验操作日志，"
            "并报告每张表的记录数和文件与清单的核对结果。详见 docs/backup.md。")

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="备份文件")
        parser.add_argument("--base", action="append", default=[], metavar="基础备份",
                            help="恢复增量备份时，它所依赖的备份文件（可多次指定）")

    def handle(self, file, base, **options):
        with progress_bar("恢复") as progress:
            report = restore_backup(file, bases=base, progress=progress)
        self.stdout.write(report.text())
        if report.mismatched or not report.log_intact or report.files != report.manifest_files:
            raise CommandError("恢复已完成，但核对结果与清单不一致或操作日志不完整（见上方报告）。", returncode=MISMATCH)
