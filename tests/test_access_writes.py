"""Every write URL refuses a user who may see the object but not perform the write's action on
it — a 审计组长 of another branch with a cross-audit grant, the audit staff of a granted unit, a
领导查阅 — with a 404, and writes nothing.

The test finds the write URLs itself: every view whose code handles a POST must be listed in
WRITES with the action it performs, so a new form is covered the day it is added."""

import datetime
import inspect
import json

import pytest
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern

from jingshen.accounts.models import RoleCode, User
from jingshen.activity.models import ActivityLog
from jingshen.collection.models import NilReturn, ReportingSchedule, WatchedFile, WatchedFolder
from jingshen.api.models import APIKey, PushBatch, PushKind
from jingshen.admin_center.models import AnnualPlan, PlanItem, PriorAudit, StaffProfile, TrainingRecord
from jingshen.finance.models import (AssetRegister, Budget, BudgetLine, EnterpriseSummary, FixedAsset, FundVoucher, KeyFund, Payroll,
                                     ReconcileSetting)
from jingshen.audits.models import (
    AuditPlan,
    AuditProject,
    DataRequest,
    Evidence,
    Finding,
    FlagVerification,
    GeneratedDocument,
    PinnedBudget,
    PinnedDataset,
    ProjectMember,
    Rectification,
    ReviewNote,
    StageChange,
    TimeEntry,
    Workpaper,
    WorkpaperVersion,
)
from jingshen.knowledge import access as knowledge_access
from jingshen.knowledge.models import Article, Case, Guide, GuideAttachment, Regulation, StandardWording
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Account, Chart, ColumnMapping, Dataset, ImportJob
from jingshen.orgs import scope
from jingshen.orgs.models import Org, OrgAlias
from jingshen.portal.models import Notice
from jingshen.orgs.services import create_grant
from jingshen.orgs.models import CrossAuditGrant
from jingshen.orgs.services import OPERATOR, create_grant
from jingshen.screening.models import CustomRule, ParamOverride, ScreeningRun
from tests.conftest import make_user
from tests.ledger.conftest import voucher, write
from tests.test_access import all_patterns, fill

