from django.core.management.base import CommandError

from jingshen.commands import JingshenCommand, acting_user
from jingshen.finance.services import import_budget
from jingshen.orgs.models import Org


class Command(JingshenCommand):
    help = (
        "导入工会经费收支预算表：CSV（UTF-8 或 GB18030/GBK）或 XLSX，列为 科目编号、名称、上年决算数、本年预算数，"
        "可选 调整预算数、说明；上年结转、动用以前年度结余、本年收入合计、本年支出合计各占一行（不填科目编号）。"
        "明细行之和须等于上级科目，本年收入合计须等于各收入科目加动用以前年度结余，上年结转须与上年衔接；"
        "有任何不符则整个文件不导入。每次导入生成该单位该年度预算的新版本。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="预算表文件路径")
        parser.add_argument("--org", required=True, metavar="单位编码", help="预算所属单位的单位编码")
        parser.add_argument("--year", required=True, type=int, metavar="年度", help="预算年度（本年预算数所属的年度）")
        parser.add_argument("--by", metavar="用户名", help="以该用户的权限导入（须有该单位的数据采集权限）；不指定时以系统身份导入")

    def handle(self, file, org, year, by, **options):
        unit = Org.objects.filter(code=org).first()
        if unit is None:
            raise CommandError(f"单位编码「{org}」不存在。")
        actor = acting_user(by) if by else None
        budget = import_budget(file, org=unit, year=year, actor=actor)
        self.stdout.write(f"导入完成：{unit.name} {year} 年预算第 {budget.version} 版，共 {budget.lines.count()} 行。")
