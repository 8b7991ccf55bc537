from django.utils import timezone

from jingshen.commands import JingshenCommand
from jingshen.orgs.models import CrossAuditGrant


class Command(JingshenCommand):
    help = "列出交叉互审授权（含状态：生效中/未开始/已过期/已撤销）。"

    def handle(self, **options):
        today = timezone.localdate()
        grants = CrossAuditGrant.objects.select_related("target", "grantee_org", "grantee_user").order_by("-id")
        if not grants:
            self.stdout.write("暂无交叉互审授权。")
        for g in grants:
            if g.revoked_at:
                state = "已撤销"
            elif today < g.valid_from:
                state = "未开始"
            elif today > g.valid_until:
                state = "已过期"
            else:
                state = "生效中"
            self.stdout.write(f"#{g.pk}\t{state}\t{g}\t{g.purpose}")
