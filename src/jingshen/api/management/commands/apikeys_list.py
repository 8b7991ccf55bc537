from jingshen.api.models import APIKey
from jingshen.commands import JingshenCommand


class Command(JingshenCommand):
    help = "列出 API 密钥（不含密钥本身）：编号、状态、前缀、单位、名称、权限、有效期、最近使用时间。"

    def add_arguments(self, parser):
        parser.add_argument("--org", help="只列出该单位的密钥（单位编码）")

    def handle(self, **o):
        keys = APIKey.objects.select_related("org").order_by("-id")
        if o["org"]:
            keys = keys.filter(org__code=o["org"])
        if not keys:
            self.stdout.write("暂无 API 密钥。")
        for k in keys:
            used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "从未使用"
            until = f"{k.expires_on:%Y-%m-%d}" if k.expires_on else "长期"
            self.stdout.write(f"#{k.pk}\t{k.state()[1]}\t{k.prefix}…\t{k.org.code} {k.org.name}\t{k.name}\t"
                              f"{'、'.join(k.scope_labels())}\t有效期至 {until}\t{used}")
