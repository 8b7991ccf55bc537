"""A 年度审计计划 of 浙江省总工会's 经审会 for this year, proposed from the demo's current risk (the
province-wide run) and coverage (one 往期审计记录 of 宁波 four years ago, so one unit is proposed for
a gap rather than for never having been audited), and left as a draft for the demo director to
adjust, approve and start as projects. Made through the services users call; idempotent."""

import datetime

from django.utils import timezone

from jingshen.accounts.models import User
from jingshen.admin_center import plans, services
from jingshen.admin_center.models import AnnualPlan, PriorAudit
from jingshen.audits.models import AuditType
from jingshen.orgs.models import Org

PROVINCE = "33"
GAP_UNIT = "3302"  # 宁波市总工会: audited four years before the plan year


def ensure_demo_plan() -> AnnualPlan:
    year = timezone.localdate().year
    director = User.objects.get(username="director")
    plan = AnnualPlan.objects.filter(owner_org__code=PROVINCE, year=year).first()
    if plan is not None:
        return plan
    finance = AuditType.objects.get(name="财务收支审计")
    gap = Org.objects.get(code=GAP_UNIT)
    if not PriorAudit.objects.filter(org=gap).exists():
        services.add_prior_audit(director, org=gap, year=year - 4, audit_type=finance, report_no=f"浙工经审〔{year - 4}〕3号")
    items = []
    for n, c in enumerate(plans.propose(director, year, plans.DEFAULT_THRESHOLD)):
        start = datetime.date(year, 3 + n % 9, 1)
        items.append(services.ItemSpec(org=c.org, audit_type=finance, fiscal_years=[year - 1], planned_start=start,
                                       planned_end=start + datetime.timedelta(days=40), reason=c.reason,
                                       reason_text=c.reason_text(year, plans.DEFAULT_THRESHOLD), risk_score=c.risk_score,
                                       last_audited=c.last_audited))
    note = (f"根据下审一级原则，{year} 年度对风险分不低于 {plans.DEFAULT_THRESHOLD} 的单位、从未审计的单位和"
            f"{plans.GAP_YEARS} 年以上未审计的单位安排财务收支审计。")
    return services.create_plan(director, year=year, items=items, note=note)
