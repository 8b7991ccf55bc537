from django.conf import settings

from jingshen.commands import JingshenCommand
from jingshen.demo.orgs import write_orgs_csv
from jingshen.demo.users import DEMO_PASSWORD, ensure_demo_users
from jingshen.orgs.services import import_orgs


class Command(JingshenCommand):
    help = "载入演示数据：一个省总工会、6 个市总工会、24 个县级总工会、约 150 个基层单位，以及每个角色一个演示用户。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（默认 2026）")

    def handle(self, seed, **options):
        path = write_orgs_csv(settings.HOME / "demo" / "orgs.csv", seed)
        result = import_orgs(path)
        self.stdout.write(f"演示单位：{result.summary()}")
        users = ensure_demo_users()
        self.stdout.write(f"演示用户（密码均为 {DEMO_PASSWORD}）：")
        for username, org, roles in users:
            self.stdout.write(f"  {username:<12} {roles:<16} {org}")