TARGET = "A1X"  # the unit every write below is aimed at
# URL name -> the action it performs, and on which unit: the target's, or the user's own
# (rule parameters and custom rules are set on the user's own unit).
WRITES = {
    "collect:index": (scope.IMPORT, "target"),
    "collect:job_mapping": (scope.IMPORT, "target"),
    "collect:chart_confirm": (scope.IMPORT, "target"),
    "screening:index": (scope.SCREEN, "target"),
    "screening:rule_params": (scope.CONFIGURE, "own"),
    "screening:custom_new": (scope.CONFIGURE, "own"),
    "screening:custom_rule": (scope.CONFIGURE, "target"),
    "user_reset_password": (scope.MANAGE, "target"),
    # 用户管理 and 单位管理 (综合管理): on the target unit or a user of it
    "user_create": (scope.MANAGE, "target"),
    "user_edit": (scope.MANAGE, "target"),
    "user_set_active": (scope.MANAGE, "target"),
    "orgs:edit": (scope.MANAGE, "target"),
    "orgs:new": (scope.MANAGE, "target"),
    "orgs:import": (scope.MANAGE, "target"),
    "audits:new": (scope.PLAN, "target"),
    # a project's writes are its team's (access.may_work / services.TRANSITIONS), never a viewer's
    "audits:acknowledge": (None, "project"),
    "audits:advance": (None, "project"),
    "audits:sign_review": (None, "project"),
    "audits:adopt": (None, "project"),
    "audits:adopt_budget": (None, "project"),
    "audits:start_run": (None, "project"),
    "audits:generate_notice": (None, "project"),
    "audits:generate_draft": (None, "project"),
    "audits:generate_report": (None, "project"),
    "audits:generate_rectification_notice": (None, "project"),
    "audits:plan": (None, "project"),
    "audits:send_request": (None, "project"),
    "audits:answer": (scope.RESPOND, "target"),
    "audits:rectify": (scope.RESPOND, "target"),
    "audits:workpaper_new": (None, "project"),
    "audits:workpaper": (None, "project"),
    "audits:workpaper_submit": (None, "project"),
    "audits:workpaper_sign_off": (None, "project"),
    "audits:note_add": (None, "project"),
    "audits:note_answer": (None, "project"),
    "audits:note_close": (None, "project"),
    "audits:evidence_upload": (None, "project"),
    "audits:verification_evidence_upload": (None, "project"),
    "audits:finding_evidence_upload": (None, "project"),
    "audits:evidence_remove": (None, "project"),
    "audits:hours": (None, "project"),
    "audits:hours_delete": (None, "project"),
    "audits:flag": (None, "project"),
    "audits:verification": (None, "project"),
    "audits:finding_new": (None, "project"),
    "audits:finding": (None, "project"),
    # knowledge is published for the user's own unit, and repealed only by its publishers
    "knowledge:regulation_upload": (scope.PUBLISH, "own"),
    "knowledge:regulation_repeal": (scope.PUBLISH, "target"),
    # 案例库: cases are written by audit staff at their own unit, changed, submitted and withdrawn by
    # their author, turned from a finding by its author, approved by a 经审负责人 strictly above
    "knowledge:case_new": (scope.AUDIT, "own"),
    "knowledge:case": (None, "author"),
    "knowledge:case_submit": (None, "author"),
    "knowledge:case_withdraw": (None, "author"),
    "knowledge:case_from_finding": (None, "author"),
    "knowledge:case_approve": (scope.PUBLISH, "approver"),
    "knowledge:case_return": (scope.PUBLISH, "approver"),
    # 知识条目 and 定性表述: published at one's own unit, changed by the publishers of theirs
    "knowledge:guide_new": (scope.PUBLISH, "own"),
    "knowledge:guide": (scope.PUBLISH, "target"),
    "knowledge:guide_delete": (scope.PUBLISH, "target"),
    "knowledge:guide_attach": (scope.PUBLISH, "target"),
    "knowledge:attachment_remove": (scope.PUBLISH, "target"),
    "knowledge:wording_new": (scope.PUBLISH, "own"),
    "knowledge:wording": (scope.PUBLISH, "target"),
    "knowledge:wording_delete": (scope.PUBLISH, "target"),
    # 综合管理: the roster and training of a unit, its 往期审计记录, and grants on it
    "admin_center:staff_new": (scope.ROSTER, "target"),
    "admin_center:staff_edit": (scope.ROSTER, "target"),
    "admin_center:staff_active": (scope.ROSTER, "target"),
    "admin_center:training_new": (scope.ROSTER, "target"),
    "admin_center:training_delete": (scope.ROSTER, "target"),
    "admin_center:prior_new": (scope.PRIOR_AUDIT, "target"),
    "admin_center:prior_import": (scope.PRIOR_AUDIT, "own"),  # each row is checked against the scope (tests/admin_center)
    "admin_center:prior_delete": (scope.PRIOR_AUDIT, "target"),
    "admin_center:grant_new": (scope.GRANT, "target"),
    "admin_center:grant_revoke": (scope.GRANT, "target"),
    # 通知公告: published in the name of one's own unit, withdrawn by the publishers of the notice's unit
    "portal:notice_new": (scope.NOTIFY, "own"),
    "portal:notice_withdraw": (scope.NOTIFY, "target"),
    # 穿透式监督: a budget is imported for the unit named in the form by those who import its data
    "finance:budget_import": (scope.IMPORT, "target"),
    "finance:register_import": (scope.IMPORT, "target"),
    # 年度审计计划: written by the plan's own unit (PLAN held there, by role), approved by its 经审负责人
    "admin_center:plan_propose": (scope.PLAN, "own"),
    "admin_center:plan_note": (scope.PLAN, "owner"),
    "admin_center:plan_item_add": (scope.PLAN, "owner"),
    "admin_center:plan_item_edit": (scope.PLAN, "owner"),
    "admin_center:plan_item_remove": (scope.PLAN, "owner"),
    "admin_center:plan_item_project": (scope.PLAN, "owner"),
    "admin_center:plan_delete": (scope.PLAN, "owner"),
    "admin_center:plan_approve": (scope.APPROVE, "target"),
    "admin_center:plan_return": (scope.APPROVE, "target"),
    # API 密钥 (综合管理): made for and revoked on a unit by its administrators
    "apikeys:new": (scope.MANAGE, "target"),
    "apikeys:revoke": (scope.MANAGE, "target"),
    "finance:payroll_import": (scope.IMPORT, "own"),  # each row is checked against the scope (tests/finance)
    "finance:enterprise_import": (scope.IMPORT, "own"),  # likewise (tests/finance/test_enterprises.py)
    "finance:fixed_fund_check": (scope.CONFIGURE, "target"),
    # 重点资金: defined for a unit by those who configure it; vouchers tagged by those who audit it
    "finance:fund_new": (scope.CONFIGURE, "target"),
    "finance:fund": (scope.CONFIGURE, "target"),
    "finance:fund_tag": (scope.AUDIT, "target"),
    "finance:fund_untag": (scope.AUDIT, "target"),
    # 报送计划: set for a unit by those who chase its data
    "collection:schedule_set": (scope.SCHEDULE, "target"),
    # 联网采集: data pushed for a unit by those who import its data (tests/api/test_push.py for keys)
    **{f"api-push-{kind}": (scope.IMPORT, "target") for kind in PushKind.values},
    # 监控文件夹: a folder on the server is set by the unit's administrators; 零报送 is declared by its importers
    "collection:watch_set": (scope.MANAGE, "target"),
    "collection:nil_declare": (scope.IMPORT, "target"),
}
# Django's own authentication views, and one's own password, which every user may change
# (tests/accounts/test_passwords.py)
NOT_WRITES = {"login", "logout", "password_change"}
COUNTED = (ActivityLog, User, Org, ImportJob, Dataset, ColumnMapping, Chart, Account, ScreeningRun, CustomRule, ParamOverride,
           AuditProject, ProjectMember, PinnedDataset, StageChange, GeneratedDocument, AuditPlan, DataRequest, Workpaper,
           WorkpaperVersion, ReviewNote, Evidence, FlagVerification, Finding, Rectification, TimeEntry, Regulation, Article,
           Case, Guide, GuideAttachment, StandardWording, StaffProfile, TrainingRecord, PriorAudit, CrossAuditGrant, Notice,
           Budget, BudgetLine, AssetRegister, FixedAsset, AnnualPlan, PlanItem, Payroll, EnterpriseSummary, ReconcileSetting,
           PinnedBudget, OrgAlias, KeyFund, FundVoucher, ReportingSchedule, APIKey, PushBatch, WatchedFolder, WatchedFile,
           NilReturn)


