from django.core.management.base import CommandError

from jingshen.commands import JingshenCommand, acting_user
from jingshen.finance.services import import_assets
from jingshen.orgs.models import Org


class Command(JingshenCommand):
    help = (
        "导入固定资产卡片（资产清单）：CSV（UTF-8 或 GB18030/GBK）或 XLSX，列为 资产编号、名称、类别、取得日期、原值，"
        "可选 累计折旧、使用部门、存放地点、状态、处置日期。资产编号重复、原值为负等任何错误都使整个文件不导入。"
        "每次导入生成该单位资产卡片的新版本。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="资产卡片文件路径")
        parser.add_argument("--org", required=True, metavar="单位编码", help="资产所属单位的单位编码")
        parser.add_argument("--by", metavar="用户名", help="以该用户的权限导入（须有该单位的数据采集权限）；不指定时以系统身份导入")

    def handle(self, file, org, by, **options):
        unit = Org.objects.filter(code=org).first()
        if unit is None:
            raise CommandError(f"单位编码「{org}」不存在。")
        actor = acting_user(by) if by else None
        register = import_assets(file, org=unit, actor=actor)
        self.stdout.write(f"导入完成：{unit.name}资产卡片第 {register.version} 版，共 {register.assets.count()} 张。")
