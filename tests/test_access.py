"""Every URL of the platform, page or API, enforces login and the unit scope.

The test walks the URL configuration itself, so a new view is covered the day it is added:
a URL parameter this test does not know how to fill makes it fail, asking for an ownership
check of the new view."""

import datetime

import pytest
from django.core.files import File
from django.urls import URLPattern, URLResolver, get_resolver

from jingshen.accounts.models import RoleCode, User
from jingshen.activity.services import record
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset, ImportJob
from jingshen.orgs.models import Org
from jingshen.screening.models import CustomRule, Flag
from jingshen.screening.services import run_screening
from jingshen.api.models import PushKind
from tests.conftest import make_user
from tests.ledger.conftest import voucher, write

PUBLIC = {"login", "healthz"}  # reachable without logging in
POST_ONLY = {"logout", "collect:chart_confirm", "screening:rule_params", "user_reset_password", "user_set_active", "audits:acknowledge",
             "audits:advance", "audits:sign_review", "audits:adopt", "audits:adopt_budget", "finance:fixed_fund_check", "audits:start_run", "audits:generate_notice", "audits:generate_draft",
             "audits:generate_report", "audits:generate_rectification_notice",
             "audits:plan", "audits:send_request", "audits:answer", "audits:rectify", "audits:workpaper_submit",
             "audits:workpaper_sign_off", "audits:note_add", "audits:note_answer", "audits:note_close", "audits:evidence_upload",
             "audits:verification_evidence_upload", "audits:finding_evidence_upload", "audits:evidence_remove",
             "audits:hours", "audits:hours_delete", "knowledge:regulation_repeal",
             "knowledge:case_submit", "knowledge:case_approve", "knowledge:case_return", "knowledge:case_withdraw",
             "knowledge:case_from_finding", "knowledge:guide_delete", "knowledge:guide_attach", "knowledge:attachment_remove",
             "knowledge:wording_delete", "admin_center:staff_active", "admin_center:training_delete",
             "admin_center:prior_delete", "admin_center:grant_revoke", "portal:notice_withdraw", "admin_center:plan_note",
             "admin_center:plan_item_add", "admin_center:plan_approve", "admin_center:plan_return",
             "admin_center:plan_delete", "admin_center:plan_item_edit", "admin_center:plan_item_remove",
             "admin_center:plan_item_project", "finance:fund_tag", "finance:fund_untag", "collection:schedule_set", "apikeys:revoke",
             "collection:watch_set", "collection:nil_declare", *(f"api-push-{kind}" for kind in PushKind.values)}
# the query string a URL needs to answer 200 (a required parameter)
QUERY = {"api-knowledge-search": "?q=经费"}
# pages under /api/ (the API's documentation): sent to login like every page, not refused in JSON
API_PAGES = {"api-docs"}


def all_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{p.namespace}:" if p.namespace else ""
            for route, name, params in all_patterns(p, prefix + str(p.pattern)):
                yield route, (ns + name if name else name), params
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.name, list(p.pattern.converters)


def fill(route: str, values: dict) -> str:
    import re

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route)


KNOWN_PARAMS = {"code", "dataset_id", "account_code", "period", "voucher_type", "voucher_no", "job_id", "kind", "run_id",
                "flag_id", "rule_id", "username", "entry_id", "project_id", "document_id", "request_id", "wp_id", "note_id",
                "evidence_id", "verification_id", "finding_id", "item_id", "time_entry_id", "regulation_id", "number",
                "case_id", "guide_id", "attachment_id", "wording_id", "staff_id", "training_id", "prior_id", "grant_id",
                "notice_id", "budget_id", "register_id", "plan_id", "plan_item_id", "fund_id", "tag_id", "key_id", "watched_file_id"}
