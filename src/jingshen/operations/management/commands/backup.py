from jingshen.commands import JingshenCommand, progress_bar
from jingshen.operations.backup import create_backup


class Command(JingshenCommand):
    help = ("把全部数据备份到一个文件（tar）：数据库、数据集、上传文件、取证材料、生成的文书和清单 manifest.json"
            "（每个文件的大小和 SHA-256、每张表的记录数、版本和数据库迁移）。可在系统使用中执行：先取数据库快照，"
            "再复制快照中记录引用的文件。详见 docs/backup.md。")

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, metavar="文件", help="备份文件（例如 /backup/jingshen-20261202.tar；不会覆盖已有文件）")
        parser.add_argument("--with-secret", action="store_true",
                            help="同时备份密钥（secret_key）：恢复后已登录的会话仍然有效；备份文件须妥善保管")
        parser.add_argument("--incremental", metavar="之前的备份",
                            help="增量备份：只写入之前的备份中没有的文件；恢复时须用 --base 同时提供之前的备份")

    def handle(self, output, with_secret, incremental, **options):
        with progress_bar("备份") as progress:
            result = create_backup(output, with_secret=with_secret, incremental=incremental, progress=progress)
        self.stdout.write(result.summary())