def handles_post(callback) -> bool:
    view = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view is not None:
        return any(hasattr(view, m) for m in ("post", "put", "patch", "delete", "create", "update", "destroy"))
    return "POST" in inspect.getsource(inspect.unwrap(callback))


def write_patterns():
    from django.urls import get_resolver

    def walk(resolver, ns=""):
        for p in resolver.url_patterns:
            if isinstance(p, URLPattern):
                yield (ns + p.name if p.name else p.name), p.callback
            else:
                yield from walk(p, ns + (f"{p.namespace}:" if p.namespace else ""))

    return {name for name, callback in walk(get_resolver()) if handles_post(callback)}


def test_every_write_url_declares_its_action():
    found = write_patterns() - NOT_WRITES
    assert found == set(WRITES), f"new or removed write URLs: {found ^ set(WRITES)} — declare their action in WRITES"


@pytest.fixture
def target_objects(personas, tree, tmp_path):
    """Objects of the target unit for the write URLs to aim at."""
    path = write(tmp_path / "凭证.csv", voucher(1, org=TARGET))
    import_vouchers(path)
    contact = personas["contact"]
    job = ImportJob(kind="accounts", original_name="科目表.csv", sha256="0" * 64, created_by=contact, owner_org=contact.org,
                    org=tree[TARGET], status="failed")
    job.file.save("科目表.csv", File(path.open("rb")), save=True)
    rule = CustomRule.objects.create(owner_org=tree[TARGET], code=f"CU-{TARGET}-001", name="测试规则", category="财务",
                                     level="line", severity="中", weight=0.5, explanation="{summary}",
                                     sql="SELECT org, fiscal_year, period, voucher_type, voucher_no, line_no, amount, summary FROM lines",
                                     created_by=contact)
    from jingshen.screening.models import Flag
    from jingshen.screening.services import run_screening
    from tests.test_access import (
        api_key_of,
        audit_project,
        fund_objects,
        notice_of,
        people_objects,
        plan_objects,
        audit_request,
        knowledge_objects,
        rectification_item,
        time_entry,
        verification_and_finding,
        workpaper_objects,
    )

    run = run_screening(year=2025, org=tree[TARGET], rule_codes=["JS-CASH-001"])
    flag = Flag.objects.create(run=run, rule="JS-CASH-001", rule_name="大额现金支付", category="财务", severity="中", score=50,
                               org=tree[TARGET], fiscal_year=2025, period=1, voucher_type="记", voucher_no=1, message="测试疑点")
    other = Flag.objects.create(run=run, rule="JS-CASH-001", rule_name="大额现金支付", category="财务", severity="中", score=50,
                                org=tree[TARGET], fiscal_year=2025, period=1, voucher_type="记", voucher_no=2, message="未核实的疑点")
    project = audit_project(tree[TARGET])
    verification, finding = verification_and_finding(project, flag)
    return {"code": TARGET, "job_id": str(job.pk), "rule_id": str(rule.pk), "username": contact.username,
            "project_id": str(project.pk), "request_id": str(audit_request(project).pk), "flag_id": str(other.pk),
            "verification_id": str(verification.pk), "finding_id": str(finding.pk),
            "item_id": str(rectification_item(finding).pk)} | workpaper_objects(project) | {
            "time_entry_id": str(time_entry(project).pk), "regulation_id": str(own_rules(tree[TARGET], tmp_path).pk)} | \
        knowledge_objects(tree[TARGET], contact) | people_objects(tree[TARGET], contact) | \
        {"notice_id": str(notice_of(tree[TARGET]).pk)} | plan_objects(tree[TARGET], contact) | fund_objects(tree[TARGET]) | \
        {"dataset_id": str(Dataset.objects.get(org=tree[TARGET]).pk), "period": "1", "voucher_type": "记", "voucher_no": "1"} | \
        {"key_id": str(api_key_of(tree[TARGET]).pk)}