# parameters naming a unit or an object of a unit
OWNED_PARAMS = {"code", "dataset_id", "job_id", "run_id", "flag_id", "rule_id", "username", "entry_id", "project_id", "document_id",
                "request_id", "wp_id", "note_id", "evidence_id", "verification_id", "finding_id", "item_id", "time_entry_id",
                "regulation_id", "case_id", "guide_id", "attachment_id", "wording_id", "staff_id", "training_id", "prior_id",
                "grant_id", "notice_id", "budget_id", "register_id", "plan_id", "plan_item_id", "fund_id", "tag_id", "key_id",
                "watched_file_id"}
# knowledge published at a unit is read in its subtree (共建共享): these objects of a unit above the
# persona's are read (200) there, while their writes stay 404; so are 通知公告 of a unit above (received)
# and the key funds (重点资金) a unit above defined for the units below it
READ_DOWN_PARAMS = {"guide_id", "attachment_id", "wording_id", "notice_id", "fund_id"}


def values_for(code: str, tmp_path=None) -> dict:
    """URL parameter values for unit ``code``. With ``tmp_path``, a voucher dataset of that unit
    is imported, holding voucher 记-1 of period 1 on accounts 50102 and 102."""
    values = {"code": code, "dataset_id": "0", "account_code": "102", "period": "1",
              "voucher_type": "记", "voucher_no": "1", "job_id": "0", "kind": "vouchers",
              "run_id": "0", "flag_id": "0", "rule_id": "0", "username": "nobody", "entry_id": "0", "project_id": "0",
              "document_id": "0", "request_id": "0", "wp_id": "0", "note_id": "0", "evidence_id": "0",
              "verification_id": "0", "finding_id": "0", "item_id": "0", "time_entry_id": "0", "regulation_id": "0",
              "number": "1", "case_id": "0", "guide_id": "0", "attachment_id": "0", "wording_id": "0",
              "staff_id": "0", "training_id": "0", "prior_id": "0", "grant_id": "0", "notice_id": "0", "budget_id": "0",
              "register_id": "0", "plan_id": "0", "plan_item_id": "0", "fund_id": "0", "tag_id": "0", "key_id": "0",
              "watched_file_id": "0"}
    if tmp_path is not None:
        path = write(tmp_path / f"{code}.csv", voucher(1, org=code))
        import_vouchers(path)
        values["dataset_id"] = str(Dataset.objects.get(org__code=code, kind="vouchers").pk)
        uploader = User.objects.filter(org__code=code).first() or make_user(code, f"uploader_{code}", RoleCode.AUDITOR)
        job = ImportJob(kind="vouchers", original_name=path.name, sha256="0" * 64, created_by=uploader, owner_org=uploader.org)
        job.file.save(path.name, File(path.open("rb")), save=True)
        values["job_id"] = str(job.pk)
        values["username"] = uploader.username  # a user of the unit (重置密码)
        org = Org.objects.get(code=code)
        run = run_screening(year=2025, org=org, rule_codes=["JS-CASH-001"])
        flag = Flag.objects.create(run=run, rule="JS-CASH-001", rule_name="大额现金支付", category="财务", severity="中",
                                   score=50, org=org, fiscal_year=2025, period=1, voucher_type="记", voucher_no=1,
                                   message="测试疑点", dataset=Dataset.objects.get(org=org, kind="vouchers"))
        values["run_id"], values["flag_id"] = str(run.pk), str(flag.pk)
        rule = CustomRule.objects.create(owner_org=org, code=f"CU-{code}-001", name="测试规则", category="财务", level="line",
                                         severity="中", weight=0.5, explanation="x", sql="SELECT * FROM lines",
                                         created_by=uploader)
        values["rule_id"] = str(rule.pk)
        values["entry_id"] = str(record("test.entry", f"{org.name}的操作日志", org=org).pk)
        project = audit_project(org)
        values["project_id"] = str(project.pk)
        values["document_id"] = str(audit_document(project).pk)
        values["request_id"] = str(audit_request(project).pk)
        values |= workpaper_objects(project)
        verification, finding = verification_and_finding(project, flag)
        values["verification_id"], values["finding_id"] = str(verification.pk), str(finding.pk)
        values["item_id"] = str(rectification_item(finding).pk)
        values["time_entry_id"] = str(time_entry(project).pk)
        values["regulation_id"] = str(own_rules_below(org, tmp_path).pk)
        values |= knowledge_objects(org, uploader)
        values |= people_objects(org, uploader)
        values["notice_id"] = str(notice_of(org).pk)
        values["budget_id"] = str(budget_of(org).pk)
        values["register_id"] = str(register_of(org).pk)
        values |= plan_objects(org, uploader)
        values |= fund_objects(org)
        values["key_id"] = str(api_key_of(org).pk)
        values["watched_file_id"] = str(watched_file_of(org).pk)
    return values


