from pathlib import Path

from django.core.management.base import CommandError

from jingshen.commands import JingshenCommand, progress_bar
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.services import mapping_by_name
from jingshen.ledger.models import ImportKind
from jingshen.orgs.models import Org


class Command(JingshenCommand):
    help = (
        "导入凭证（每行一条分录）：标准模板，用友、金蝶导出的 CSV/XLSX/XLS，金蝶凭证引出文件（DBF、XLS、XLSX、CSV），"
        "或用友 XML 凭证（ufinterface）。默认严格模式：有任何格式错误则整个文件不导入，并列出每处错误。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="凭证文件（CSV 为 UTF-8 或 GB18030/GBK；XLSX、XLS；DBF；用友 XML）")
        parser.add_argument("--org", help="单位编码：文件中没有「单位编码」列时指定（一个账套即一个单位）；"
                                          "不指定时，文件所在文件夹的名称若是单位编码，按该单位导入")
        parser.add_argument("--year", type=int, help="会计年度：文件中没有「会计年度」列时按此年度（否则取凭证日期的年份）")
        parser.add_argument("--mapping", help="按名称使用页面上保存的转换模板（列名对应关系）")
        parser.add_argument("--skip-bad-rows", action="store_true", help="跳过有错误的行，导入其余各行（数据集标记为部分导入，被拒绝的行列入数据质量报告）")
        parser.add_argument("--create-accounts", action="store_true", help="科目表中没有的明细科目自动新增到该单位的科目表")
        parser.add_argument("--merge", action="store_true",
                            help="合并到已有版本：文件只含部分月份时使用，新版本 = 上一版 + 本文件，同号凭证（期间、凭证字、凭证号）以本文件为准")

    def handle(self, file, org, year, mapping, skip_bad_rows, create_accounts, merge, **options):
        unit = None
        if org:
            unit = Org.objects.filter(code=org).first()
            if unit is None:
                raise CommandError(f"单位编码「{org}」不存在。")
        folder = Org.objects.filter(code=Path(file).resolve().parent.name).first() if unit is None else None
        with progress_bar("导入凭证") as progress:
            report = import_vouchers(
                file, org=unit, year=year, skip_bad_rows=skip_bad_rows, create_accounts=create_accounts, progress=progress,
                mapping=mapping_by_name(mapping, ImportKind.VOUCHERS) if mapping else None, folder_org=folder,
                merge=merge,
            )
        self.stdout.write(f"导入完成：{report.summary()}")
        for err in report.rejected_errors[:20]:
            self.stdout.write(f"  被拒绝：{err}")
        if report.rejected > 20:
            self.stdout.write(f"  ……共 {report.rejected:,} 行被拒绝，完整清单见数据质量报告。")
