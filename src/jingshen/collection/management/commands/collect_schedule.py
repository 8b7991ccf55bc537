import datetime

from django.core.management.base import CommandError

from jingshen.accounts.models import User
from jingshen.collection.models import Frequency
from jingshen.collection.services import set_schedule
from jingshen.commands import JingshenCommand, acting_user
from jingshen.orgs.models import Org

FREQUENCIES = {"month": Frequency.MONTHLY, "quarter": Frequency.QUARTERLY, "year": Frequency.YEARLY}


class Command(JingshenCommand):
    help = "设置单位的报送计划：每期凭证在期末后第几个月的几日前报送（如每月凭证于次月 10 日前报送）。"

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="单位编码")
        parser.add_argument("--below", action="store_true", help="同时设置该单位的全部下级单位")
        parser.add_argument("--frequency", choices=sorted(FREQUENCIES), default="month", help="报送频率：month 按月、quarter 按季、year 按年")
        parser.add_argument("--due-day", type=int, default=10, help="截止日（1～28，默认 10）")
        parser.add_argument("--lag-months", type=int, default=1, help="期末后第几个月（默认 1，即次月）")
        parser.add_argument("--starts", help="从该日期起计（YYYY-MM-DD，默认今天）；之前结束的期间不催报")
        parser.add_argument("--contact", metavar="用户名", help="报送联系人（该单位的用户）")
        parser.add_argument("--inactive", action="store_true", help="停用报送计划")
        parser.add_argument("--by", metavar="用户名", help="以该用户的权限设置；不指定时以系统身份")

    def handle(self, org, below, frequency, due_day, lag_months, starts, contact, inactive, by, **options):
        unit = Org.objects.filter(code=org).first()
        if unit is None:
            raise CommandError(f"单位编码「{org}」不存在。")
        person = None
        if contact:
            person = User.objects.filter(username=contact).first()
            if person is None:
                raise CommandError(f"用户「{contact}」不存在。")
        try:
            starts_on = datetime.date.fromisoformat(starts) if starts else None
        except ValueError:
            raise CommandError(f"日期「{starts}」无效，请写成 YYYY-MM-DD。") from None
        try:
            n = set_schedule(acting_user(by) if by else None, org=unit, frequency=FREQUENCIES[frequency], due_day=due_day,
                             lag_months=lag_months, starts_on=starts_on, contact=person, active=not inactive, below=below)
        except (PermissionError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已设置 {n} 个单位的报送计划。")
