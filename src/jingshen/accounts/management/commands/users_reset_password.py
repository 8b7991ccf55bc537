from django.core.management.base import CommandError
from django.http import Http404

from jingshen.accounts.access import get_managed_user
from jingshen.accounts.models import User
from jingshen.accounts.services import reset_password
from jingshen.commands import JingshenCommand


class Command(JingshenCommand):
    help = (
        "系统管理员重置其管理范围内用户的密码：生成新密码并只显示这一次，"
        "该用户原有登录全部失效、登录锁定解除，下次登录后必须修改密码。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="要重置密码的用户名")
        parser.add_argument("--by", required=True, metavar="管理员用户名", help="执行重置的系统管理员的用户名")

    def handle(self, **o):
        admin = User.objects.select_related("org").filter(username=o["by"], is_active=True).first()
        if admin is None:
            raise CommandError(f"管理员「{o['by']}」不存在或已停用。")
        try:
            target = get_managed_user(admin, o["username"])
        except Http404:
            # a user outside the administrator's scope answers like one that does not exist
            raise CommandError(f"用户「{o['username']}」不存在或不在「{admin.username}」的管理范围内。") from None
        password = reset_password(admin, target)
        self.stdout.write(f"已重置用户 {target.username}（{target.org.name}）的密码。")
        self.stdout.write(f"新密码：{password}")
        self.stdout.write("此密码只显示这一次，请通过安全方式告知本人；该用户原有登录已失效，下次登录后必须修改密码。")
