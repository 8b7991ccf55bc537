from django.core.management.base import CommandError

from jingshen.api.models import APIKey
from jingshen.api.services import revoke_key
from jingshen.commands import JingshenCommand, acting_user
from jingshen.orgs.services import OPERATOR


class Command(JingshenCommand):
    help = "撤销 API 密钥：立即失效，使用它的调用返回 401。"

    def add_arguments(self, parser):
        parser.add_argument("key_id", type=int, help="密钥编号（见 jingshen apikeys list）")
        parser.add_argument("--by", metavar="用户名", help="以该系统管理员的身份撤销（检查其管理范围并记入操作日志）")

    def handle(self, key_id, **o):
        key = APIKey.objects.select_related("org").filter(pk=key_id).first()
        if key is None:
            raise CommandError(f"API 密钥 #{key_id} 不存在。")
        actor = acting_user(o["by"]) if o["by"] else OPERATOR
        done = revoke_key(key, actor=actor)
        self.stdout.write(f"已撤销 API 密钥 #{key_id}。" if done else f"API 密钥 #{key_id} 此前已撤销。")
