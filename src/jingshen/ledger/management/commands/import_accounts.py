from django.core.management.base import CommandError

from jingshen.commands import JingshenCommand
from jingshen.ledger.charts import import_chart
from jingshen.orgs.models import Org


class Command(JingshenCommand):
    help = "导入科目表（列：科目编码、科目名称、科目类别、余额方向，可选 上级科目编码、科目角色）。不指定 --org 时设为所有单位的默认科目表。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="科目表文件（CSV 或 XLSX）")
        parser.add_argument("--org", help="单位编码：作为该单位自己的科目表（默认在标准科目表基础上扩展）")
        parser.add_argument("--standalone", action="store_true", help="与 --org 同用：该单位只使用这份科目表，不继承默认科目表")
        parser.add_argument("--name", help="科目表名称")

    def handle(self, file, org, standalone, name, **options):
        unit = None
        if org:
            unit = Org.objects.filter(code=org).first()
            if unit is None:
                raise CommandError(f"单位编码「{org}」不存在。")
        elif standalone:
            raise CommandError("--standalone 只能与 --org 一起使用。")
        result = import_chart(file, org=unit, standalone=standalone, name=name)
        self.stdout.write(f"导入完成：{result.summary()}")