def watched_file_of(org: Org):
    """A refused file of ``org``'s watched folder (written directly: tests/collection/test_watch.py
    tests the pass)."""
    from jingshen.collection.models import FileStatus, WatchedFile, WatchedFolder

    folder = WatchedFolder.objects.create(org=org, path=f"/srv/exports/{org.code}")
    return WatchedFile.objects.create(folder=folder, name=f"{org.code}.csv", sha256="0" * 64, status=FileStatus.REFUSED,
                                      summary="文件被拒绝", errors=[{"file": f"{org.code}.csv", "row": 2, "column": "借方金额",
                                                                  "value": "x", "reason": "金额无法识别。"}], error_total=1)


def fund_objects(org: Org) -> dict:
    """A key fund of ``org`` and a voucher of it tagged with the fund (written directly:
    tests/finance/test_funds.py tests the services)."""
    from jingshen.finance.models import FundVoucher, KeyFund

    fund = KeyFund.objects.create(org=org, name=f"{org.code}专项资金", keywords=["专项"])
    tag = FundVoucher.objects.create(fund=fund, org=org, fiscal_year=2025, period=1, voucher_type="记", voucher_no=1)
    return {"fund_id": str(fund.pk), "tag_id": str(tag.pk)}


def notice_of(org: Org):
    """A 通知公告 of ``org`` by its 经审负责人 (written directly: tests/portal tests the services)."""
    from jingshen.portal.models import Notice

    director = make_user(org.code, f"notify_{org.code}", RoleCode.DIRECTOR)
    return Notice.objects.create(org=org, title=f"{org.name}的通知", body="通知正文", published_by=director)


def people_objects(org: Org, user) -> dict:
    """综合管理 records of ``org``: a 经审干部 with a training record, a 往期审计记录, and a
    cross-audit grant on it to one of its own users (so it opens nothing to anyone else), written
    directly: tests/admin_center tests the services."""
    from jingshen.admin_center.models import PriorAudit, StaffProfile, TrainingRecord
    from jingshen.audits.models import AuditType
    from jingshen.orgs.models import CrossAuditGrant

    staff = StaffProfile.objects.create(org=org, name="张经审", staff_type="part_time")
    today = datetime.date.today()
    training = TrainingRecord.objects.create(staff=staff, kind="central", title="经审业务培训", start_date=today,
                                             end_date=today, hours=8, created_by=user)
    prior = PriorAudit.objects.create(org=org, year=2023, audit_type=AuditType.objects.first(), report_no="测审〔2023〕1号",
                                      created_by=user)
    grant = CrossAuditGrant.objects.create(target=org, grantee_user=user, valid_from=today, valid_until=today, purpose="测试")
    return {"staff_id": str(staff.pk), "training_id": str(training.pk), "prior_id": str(prior.pk), "grant_id": str(grant.pk)}


