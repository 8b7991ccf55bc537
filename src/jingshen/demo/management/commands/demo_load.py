from django.conf import settings

from jingshen.commands import JingshenCommand, progress_bar
from jingshen.demo.ledger import grassroots_units, write_vouchers_csv
from jingshen.demo.upper import write_upper_csv
from jingshen.demo.orgs import write_orgs_csv
from jingshen.demo.people import ensure_demo_people
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.demo.audits import ensure_demo_projects
from jingshen.demo.finance import ensure_demo_finance
from jingshen.demo.knowledge import ensure_demo_regulations
from jingshen.demo.knowledge_cases import ensure_demo_knowledge
from jingshen.demo.notices import ensure_demo_notices
from jingshen.demo.plans import ensure_demo_plan
from jingshen.demo.screening import ensure_province_run
from jingshen.demo.users import DEMO_PASSWORD, ensure_demo_users
from jingshen.orgs.services import import_orgs


class Command(JingshenCommand):
    help = "载入演示数据：一个省总工会、6 个市总工会、24 个县级总工会、150 个基层单位及其 2025 年凭证（约 30 万行），每个角色一个演示用户，西湖区三个基层工会的 2025 年预算表、西湖区基层工会的工资总额和工会企业财务摘要，两个演示审计项目（一个已归档，一个在实施中），一次全省疑点筛查，经审干部名册、培训记录和往期审计记录，省总工会本年度审计计划（草拟中），通知公告，以及法规库中的工会法和主要工会财务文件的要点。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（默认 2026）")

    def handle(self, seed, **options):
        path = write_orgs_csv(settings.HOME / "demo" / "orgs.csv", seed)
        result = import_orgs(path)
        self.stdout.write(f"演示单位：{result.summary()}")
        vouchers = write_vouchers_csv(settings.HOME / "demo" / "vouchers-2025.csv", grassroots_units(seed), seed=seed)
        with progress_bar("导入演示凭证") as progress:
            report = import_vouchers(settings.HOME / "demo" / "vouchers-2025.csv", progress=progress)
        self.stdout.write(f"演示凭证：{vouchers:,} 行；{report.summary()}")
        upper = write_upper_csv(settings.HOME / "demo" / "upper-2025.csv", settings.HOME / "demo" / "vouchers-2025.csv", seed=seed)
        report = import_vouchers(settings.HOME / "demo" / "upper-2025.csv")
        self.stdout.write(f"演示上级工会补助下级凭证：{upper:,} 行；{report.summary()}")
        users = ensure_demo_users()
        finance = ensure_demo_finance(settings.HOME / "demo", seed)  # before the projects, which pin the budgets
        self.stdout.write(f"演示穿透式监督数据：预算表 {len(finance['budgets'])} 份，工资总额 {finance['payroll']} 个单位，"
                          f"工会企业财务摘要 {finance['enterprises']} 个企业年度")
        projects = ensure_demo_projects()
        self.stdout.write(f"演示审计项目：{'、'.join(projects)}（一个已归档，一个在实施中）")
        run = ensure_province_run()
        self.stdout.write(f"演示疑点筛查：全省 {run.fiscal_year} 年，{run.flag_count:,} 个疑点（筛查 #{run.pk}）")
        people = ensure_demo_people(seed)
        self.stdout.write(f"演示经审干部：{people['staff']} 人，培训记录 {people['trainings']} 条，往期审计记录 {people['priors']} 条")
        plan = ensure_demo_plan()
        self.stdout.write(f"演示年度审计计划：{plan.owner_org.name} {plan.year} 年度，{plan.items.count()} 个计划事项（{plan.get_status_display()}）")
        self.stdout.write("演示法规库：")
        for line in ensure_demo_regulations():
            self.stdout.write(f"  {line}")
        kb = ensure_demo_knowledge()
        self.stdout.write(f"演示案例库和知识库：案例 {kb['cases']} 个、知识条目 {kb['guides']} 个、定性表述 {kb['wordings']} 条")
        self.stdout.write(f"演示通知公告：{ensure_demo_notices()} 条（省总工会 2 条、西湖区总工会 1 条）")
        self.stdout.write(f"演示用户（密码均为 {DEMO_PASSWORD}）：")
        for username, org, roles in users:
            self.stdout.write(f"  {username:<16} {roles:<16} {org}")
