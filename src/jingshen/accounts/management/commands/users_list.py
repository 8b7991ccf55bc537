from jingshen.accounts.models import User
from jingshen.commands import JingshenCommand


class Command(JingshenCommand):
    help = "列出用户及其单位、角色。"

    def add_arguments(self, parser):
        parser.add_argument("--org", help="只列出该单位（单位编码）的用户")

    def handle(self, **o):
        users = User.objects.select_related("org").prefetch_related("roles").order_by("org__code", "username")
        if o["org"]:
            users = users.filter(org__code=o["org"])
        for u in users:
            org = f"{u.org.name}（{u.org.code}）" if u.org else "（无单位）"
            state = ("" if u.is_active else "\t已停用") + ("\t须修改密码" if u.must_change_password else "")
            self.stdout.write(f"{u.username}\t{u.display_name}\t{org}\t{'、'.join(u.role_names())}{state}")
