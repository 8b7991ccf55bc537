from django.core.management.base import CommandError

from jingshen.commands import JingshenCommand
from jingshen.orgs.models import CrossAuditGrant
from jingshen.orgs.services import revoke_grant


class Command(JingshenCommand):
    help = "撤销交叉互审授权。"

    def add_arguments(self, parser):
        parser.add_argument("grant_id", type=int, help="授权编号（见 jingshen grants list）")

    def handle(self, grant_id, **options):
        grant = CrossAuditGrant.objects.filter(pk=grant_id).first()
        if grant is None:
            raise CommandError(f"授权 #{grant_id} 不存在。")
        revoke_grant(grant)
        self.stdout.write(f"已撤销授权 #{grant_id}。")
