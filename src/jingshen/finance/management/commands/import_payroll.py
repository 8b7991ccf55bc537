from jingshen.commands import JingshenCommand, acting_user
from jingshen.finance.services import import_payroll


class Command(JingshenCommand):
    help = (
        "导入各单位的全年工资总额（拨缴经费的计算基数）：CSV（UTF-8 或 GB18030/GBK）或 XLSX，列为 单位编码、会计年度、工资总额，"
        "可选 职工人数。有任何错误则整个文件不导入；与已有数据相同的行跳过，数字有变化的生成新版本。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="工资总额文件路径")
        parser.add_argument("--by", metavar="用户名", help="以该用户的权限导入（只能导入其数据采集范围内的单位）；不指定时以系统身份导入")

    def handle(self, file, by, **options):
        actor = acting_user(by) if by else None
        result = import_payroll(actor, file)
        self.stdout.write(f"导入完成：{result.summary()}")
