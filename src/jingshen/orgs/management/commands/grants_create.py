import datetime

from django.core.management.base import CommandError

from jingshen.accounts.models import User
from jingshen.commands import JingshenCommand, acting_user
from jingshen.orgs.models import Org
from jingshen.orgs.services import create_grant


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期「{text}」格式不正确，应为 YYYY-MM-DD。") from None


def _org(code: str) -> Org:
    org = Org.objects.filter(code=code).first()
    if org is None:
        raise CommandError(f"单位编码「{code}」不存在。")
    return org


class Command(JingshenCommand):
    help = (
        "创建交叉互审授权：让另一单位（其审计人员）或某个用户在期限内查看并审计一个单位。"
        "以 --by 指定的授权人身份执行：经审负责人可授权其可立项的单位，系统管理员可授权其管辖范围内的单位，"
        "受托单位须是授权人本单位或其下级单位。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--target", required=True, help="被审计单位的单位编码")
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--grantee-org", help="受托单位的单位编码（该单位的审计人员均可访问）")
        who.add_argument("--grantee-user", help="受托用户的用户名")
        parser.add_argument("--from", dest="valid_from", required=True, help="起始日期 YYYY-MM-DD")
        parser.add_argument("--until", dest="valid_until", required=True, help="截止日期 YYYY-MM-DD（含当天）")
        parser.add_argument("--purpose", required=True, help="事由")
        parser.add_argument("--by", required=True, metavar="授权人用户名", help="授权人（经审负责人或系统管理员）的用户名")

    def handle(self, **o):
        issuer = acting_user(o["by"])
        user = None
        if o["grantee_user"]:
            user = User.objects.filter(username=o["grantee_user"]).first()
            if user is None:
                raise CommandError(f"用户「{o['grantee_user']}」不存在。")
        grant = create_grant(
            target=_org(o["target"]),
            grantee_org=_org(o["grantee_org"]) if o["grantee_org"] else None,
            grantee_user=user,
            valid_from=_date(o["valid_from"]),
            valid_until=_date(o["valid_until"]),
            purpose=o["purpose"],
            actor=issuer,
        )
        self.stdout.write(f"已创建授权 #{grant.pk}：{grant}")
