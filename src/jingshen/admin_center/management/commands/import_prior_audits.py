from jingshen.admin_center.services import import_prior_audits
from jingshen.commands import JingshenCommand, acting_user


class Command(JingshenCommand):
    help = (
        "导入往期审计记录（平台启用前完成的审计，计入审计覆盖率）：CSV（UTF-8 或 GB18030/GBK）或 XLSX，"
        "列为 单位编码、审计年度、审计类型、报告文号、审计单位编码。以 --by 指定用户的权限导入（经审负责人、审计组长："
        "本单位及下级单位）；有任何错误则整个文件不导入，与已有记录相同的行跳过。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="往期审计记录文件路径")
        parser.add_argument("--by", required=True, metavar="用户名", help="录入人（经审负责人或审计组长）的用户名")

    def handle(self, file, **options):
        actor = acting_user(options["by"])
        result = import_prior_audits(actor, file)
        self.stdout.write(f"导入完成：{result.summary()}")