def own_rules(org, tmp_path):
    """A 本单位制度 of the target unit (read by the grantees, repealed only by its publishers)."""
    from jingshen.knowledge.services import import_regulation

    text = tmp_path / "制度.md"
    text.write_text("第一条 本单位经费管理制度。\n", encoding="utf-8")
    return import_regulation(None, text, name="经费管理制度", edition="1", org=org).regulation


def post_data(name: str, tree) -> dict:
    target = tree[TARGET]
    return {
        "collect:index": {"kind": "vouchers", "org": target.code,
                          "file": SimpleUploadedFile("凭证.csv", "单位编码,会计年度\n".encode())},
        "collect:job_mapping": {"name": "替换科目表", "field-科目编码": "科目编码", "field-科目名称": "科目名称"},
        "collect:chart_confirm": {"role-102": "cash"},
        "screening:index": {"org": TARGET, "year": "2025"},
        "screening:rule_params": {"rule": "JS-CASH-001", "param": "min_amount", "value": "1"},
        "screening:custom_new": {"name": "越权规则", "category": "财务", "level": "line", "severity": "中", "weight": "0.5",
                                 "explanation": "{summary}", "sql": "SELECT * FROM lines", "action": "save"},
        "user_reset_password": {},
        "user_create": {"username": "intruder", "display_name": "越权", "org": TARGET, "roles": ["auditor"]},
        "user_edit": {"display_name": "越权", "org": TARGET, "roles": ["admin"]},
        "user_set_active": {"active": "0"},
        "orgs:edit": {"name": "越权改名", "level": "grassroots", "kind": "grassroots_union", "member_count": "1", "parent": "B1"},
        "orgs:new": {"code": "INTRUDER", "name": "越权单位", "level": "grassroots", "kind": "grassroots_union"},
        "orgs:import": {"file": SimpleUploadedFile("单位.csv", "单位编码,单位名称,上级单位编码,层级,单位性质,会员人数\nZZ,越权,A1X,基层,基层工会,1\n".encode())},
        "audits:new": {"code": "越权〔2026〕1号", "name": "越权立项", "audit_type": "1", "units": [TARGET], "years": ["2025"],
                       "planned_start": "2026-01-01", "planned_end": "2026-02-01", "notice_days": "3", "hours": "10"},
        "audits:acknowledge": {},
        "audits:advance": {"to_stage": "survey"},
        "audits:sign_review": {},
        "audits:adopt": {"dataset": "1"},
        "audits:adopt_budget": {"budget": "1"},
        "audits:start_run": {"year": "2025"},
        "audits:generate_notice": {},
        "audits:generate_draft": {"deadline": "2030-01-01"},
        "audits:generate_report": {},
        "audits:generate_rectification_notice": {},
        "audits:plan": {"objectives": "越权"},
        "audits:send_request": {"org": TARGET, "title": "越权", "items": "x", "due_date": "2030-01-01"},
        "audits:answer": {"answer": "越权答复"},
        "audits:rectify": {"action": "remind"},
        **{name: {"org": TARGET, "index_no": "Z-9", "matter": "越权底稿", "period_text": "2025 年度", "procedures": "x",
                  "conclusion": "x"} for name in ("audits:workpaper_new", "audits:workpaper")},
        "audits:workpaper_submit": {},
        "audits:workpaper_sign_off": {},
        "audits:note_add": {"text": "越权意见"},
        "audits:note_answer": {"reply": "越权答复"},
        "audits:note_close": {},
        **{name: {"file": SimpleUploadedFile("越权.pdf", b"%PDF-1.4\n%%EOF\n"), "description": "x"}
           for name in ("audits:evidence_upload", "audits:verification_evidence_upload", "audits:finding_evidence_upload")},
        "audits:evidence_remove": {"reason": "越权删除"},
        "audits:hours": {"work_date": datetime.date.today().isoformat(), "hours": "2", "description": "越权工时"},
        "audits:hours_delete": {},
        "audits:flag": {"op": "verify", "status": "confirmed"},
        "audits:verification": {"op": "verify", "status": "dismissed", "reason": "越权排除"},
        "audits:finding_new": {"problem_type": "1", "org": TARGET, "title": "越权发现", "amount": "1", "description": "x"},
        "audits:finding": {"problem_type": "1", "org": TARGET, "title": "越权修改", "amount": "1", "description": "x"},
        "knowledge:regulation_upload": {"name": "越权发布", "edition": "1", "level": "unit", "org": TARGET,
                                        "file": SimpleUploadedFile("越权.md", "第一条 越权。\n".encode())},
        "knowledge:regulation_repeal": {"replaced_by": ""},
        **{name: {"title": "越权案例", "year": "2025", "problem_type": "1", "amount": "1", "facts": "越权"}
           for name in ("knowledge:case_new", "knowledge:case")},
        **{name: {"note": "越权"} for name in ("knowledge:case_submit", "knowledge:case_withdraw", "knowledge:case_approve",
                                                "knowledge:case_return")},
        "knowledge:case_from_finding": {},
        **{name: {"kind": "guide", "title": "越权指引", "body": "越权"} for name in ("knowledge:guide_new", "knowledge:guide")},
        "knowledge:guide_delete": {},
        "knowledge:guide_attach": {"file": SimpleUploadedFile("越权.pdf", b"%PDF-1.4\n%%EOF\n")},
        "knowledge:attachment_remove": {},
        **{name: {"problem_type": "1", "title": "越权表述", "wording": "越权"} for name in ("knowledge:wording_new", "knowledge:wording")},
        "knowledge:wording_delete": {},
        **{name: {"org": TARGET, "name": "越权干部", "staff_type": "part_time"}
           for name in ("admin_center:staff_new", "admin_center:staff_edit")},
        "admin_center:staff_active": {"active": "0"},
        "admin_center:training_new": {"staff": str(StaffProfile.objects.get(org=target).pk), "kind": "central", "title": "越权培训",
                                      "start_date": "2026-01-01", "end_date": "2026-01-02", "hours": "8"},
        "admin_center:training_delete": {},
        "admin_center:prior_new": {"org": TARGET, "year": "2022", "audit_type": "1", "report_no": "越权"},
        "admin_center:prior_import": {"file": SimpleUploadedFile("往期.csv", f"单位编码,审计年度,审计类型\n{TARGET},2022,财务收支审计\n".encode())},
        "admin_center:prior_delete": {},
        "admin_center:grant_new": {"target": TARGET, "grantee_org": "B", "valid_from": "2026-01-01", "valid_until": "2026-12-31",
                                   "purpose": "越权授权"},
        "admin_center:grant_revoke": {"reason": "越权撤销"},
        "portal:notice_new": {"title": "越权通知", "body": "越权"},
        "portal:notice_withdraw": {},
        "apikeys:new": {"org": TARGET, "name": "越权密钥", "scopes": ["read_flags"]},
        "apikeys:revoke": {},
        "finance:budget_import": {"org": TARGET, "year": "2025", "file": SimpleUploadedFile(
            "预算.csv", "科目编号,名称,上年决算数,本年预算数\n401,会费收入,1,1\n".encode())},
        "finance:register_import": {"org": TARGET, "file": SimpleUploadedFile(
            "资产.csv", "资产编号,名称,类别,取得日期,原值\nZC-1,越权电脑,办公设备,2025-01-01,1\n".encode())},
        "admin_center:plan_propose": {"year": str(datetime.date.today().year + 1), "units": [TARGET], "audit_type": "1",
                                      "fiscal_years": "2025", "planned_start": f"{datetime.date.today().year + 1}-03-01",
                                      "planned_end": f"{datetime.date.today().year + 1}-04-01"},
        "admin_center:plan_note": {"note": "越权修改"},
        **{name: {"org": TARGET, "audit_type": "2", "fiscal_years": "2024", "planned_start": f"{datetime.date.today().year}-03-01",
                  "planned_end": f"{datetime.date.today().year}-04-01"}
           for name in ("admin_center:plan_item_add", "admin_center:plan_item_edit")},
        "admin_center:plan_item_remove": {},
        "admin_center:plan_item_project": {"code": "越权〔2026〕2号", "name": "越权立项", "leader": "contact", "hours": "1",
                                           "notice_days": "3"},
        "admin_center:plan_delete": {},
        "admin_center:plan_approve": {},
        "admin_center:plan_return": {"reason": "越权退回"},
        "finance:fixed_fund_check": {"org": TARGET, "year": "2025"},
        "finance:fund_new": {"org": TARGET, "name": "越权资金", "keywords": "专项"},
        "finance:fund": {"name": "越权改名", "keywords": "专项"},
        "finance:fund_tag": {"fund": str(KeyFund.objects.get(org=None, name="送温暖").pk)},
        "finance:fund_untag": {},
        "collection:schedule_set": {"org": TARGET, "frequency": "monthly", "lag_months": "1", "due_day": "10"},
        **{f"api-push-{kind}": {"batch_id": "intrusion-1", "org": TARGET, "fiscal_year": 2025,
                                "rows": [{"凭证日期": "2025-01-05", "凭证号": "9", "科目编码": "102", "借方金额": "1"}]}
           for kind in PushKind.values},
        "collection:watch_set": {"org": TARGET, "path": "/srv/越权", "mode": "merge", "active": "on"},
        "collection:nil_declare": {"org": TARGET, "year": "2025", "period": "2"},
        "finance:payroll_import": {"file": SimpleUploadedFile("工资.csv", f"单位编码,会计年度,工资总额\n{TARGET},2025,100\n".encode())},
        "finance:enterprise_import": {"file": SimpleUploadedFile(
            "企业.csv", f"单位编码,会计年度,所有者权益年初数,所有者权益年末数,净利润\n{TARGET},2025,100,90,-10\n".encode())},
        "screening:custom_rule": {"name": "改名", "category": "财务", "level": "line", "severity": "中", "weight": "0.5",
                                  "explanation": "{summary}", "sql": "SELECT * FROM lines", "action": "save"},
    }[name]


