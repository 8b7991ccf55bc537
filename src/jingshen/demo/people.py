"""The people behind the demo province, for 综合管理 and the portal's 审计覆盖率: a 经审干部 roster of
the province, city and county unions (经审委员 / 专职 / 兼职, the demo auditors linked to their
accounts), their training in 2025 and 2026 (集中培训, 以审代训, 轮岗交流, 交叉互审, with hours), and
往期审计记录 for most units over the seven years before this one and this year (so that coverage
over 1, 3 and 5 years gives different shares and some units were never audited).

Everything is planned from the seed first, then written through admin_center.services as the
province's 经审负责人 (each write checked and logged like a user's), skipping what exists:
loading again adds nothing. About 110 people, 400 trainings and 300 audits: a few seconds."""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from jingshen.accounts.models import User
from jingshen.admin_center import services
from jingshen.admin_center.models import PriorAudit, StaffProfile, StaffType, TrainingKind, TrainingRecord
from jingshen.audits.models import AuditType
from jingshen.orgs.models import Kind, Level, Org

ACTOR = "director"  # 浙江省总工会's 经审负责人: ROSTER and PRIOR_AUDIT over the whole province
TRAINING_YEARS = (2025, 2026)
PRIOR_YEARS = 7  # prior audits in the seven years before this one, and this year

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "华",
         "慧", "建华", "晓东", "海燕", "志刚", "雪梅", "丹", "鹏", "玲", "斌", "宁", "红梅", "文", "凯", "琳", "俊", "婷"]
QUALIFICATIONS = ["审计师", "高级审计师", "会计师", "高级会计师", "注册会计师", "国际注册内部审计师", "中级经济师", ""]
# (type, position) of each unit's roster, by level; the demo users of the unit fill the first places
ROSTER = {
    Level.PROVINCE: [(StaffType.FULL_TIME, "经审办主任"), (StaffType.COMMITTEE, "经审会主任"),
                     (StaffType.COMMITTEE, "经审会副主任"), (StaffType.COMMITTEE, "经审委员"),
                     (StaffType.FULL_TIME, "经审办副主任"), (StaffType.FULL_TIME, "审计专员"),
                     (StaffType.PART_TIME, "兼职审计员")],
    Level.CITY: [(StaffType.FULL_TIME, "经审办主任"), (StaffType.FULL_TIME, "审计专员"),
                 (StaffType.COMMITTEE, "经审会主任"), (StaffType.COMMITTEE, "经审委员"), (StaffType.PART_TIME, "兼职审计员")],
    Level.COUNTY: [(StaffType.FULL_TIME, "经审办主任"), (StaffType.FULL_TIME, "审计专员"),
                   (StaffType.COMMITTEE, "经审会主任"), (StaffType.PART_TIME, "兼职审计员")],
}
# the demo users who are 经审干部, in the order they take their unit's first roster places
LINKED = {"33": ["director", "leader"], "3301": ["teamlead", "auditor"], "3302": ["auditor_nb"],
          "330103": ["county_director", "county_lead"]}
TRAININGS = {  # kind: (titles, hours range, days)
    TrainingKind.CENTRAL: (["全省工会经审干部业务培训班", "工会财务会计制度专题培训", "工会经费审计实务培训班",
                            "经济责任审计专题研修班"], (16, 40), 3),
    TrainingKind.LEARNING_BY_AUDITING: (["参加基层工会财务收支审计（以审代训）", "参加工会经费收支审计（以审代训）"], (40, 120), 15),
    TrainingKind.ROTATION: (["到上级经审办轮岗交流", "到市总工会财务部轮岗交流"], (80, 160), 30),
    TrainingKind.CROSS_AUDIT: (["参加县级工会交叉互审", "参加市级工会交叉互审"], (24, 60), 10),
}
ORGANISERS = {TrainingKind.CENTRAL: "浙江省总工会经审办", TrainingKind.ROTATION: "浙江省总工会经审办"}


@dataclass(frozen=True)
class PlannedStaff:
    org_code: str
    name: str
    staff_type: str
    position: str
    qualifications: str
    username: str | None


def _names(rng: random.Random, n: int, taken: set[str]) -> list[str]:
    names = []
    while len(names) < n:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def plan_roster(orgs: list[Org], users: dict[str, User], seed: int) -> list[PlannedStaff]:
    rng = random.Random(f"{seed}-roster")
    planned = []
    for org in orgs:
        places = ROSTER.get(org.level)
        if not places:
            continue
        linked = [users[u] for u in LINKED.get(org.code, []) if u in users]
        taken = {u.display_name for u in linked}
        names = [u.display_name for u in linked] + _names(rng, len(places) - len(linked), taken)
        for i, ((staff_type, position), name) in enumerate(zip(places, names)):
            user = linked[i] if i < len(linked) else None
            quals = rng.sample(QUALIFICATIONS, rng.randint(0, 2)) if staff_type != StaffType.COMMITTEE else []
            planned.append(PlannedStaff(org.code, name, staff_type, position, "、".join(q for q in quals if q),
                                        user.username if user else None))
    return planned