def budget_of(org: Org):
    """A budget version of ``org`` with one line, written directly: tests/finance tests the import."""
    from jingshen.finance.models import Budget, BudgetLine

    budget = Budget.objects.create(org=org, fiscal_year=2025, version=1, source_name="预算.csv", source_hash="0" * 64)
    BudgetLine.objects.create(budget=budget, row=2, kind="account", code="401", name="会费收入", amount=1)
    return budget


def register_of(org: Org):
    """An asset register version of ``org`` with one card, written directly (tests/finance tests the import)."""
    from jingshen.finance.models import AssetRegister, FixedAsset

    register = AssetRegister.objects.create(org=org, version=1, source_name="资产.csv", source_hash="0" * 64)
    FixedAsset.objects.create(register=register, row=2, asset_no="ZC-1", name="电脑", category="办公设备",
                              acquired_on=datetime.date(2025, 1, 1), original_value=1, status="in_use")
    return register
def api_key_of(org: Org):
    """An API key of ``org`` with every scope, made as the command line makes it."""
    from jingshen.api.services import create_key
    from jingshen.orgs.scope import KEY_SCOPES
    from jingshen.orgs.services import OPERATOR

    return create_key(org=org, name=f"{org.name}对接", scopes=list(KEY_SCOPES), actor=OPERATOR)[0]


def plan_objects(org: Org, user) -> dict:
    """A 年度审计计划 of ``org`` with one item, written directly (tests/admin_center/test_plans.py
    tests the services)."""
    from jingshen.admin_center.models import AnnualPlan, PlanItem
    from jingshen.audits.models import AuditType

    today = datetime.date.today()
    plan = AnnualPlan.objects.create(owner_org=org, year=today.year, created_by=user)
    item = PlanItem.objects.create(plan=plan, org=org, audit_type=AuditType.objects.first(), reason="manual", fiscal_years=[2025],
                                   planned_start=today, planned_end=today)
    return {"plan_id": str(plan.pk), "plan_item_id": str(item.pk)}


def own_rules_below(org: Org, tmp_path):
    """A 本单位制度 (with 第一条) of a new grassroots unit directly below ``org``: knowledge is read
    up the tree as well as down (knowledge/access.py), so a regulation of ``org`` itself would
    be readable by the units below it; one of a leaf of its own is read only by ``org``'s side."""
    from jingshen.knowledge.services import import_regulation
    from jingshen.orgs.services import import_orgs
    from tests.conftest import write_csv

    import_orgs(write_csv(tmp_path / f"leaf-{org.code}.csv", [[f"{org.code}K", f"{org.name}下属知识库测试工会", org.code, "基层",
                                                               "基层工会", "20"]]))
    text = tmp_path / f"制度-{org.code}.md"
    text.write_text("第一条 本单位经费管理制度。\n", encoding="utf-8")
    return import_regulation(None, text, name="经费管理制度", edition="1", org=Org.objects.get(code=f"{org.code}K")).regulation