def send(client, url: str, name: str, data: dict):
    """POST ``data`` as a form, or as JSON to an API endpoint."""
    if name.startswith("api-"):
        return client.post(url, json.dumps(data, ensure_ascii=False), content_type="application/json")
    return client.post(url, data)


def grantees(personas, tree) -> dict:
    """Users who may see the target but are not its importers or configurers."""
    today = datetime.date.today()
    lead_b = make_user("B", "lead_b", RoleCode.TEAM_LEAD)  # a user grantee (审计组长 of the other branch)
    create_grant(target=tree[TARGET], grantee_user=lead_b, valid_from=today, valid_until=today, purpose="交叉互审", actor=OPERATOR)
    create_grant(target=tree[TARGET], grantee_org=tree["B1"], valid_from=today, valid_until=today, purpose="交叉互审", actor=OPERATOR)
    b1_auditor = make_user("B1", "b1_auditor", RoleCode.AUDITOR)  # audit staff of a unit grantee
    return {"user grantee": lead_b, "unit grantee": b1_auditor, "leader": personas["leader"],
            "province director": personas["prov_director"]}


def counts() -> dict:
    """Rows of every model a write could touch, and every password (a reset changes one)."""
    return {m.__name__: m.objects.count() for m in COUNTED} | {
        "passwords": sorted(User.objects.values_list("password", flat=True)),
        "accounts": sorted(User.objects.values_list("username", "display_name", "is_active", "org_id")),  # 用户管理
        "units": sorted(Org.objects.values_list("code", "name", "parent_id", "path")),  # 单位管理
        "notices": sorted(Notice.objects.values_list("pk", "withdrawn_at")),  # 通知公告 withdrawn
    }


