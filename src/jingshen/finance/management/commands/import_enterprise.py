from jingshen.commands import JingshenCommand, acting_user
from jingshen.finance.services import import_enterprises


class Command(JingshenCommand):
    help = (
        "导入工会企业的财务摘要（计算资产保值增值率）：CSV（UTF-8 或 GB18030/GBK）或 XLSX，列为 单位编码、会计年度、"
        "所有者权益年初数、所有者权益年末数、净利润，可选 客观因素影响额、国有资本年初数/年末数、工会资本年初数/年末数。"
        "只接受单位性质为“企业”的单位；有任何错误则整个文件不导入；与已有数据相同的行跳过，数字有变化的生成新版本。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="企业财务摘要文件路径")
        parser.add_argument("--by", metavar="用户名", help="以该用户的权限导入（只能导入其数据采集范围内的单位）；不指定时以系统身份导入")

    def handle(self, file, by, **options):
        actor = acting_user(by) if by else None
        result = import_enterprises(actor, file)
        self.stdout.write(f"导入完成：{result.summary()}")
