from django.core.management.base import CommandError

from jingshen.audits.models import AuditProject, Stage
from jingshen.audits.reports import as_json, project_summary
from jingshen.commands import JingshenCommand
from jingshen.orgs.models import Org


class Command(JingshenCommand):
    help = "列出审计项目（--org 只列出该单位及其下级单位作为审计单位或被审计单位的项目）。"

    def add_arguments(self, parser):
        parser.add_argument("--org", help="单位编码")
        parser.add_argument("--json", action="store_true", help="输出 JSON（每个项目一个对象的数组）")

    def handle(self, org, **options):
        projects = AuditProject.objects.select_related("owner_org", "audit_type").order_by("code")
        if org:
            unit = Org.objects.filter(code=org).first()
            if unit is None:
                raise CommandError(f"单位编码「{org}」不存在。")
            projects = projects.filter(owner_org__path__startswith=unit.path) | projects.filter(
                units__org__path__startswith=unit.path)
            projects = projects.distinct()
        if options["json"]:
            self.stdout.write(as_json([project_summary(p) for p in projects]))
            return
        if not projects:
            self.stdout.write("暂无审计项目。")
        for p in projects:
            self.stdout.write(f"{p.code}\t{Stage(p.stage).label}\t{p.audit_type.name}\t{p.name}\t{p.years_text}\t{p.owner_org.name}")
