from decimal import Decimal

from django.core.management.base import CommandError

from jingshen.audits.access import get_project_by_code
from jingshen.audits.reports import as_json, project_summary
from jingshen.commands import JingshenCommand


class Command(JingshenCommand):
    help = "显示一个审计项目：编号、名称、类型、被审计单位、年度、阶段、项目组、数据版本、审计发现。"

    def add_arguments(self, parser):
        parser.add_argument("code", help="项目编号，如 经审〔2026〕3号")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, code, **options):
        project = get_project_by_code(code)
        if project is None:
            raise CommandError(f"项目编号「{code}」不存在。")
        summary = project_summary(project)
        if options["json"]:
            self.stdout.write(as_json(summary))
            return
        self.stdout.write(f"{summary['code']} {summary['name']}（{summary['type']}）")
        self.stdout.write(f"阶段：{summary['stage']['name']}；年度：{project.years_text}；计划 {summary['planned_start']} 至 {summary['planned_end']}")
        self.stdout.write("被审计单位：" + "、".join(f"{u['name']}（{u['code']}）" for u in summary["units"]))
        self.stdout.write("项目组：" + "、".join(f"{m['name'] or m['username']}（{m['role']}，工时 {m['hours_spent']:g}/{m['hours_budget']}）" for m in summary["team"]))
        self.stdout.write(f"审计发现：{len(summary['findings'])} 项")
        for n, f in enumerate(summary["findings"], start=1):
            self.stdout.write(f"  {n}. [{f['problem_type']}] {f['title']}，涉及金额 {Decimal(f['amount']):,.2f} 元")
