from django.core.management.base import CommandError

from jingshen.commands import JingshenCommand, acting_user
from jingshen.orgs.models import CrossAuditGrant
from jingshen.orgs.services import revoke_grant


class Command(JingshenCommand):
    help = "撤销交叉互审授权。"

    def add_arguments(self, parser):
        parser.add_argument("grant_id", type=int, help="授权编号（见 jingshen grants list）")
        parser.add_argument("--by", required=True, metavar="用户名", help="撤销人：授权人本人，或可对被审计单位授权的经审负责人、系统管理员")
        parser.add_argument("--reason", default="", help="撤销原因")

    def handle(self, grant_id, **options):
        actor = acting_user(options["by"])
        grant = CrossAuditGrant.objects.filter(pk=grant_id).first()
        if grant is None:
            raise CommandError(f"授权 #{grant_id} 不存在。")
        if not revoke_grant(grant, actor=actor, reason=options["reason"]):
            self.stdout.write(f"授权 #{grant_id} 此前已撤销。")
            return
        self.stdout.write(f"已撤销授权 #{grant_id}。")