def knowledge_objects(org: Org, author) -> dict:
    """A case of ``org`` waiting for approval (read by its author and the approvers above only), a
    guide of ``org`` with an attachment and a standard wording (read in the subtree of ``org``),
    written directly: tests/knowledge tests the services."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jingshen.audits import evidence
    from jingshen.audits.models import ProblemType
    from jingshen.knowledge.models import Case, CaseStatus, Guide, GuideAttachment, StandardWording

    problem = ProblemType.objects.first()
    case = Case.objects.create(owner_org=org, title="测试案例", year=2025, problem_type=problem, facts="某单位违规发放购物卡。",
                               author=author, status=CaseStatus.SUBMITTED)
    guide = Guide.objects.create(owner_org=org, title="测试指引", body="**操作指引**", author=author)
    stored = evidence.check_and_store(SimpleUploadedFile("指引附件.pdf", b"%PDF-1.4\n%%EOF\n"))
    attachment = GuideAttachment.objects.create(guide=guide, sha256=stored.sha256, size=stored.size,
                                                content_type=stored.content_type, kind=stored.kind,
                                                original_name=stored.original_name, storage_name=stored.storage_name,
                                                uploaded_by=author)
    wording = StandardWording.objects.create(owner_org=org, problem_type=problem, title="测试表述", wording="违规发放",
                                             author=author)
    return {"case_id": str(case.pk), "guide_id": str(guide.pk), "attachment_id": str(attachment.pk),
            "wording_id": str(wording.pk)}


def audit_document(project):
    """An audit notice of the project (generated in its 实施方案 stage)."""
    from jingshen.audits.models import AuditProject, Stage
    from jingshen.audits.paperwork import generate_notice
    from jingshen.audits.services import acknowledge_discipline

    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.PLAN)
    lead = project.members.get().user
    acknowledge_discipline(lead, project)
    return generate_notice(lead, project)


def audit_request(project):
    """A data request (审前调查) of the project to its unit."""
    from jingshen.audits.models import DataRequest

    unit = project.units.get().org
    return DataRequest.objects.create(project=project, org=unit, title="资料清单", items="账簿", due_date=datetime.date.today(),
                                      sent_by=project.members.get().user)


def audit_project(org: Org):
    """An audit project on ``org`` by the 经审会 of the unit above it (or of itself, at the top)."""
    from jingshen.audits.models import AuditType, ProjectRole
    from jingshen.audits.services import TeamMember, create_project

    owner = org.parent or org
    lead = make_user(owner.code, f"lead_{owner.code}_{org.code}", RoleCode.TEAM_LEAD)
    today = datetime.date.today()
    return create_project(lead, code=f"测〔2026〕{org.code}号", name=f"{org.name}审计", audit_type=AuditType.objects.first(),
                          units=[org], fiscal_years=[2025], planned_start=today, planned_end=today,
                          team=[TeamMember(lead, ProjectRole.LEADER)])


def workpaper_objects(project) -> dict:
    """A workpaper of the project with a review note and an evidence file, by its 组长."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jingshen.audits import workpapers
    from jingshen.audits.services import acknowledge_discipline

    lead = project.members.get().user
    acknowledge_discipline(lead, project)
    unit = project.units.get().org
    wp = workpapers.create_workpaper(lead, project, org=unit, index_no="A-1", matter="经费收入", period_text="2025 年度",
                                     procedures="核对收入凭证", conclusion="未见异常")
    note = workpapers.add_note(lead, wp, "请补充依据。")
    item = workpapers.add_evidence(lead, wp, SimpleUploadedFile("取证单.pdf", b"%PDF-1.4\n%%EOF\n"))
    return {"wp_id": str(wp.pk), "note_id": str(note.pk), "evidence_id": str(item.pk)}


def verification_and_finding(project, flag):
    """A 属实 verification of ``flag`` in ``project`` and a finding made from it (written directly:
    the URL walks need the objects, tests/audits/test_findings.py tests the services)."""
    from jingshen.audits.findings import key_of
    from jingshen.audits.models import Finding, FlagVerification, ProblemType

    verification = FlagVerification.objects.create(
        project=project, org=flag.org, fiscal_year=flag.fiscal_year, period=flag.period, voucher_type=flag.voucher_type,
        voucher_no=flag.voucher_no, line_no=flag.line_no, rule=flag.rule, key=key_of(flag), status="confirmed",
        flag_id=flag.pk, run_id=flag.run_id, rule_name=flag.rule_name, message=flag.message)
    finding = Finding.objects.create(project=project, org=flag.org, problem_type=ProblemType.objects.first(), title="测试发现",
                                     amount=1, description="测试", created_by=project.created_by)
    finding.verifications.add(verification)
    return verification, finding


def time_entry(project):
    """Two hours the project's 组长 (acknowledged in workpaper_objects) recorded today."""
    from jingshen.audits.services import record_hours

    return record_hours(project.members.get().user, project, datetime.date.today(), "2", "查阅凭证")