def plan_trainings(staff: PlannedStaff, seed: int) -> list[tuple]:
    """(kind, title, organiser, start, end, hours) of one person's trainings in 2025 and 2026."""
    rng = random.Random(f"{seed}-training-{staff.org_code}-{staff.name}")
    planned = []
    kinds = list(TRAININGS)
    for year in TRAINING_YEARS:
        count = rng.randint(1, 3) if staff.staff_type != StaffType.COMMITTEE else rng.randint(0, 1)
        for kind in rng.sample(kinds, count):
            titles, (low, high), days = TRAININGS[kind]
            start = datetime.date(year, 1, 5) + datetime.timedelta(days=rng.randint(0, 300))
            end = start + datetime.timedelta(days=rng.randint(1, days) - 1)
            hours = Decimal(rng.randint(low * 2, high * 2)) / 2
            title = f"{year} 年{rng.choice(titles)}"
            organiser = ORGANISERS.get(kind, "")
            planned.append((kind, title, organiser, start, end, hours))
    return planned


def plan_prior_audits(orgs: list[Org], types: dict[str, AuditType], year: int, seed: int) -> list[tuple]:
    """(org, year, audit type, report number, auditing unit) of the audits done before the
    platform: county-level-and-above unions every 2-3 years, grassroots units less often, some
    units never (8 % above county level, 35 % of grassroots units)."""
    rng = random.Random(f"{seed}-prior")
    by_id = {o.pk: o for o in orgs}
    first = year - PRIOR_YEARS
    numbers: dict[tuple[int, int], int] = {}
    planned = []
    for org in orgs:
        grassroots = org.level == Level.GRASSROOTS
        if rng.random() < (0.35 if grassroots else 0.08):
            continue
        last = year - rng.choices(range(8), weights=[2, 3, 3, 2, 2, 1, 1, 1] if grassroots else [3, 4, 3, 2, 1, 1, 1, 1])[0]
        audited = last
        auditor = by_id.get(org.parent_id)
        while audited >= first:
            if org.kind == Kind.ENTERPRISE:
                kind = "工会企业审计"
            else:
                kind = rng.choices(["财务收支审计", "经济责任审计", "预算执行审计", "专项审计"],
                                   weights=[6, 2, 0 if grassroots else 2, 1])[0]
            prefix = (auditor.name[:2] if auditor else "全总") + "经审"
            n = numbers[(getattr(auditor, "pk", 0), audited)] = numbers.get((getattr(auditor, "pk", 0), audited), 0) + 1
            planned.append((org, audited, types[kind], f"{prefix}〔{audited}〕{n}号", auditor))
            audited -= rng.randint(3, 5) if grassroots else rng.randint(2, 3)
    return planned


def ensure_demo_people(seed: int = 2026) -> dict:
    """Write the planned roster, trainings and prior audits that do not exist yet; return the
    demo's totals (people, trainings, prior audits)."""
    actor = User.objects.get(username=ACTOR)
    orgs = list(Org.objects.order_by("path"))
    by_code = {o.code: o for o in orgs}
    users = {u.username: u for u in User.objects.filter(username__in=[n for names in LINKED.values() for n in names])}
    existing = {(s.org_id, s.name): s for s in StaffProfile.objects.all()}
    for planned in plan_roster(orgs, users, seed):
        org = by_code[planned.org_code]
        staff = existing.get((org.pk, planned.name))
        if staff is None:
            user = users.get(planned.username) if planned.username else None
            if user is not None and StaffProfile.objects.filter(user=user).exists():
                user = None  # someone linked the account to another person: keep theirs
            staff = services.create_staff(actor, org=org, name=planned.name, staff_type=planned.staff_type,
                                          position=planned.position, qualifications=planned.qualifications, user=user)
        done = set(TrainingRecord.objects.filter(staff=staff).values_list("title", "start_date"))
        for kind, title, organiser, start, end, hours in plan_trainings(planned, seed):
            if (title, start) not in done:
                services.add_training(actor, staff=staff, kind=kind, title=title, start_date=start, end_date=end,
                                      hours=hours, organiser=organiser)
    types = {t.name: t for t in AuditType.objects.all()}
    known = set(PriorAudit.objects.values_list("org_id", "year", "audit_type_id", "report_no"))
    for org, year, audit_type, report_no, auditor in plan_prior_audits(orgs, types, timezone.localdate().year, seed):
        if (org.pk, year, audit_type.pk, report_no) not in known:
            services.add_prior_audit(actor, org=org, year=year, audit_type=audit_type, report_no=report_no,
                                     auditor_org=auditor)
    return {"staff": StaffProfile.objects.count(), "trainings": TrainingRecord.objects.count(),
            "priors": PriorAudit.objects.count()}
