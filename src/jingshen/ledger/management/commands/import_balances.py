from django.core.management.base import CommandError

from jingshen.commands import JingshenCommand, progress_bar
from jingshen.ledger.importers.balances import import_balances
from jingshen.ledger.services import mapping_by_name
from jingshen.ledger.models import ImportKind
from jingshen.orgs.models import Org


class Command(JingshenCommand):
    help = (
        "导入科目余额：单位编码、会计年度、科目编码，期初余额和余额方向（或期初借方/期初贷方），"
        "可选 本期借方、本期贷方、期末余额。期初+借方−贷方≠期末的科目列入数据质量报告。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="科目余额文件（CSV 或 XLSX）")
        parser.add_argument("--org", help="单位编码：文件中没有「单位编码」列时必须指定")
        parser.add_argument("--year", type=int, help="会计年度：文件中没有「会计年度」列时必须指定")
        parser.add_argument("--mapping", help="按名称使用页面上保存的转换模板（列名对应关系）")
        parser.add_argument("--skip-bad-rows", action="store_true", help="跳过有错误的行，导入其余各行")

    def handle(self, file, org, year, mapping, skip_bad_rows, **options):
        unit = None
        if org:
            unit = Org.objects.filter(code=org).first()
            if unit is None:
                raise CommandError(f"单位编码「{org}」不存在。")
        with progress_bar("导入科目余额") as progress:
            report = import_balances(
                file, org=unit, year=year, skip_bad_rows=skip_bad_rows, progress=progress,
                mapping=mapping_by_name(mapping, ImportKind.BALANCES) if mapping else None,
            )
        self.stdout.write(f"导入完成：{report.summary()}")