@pytest.mark.django_db
def test_write_urls_refuse_those_who_may_only_view(client, personas, tree, target_objects):
    checked = 0
    routes = {name: route for route, name, _ in all_patterns()}
    for label, user in grantees(personas, tree).items():
        client.force_login(user)
        assert scope.can(user, scope.VIEW, tree[TARGET]), label  # each of them sees the target
        for name, (action, on) in WRITES.items():
            unit = tree[TARGET] if on == "target" else user.org
            if on == "approver":  # a 经审负责人 of a unit strictly above the case's (the province's director)
                may = knowledge_access.may_approve(user, Case.objects.get(pk=target_objects["case_id"]))
            elif on == "owner":  # a plan is written only by users of its own unit holding the action there
                may = user.org_id == tree[TARGET].pk and scope.can(user, action, tree[TARGET])
            else:  # "project": the project's team; "author": the object's author only — never these users
                may = on not in ("project", "author") and scope.can(user, action, unit)
            if may:
                continue  # may act: not this test's case (the grantees may screen the target)
            before = counts()
            response = send(client, fill(routes[name], target_objects), name, post_data(name, tree))
            assert response.status_code == 404, f"{label} {name}: {response.status_code}"
            assert counts() == before, f"{label} {name} wrote something"
            checked += 1
    assert checked >= 20