def rectification_item(finding):
    from jingshen.audits.models import Rectification

    return Rectification.objects.create(finding=finding, deadline=datetime.date.today())


def test_every_url_parameter_is_known():
    for route, name, params in all_patterns():
        unknown = set(params) - KNOWN_PARAMS
        assert not unknown, f"{name} ({route}) takes {unknown}: add its ownership case to tests/test_access.py"


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login_or_refused(client, tree):
    for route, name, _ in all_patterns():
        if name in PUBLIC:
            continue
        url = fill(route, values_for("A1X"))
        response = client.get(url)
        if url.startswith("/api/") and name not in API_PAGES:
            assert response.status_code in (401, 403), url
        else:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.django_db
def test_public_urls_keep_what_they_reveal_to_themselves(client, client_for, personas):
    """The public health check answers "ok" to anyone; its deep report (every unit's datasets,
    the log) only to an administrator of the whole installation, and 404 to everyone else."""
    assert client.get("/healthz").content == b"ok\n"
    assert client.get("/healthz?deep=1").status_code == 404
    for name in personas:
        expected = {200, 503} if name == "prov_admin" else {404}  # 503: a check failed (no worker runs in tests)
        assert client_for(name).get("/healthz?deep=1").status_code in expected, name


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona,foreign",
    [("a_auditor", "B1X"), ("b_auditor", "A1"), ("a1_auditor", "A2"), ("contact", "A1"), ("a_auditor", "P")],
)
def test_no_view_reveals_a_unit_outside_scope(client_for, personas, persona, foreign, tmp_path):
    client = client_for(persona)
    values = values_for(foreign, tmp_path)
    above = Org.objects.get(code=foreign).pk in personas[persona].org.ancestor_ids()
    checked = 0
    for route, name, params in all_patterns():
        if not OWNED_PARAMS & set(params):
            continue
        url = fill(route, values)
        response = client.post(url) if name in POST_ONLY else client.get(url)
        expected = 200 if above and READ_DOWN_PARAMS & set(params) and name not in POST_ONLY else 404
        assert response.status_code == expected, f"{persona} reached {url}: {response.status_code}"
        checked += 1
    assert checked >= 3  # the unit page, its tree fragment and the API detail, at least


@pytest.mark.django_db
def test_no_view_reveals_a_unit_outside_an_administrators_scope(client, personas, tmp_path):
    # 系统管理员 of 甲市 manages its branch (MANAGE): a unit and a user of 乙市 stay unknown
    client.force_login(make_user("A", "a_admin", RoleCode.ADMIN))
    values = values_for("B1X", tmp_path)
    before = User.objects.get(username=values["username"]).password
    for route, name, params in all_patterns():
        if OWNED_PARAMS & set(params):
            url = fill(route, values)
            response = client.post(url) if name in POST_ONLY else client.get(url)
            assert response.status_code == 404, f"a_admin reached {url}: {response.status_code}"
    assert User.objects.get(username=values["username"]).password == before


@pytest.mark.django_db
def test_views_answer_for_units_in_scope(client, personas, tmp_path):
    # 经审负责人 and 系统管理员 of the city: every action on every page of the branch
    client.force_login(make_user("A", "a_all", RoleCode.DIRECTOR, RoleCode.ADMIN))
    values = values_for("A1X", tmp_path)
    for route, name, params in all_patterns():
        if name in PUBLIC | POST_ONLY or name == "api-schema":
            continue
        url = fill(route, values) + QUERY.get(name, "")
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_lists_only_hold_units_in_scope(client_for):
    client = client_for("b_auditor")
    home = client.get("/").content.decode()
    assert "乙市总工会" in home and "甲市总工会" not in home
    api = client.get("/api/v1/orgs/").json()
    assert {o["code"] for o in api["results"]} == {"B", "B1", "B1X"}
    assert client.get("/api/v1/orgs/?parent=A").status_code == 404
