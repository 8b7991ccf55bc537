import datetime

from django.core.management.base import CommandError

from jingshen.api.services import create_key
from jingshen.commands import JingshenCommand, acting_user
from jingshen.orgs.models import Org
from jingshen.orgs.scope import KEY_SCOPES
from jingshen.orgs.services import OPERATOR

SCOPES = "、".join(f"{code}（{label}）" for code, (label, _) in KEY_SCOPES.items())


class Command(JingshenCommand):
    help = ("创建 API 密钥：绑定一个单位（可访问该单位及其下级单位），授予一项或多项权限。"
            "密钥只显示这一次，请立即交给对接系统保存；系统中只保存其哈希值。")

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="密钥所属单位的单位编码")
        parser.add_argument("--name", required=True, help="密钥名称（如对接的系统名称）")
        parser.add_argument("--scope", action="append", required=True, dest="scopes", metavar="权限",
                            help=f"权限，可重复：{SCOPES}")
        parser.add_argument("--expires", help="有效期至 YYYY-MM-DD（含当天；不填则长期有效，直到撤销）")
        parser.add_argument("--by", metavar="用户名", help="以该系统管理员的身份创建（检查其管理范围并记入操作日志）")

    def handle(self, **o):
        org = Org.objects.filter(code=o["org"]).first()
        if org is None:
            raise CommandError(f"单位编码「{o['org']}」不存在。")
        expires = None
        if o["expires"]:
            try:
                expires = datetime.date.fromisoformat(o["expires"])
            except ValueError:
                raise CommandError(f"日期「{o['expires']}」格式不正确，应为 YYYY-MM-DD。") from None
        actor = acting_user(o["by"]) if o["by"] else OPERATOR
        key, secret = create_key(org=org, name=o["name"], scopes=o["scopes"], expires_on=expires, actor=actor)
        self.stdout.write(f"已创建 API 密钥 #{key.pk}：{key}，权限：{'、'.join(key.scope_labels())}")
        self.stdout.write("密钥（只显示这一次，请妥善保存）：")
        self.stdout.write(secret)