@pytest.mark.django_db
def test_a_grantee_cannot_replace_the_chart_of_a_unit_through_a_refused_job(client, personas, tree, target_objects):
    """The hole: re-running another unit's refused job with one's own column mapping."""
    lead_b = grantees(personas, tree)["user grantee"]
    client.force_login(lead_b)
    url = f"/collect/jobs/{target_objects['job_id']}/mapping/"
    assert client.get(url).status_code == 404
    assert client.post(url, post_data("collect:job_mapping", tree)).status_code == 404
    assert not ImportJob.objects.filter(created_by=lead_b).exists() and not Chart.objects.filter(org=tree[TARGET]).exists()


@pytest.mark.django_db
def test_a_grant_opens_one_unit_to_screening_not_its_subtree(client, personas, tree, tmp_path):
    """The hole: a grant on a county let the grantee screen the county's whole subtree."""
    for code in ("A1", "A1X"):
        import_vouchers(write(tmp_path / f"{code}.csv", voucher(1, org=code)))
    lead_b = make_user("B", "lead_b", RoleCode.TEAM_LEAD)
    today = datetime.date.today()
    create_grant(target=tree["A1"], grantee_user=lead_b, valid_from=today, valid_until=today, purpose="交叉互审", actor=OPERATOR)
    client.force_login(lead_b)
    response = client.post("/screening/", {"org": "A1", "year": "2025", "rules": ["JS-CASH-001"]})
    assert response.status_code == 302
    run = ScreeningRun.objects.get(started_by=lead_b)
    assert set(run.datasets.values_list("org__code", flat=True)) == {"A1"}  # not A1X below it
    page = client.get(f"/screening/runs/{run.pk}/").content.decode()
    assert "1 个单位" in page
    # the start is in the activity log, with who started it
    assert ActivityLog.objects.filter(action="screening.start", actor=lead_b, object_id=str(run.pk)).exists()
    # the unit's own audit staff screen the whole subtree as before
    a_auditor = personas["a_auditor"]
    client.force_login(a_auditor)
    client.post("/screening/", {"org": "A1", "year": "2025", "rules": ["JS-CASH-001"]})
    own = ScreeningRun.objects.get(started_by=a_auditor)
    assert set(own.datasets.values_list("org__code", flat=True)) == {"A1", "A1X"}
