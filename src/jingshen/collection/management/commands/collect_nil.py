from django.core.management.base import CommandError

from jingshen.collection.services import declare_nil
from jingshen.commands import JingshenCommand, acting_user
from jingshen.orgs.models import Org


class Command(JingshenCommand):
    help = ("申报单位某期“本期无业务”（零报送）：该期没有发生经济业务、没有凭证可报，报送计划检查时视为已按时报送，"
            "已记录的“未按时报送”标为已补报。该期已有凭证分录时不能申报。")

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="单位编码")
        parser.add_argument("--year", type=int, required=True, help="会计年度")
        parser.add_argument("--period", type=int, required=True, help="期间（月份；按季、按年报送时为期末月份）")
        parser.add_argument("--note", default="", help="说明（可选）")
        parser.add_argument("--by", metavar="用户名", help="以该用户的权限申报；不指定时以系统身份")

    def handle(self, org, year, period, note, by, **options):
        unit = Org.objects.filter(code=org).first()
        if unit is None:
            raise CommandError(f"单位编码「{org}」不存在。")
        try:
            nil = declare_nil(acting_user(by) if by else None, unit, year, period, note)
        except (PermissionError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已申报{nil}。")
