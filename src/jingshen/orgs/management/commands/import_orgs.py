from jingshen.commands import JingshenCommand
from jingshen.orgs.services import import_orgs


class Command(JingshenCommand):
    help = "导入单位：标准模板（CSV 为 UTF-8 或 GB18030/GBK，或 XLSX），列为 单位编码、单位名称、上级单位编码、层级、单位性质、会员人数。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="单位文件路径")

    def handle(self, file, **options):
        result = import_orgs(file)
        self.stdout.write(f"导入完成：{result.summary()}")
