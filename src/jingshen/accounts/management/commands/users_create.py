import getpass
from pathlib import Path

from django.core.management.base import CommandError

from jingshen.accounts.services import create_user, create_user_with_generated_password, parse_roles
from jingshen.commands import JingshenCommand
from jingshen.orgs.models import Org


class Command(JingshenCommand):
    help = "创建用户。角色可多个，用逗号分隔：系统管理员、经审负责人、审计组长、审计员、被审计单位联络人、领导查阅。"

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="所属单位的单位编码")
        parser.add_argument("--role", required=True, help="角色，如 审计员 或 审计员,审计组长")
        parser.add_argument("--username", required=True, help="登录用户名")
        parser.add_argument("--name", default="", help="姓名")
        parser.add_argument("--password-file", help="从文件第一行读取密码（不提供则在终端输入）")
        parser.add_argument(
            "--generate-password",
            action="store_true",
            help="生成随机初始密码并只显示这一次；用户首次登录后必须修改密码",
        )

    def handle(self, **o):
        org = Org.objects.filter(code=o["org"]).first()
        if org is None:
            raise CommandError(f"单位编码「{o['org']}」不存在。")
        roles = parse_roles(o["role"])
        if o["generate_password"] and o["password_file"]:
            raise CommandError("--generate-password 与 --password-file 只能选一个。")
        if o["generate_password"]:
            user, password = create_user_with_generated_password(
                org=org, username=o["username"], roles=roles, display_name=o["name"]
            )
            self.stdout.write(f"已创建用户 {user.username}（{org.name}，{'、'.join(user.role_names())}）。")
            self.stdout.write(f"初始密码：{password}")
            self.stdout.write("此密码只显示这一次，请通过安全方式告知本人；首次登录后必须修改密码。")
            return
        if o["password_file"]:
            try:
                lines = Path(o["password_file"]).read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise CommandError(f"无法读取密码文件「{o['password_file']}」：{exc.strerror}") from None
            password = lines[0] if lines else ""
        else:
            password = getpass.getpass("密码：")
            if password != getpass.getpass("再次输入密码："):
                raise CommandError("两次输入的密码不一致。")
        user = create_user(org=org, username=o["username"], password=password, roles=roles, display_name=o["name"])
        self.stdout.write(f"已创建用户 {user.username}（{org.name}，{'、'.join(user.role_names())}）。")
