"""案例库: anonymisation against the unit tree, the users and the ledger; the approval flow by role;
who reads a case at each step; the pages (list filters, 转为案例 on a finding, approve/return)."""

from decimal import Decimal

import pytest

from jingshen.accounts.models import RoleCode
from jingshen.accounts.services import create_user
from jingshen.activity.models import ActivityLog
from jingshen.audits.models import Finding, ProblemType
from jingshen.knowledge import access, cases
from jingshen.knowledge.models import Case, CaseStatus
from jingshen.knowledge.signals import content_changed
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.orgs.models import Org
from jingshen.orgs.services import import_orgs
from tests.conftest import PASSWORD, TREE, make_user, write_csv
from tests.ledger.conftest import line, write
from tests.test_access import audit_project


@pytest.fixture
def problem(db):
    return ProblemType.objects.get(name="违规发放")


@pytest.fixture
def a_director(personas):
    return make_user("A", "a_director", RoleCode.DIRECTOR)


def draft(user, problem, **changes):
    values = {"title": "违规发放购物卡", "year": 2025, "problem_type": problem, "amount": "12000",
              "facts": "某单位以职工福利名义集中购买购物卡发放给全体会员。", "handling": "责令整改", "lessons": "严格执行标准",
              "unit_kind": "grassroots_union", "rules": []}
    return cases.create_case(user, **(values | changes))


@pytest.fixture
def signals():
    received = []

    def listener(sender, instance, deleted, **kwargs):
        received.append((sender, instance.pk, instance.status, deleted))

    content_changed.connect(listener)
    yield received
    content_changed.disconnect(listener)


# --- anonymisation ------------------------------------------------------------------------------------


def test_names_come_from_the_tree_with_short_forms_and_codes_and_from_the_users(personas, tmp_path):
    import_orgs(write_csv(tmp_path / "more.csv", TREE + [["3301001", "甲市一区机械厂工会", "A1", "基层", "基层工会", "50"]]))
    create_user(org=Org.objects.get(code="A1"), username="lisi2025", password=PASSWORD, roles=[RoleCode.AUDITOR],
                display_name="李四")
    text = ("甲市一区电子公司工会委员会于 2025 年向会员发放购物卡；甲市一区电子公司另有超标准支出，"
            "3301001 号单位（甲市一区机械厂）同样如此。经办人李四（账号 lisi2025），a1_auditor 复核。"
            "金额 33010012 元不是编码。")
    found = dict(cases.find_names(text))
    assert found == {"甲市一区电子公司工会委员会": "unit", "甲市一区电子公司": "unit", "3301001": "unit",
                     "甲市一区机械厂": "unit", "李四": "person", "lisi2025": "person", "a1_auditor": "person"}
    clean = cases.anonymise(text)
    assert cases.find_names(clean) == []
    assert clean.startswith("某单位于 2025 年向会员发放购物卡；某单位另有超标准支出，某单位 号单位（某单位）")
    assert "经办人某人（账号 某人），某人 复核" in clean
    assert "33010012 元" in clean  # digits inside a longer number are not a code
    # a code shorter than four characters (A1, 33) and a role shown as a name are no names
    assert cases.find_names("A1 级，33 个，系统管理员") == []


def test_a_finding_becomes_a_draft_case_without_unit_person_or_ledger_names(personas, tree, tmp_path, problem):
    rows = [line(org="A1X", no="1", line_no="1", code="50102", debit="8000.00", payee="甲市百货商贸有限公司",
                 preparer="钱多多", reviewer="孙审核", summary="购买购物卡"),
            line(org="A1X", no="1", line_no="2", code="102", name="银行存款", credit="8000.00", payee="甲市百货商贸有限公司",
                 preparer="钱多多", reviewer="孙审核", summary="购买购物卡")]
    import_vouchers(write(tmp_path / "凭证.csv", rows))
    project = audit_project(tree["A1X"])  # by the 组长 of 甲市一区总工会, the dataset pinned at 立项
    lead = project.created_by
    finding = Finding.objects.create(
        project=project, org=tree["A1X"], problem_type=problem, title="甲市一区电子公司工会违规发放购物卡", amount=Decimal("8000"),
        description="凭证 记-1 摘要“购买购物卡”：甲市一区电子公司工会委员会向甲市百货商贸有限公司购买购物卡 8,000 元，"
                    "制单人钱多多，审核人孙审核，联络人 contact 确认。",
        basis="《工会会计制度》", recommendation="甲市一区总工会督促收回。", vouchers=[[2025, 1, "记", 1]], created_by=lead)
    with pytest.raises(PermissionError, match="填写人"):
        cases.case_from_finding(personas["a1_auditor"], finding)
    case = cases.case_from_finding(lead, finding)
    assert case.status == CaseStatus.DRAFT and case.author == lead and case.owner_org == lead.org
    assert case.source_finding == finding and case.problem_type == problem and case.amount == Decimal("8000.00")
    assert case.year == 2025 and case.unit_kind == "grassroots_union"
    assert case.title == "某单位违规发放购物卡"
    for name in ("甲市一区电子公司", "甲市百货商贸有限公司", "钱多多", "孙审核", "contact", "甲市一区"):
        assert name not in case_text(case), name
    assert "某单位向某单位购买购物卡 8,000 元，制单人某人，审核人某人，联络人 某人 确认" in case.facts
    assert "定性依据：《工会会计制度》" in case.facts and case.handling == "审计建议：某单位督促收回。"
    assert ActivityLog.objects.filter(action="knowledge.case_create", object_id=str(case.pk)).exists()
    # the ledger's names are checked when the case is made; the tree and users on every submission
    cases.submit(lead, case)


def case_text(case):
    return "\n".join([case.title, case.facts, case.handling, case.lessons])


def test_submission_is_refused_while_a_known_name_remains(personas, problem):
    author = personas["a1_auditor"]
    case = draft(author, problem, facts="乙市一区医院工会委员会与甲市总工会均有此问题。", lessons="a_auditor 提醒")
    with pytest.raises(ValueError) as refused:
        cases.submit(author, case)
    message = str(refused.value)
    assert "「乙市一区医院工会委员会」（单位名称）" in message and "「甲市总工会」" in message and "「a_auditor」（人名）" in message
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT
    cases.update_case(author, case, **editable(case, facts="某单位与某单位均有此问题。", lessons="审计人员提醒"))
    assert cases.submit(author, case).status == CaseStatus.SUBMITTED


def editable(case, **changes):
    values = {"title": case.title, "unit_kind": case.unit_kind, "year": case.year, "problem_type": case.problem_type,
              "amount": case.amount, "facts": case.facts, "handling": case.handling, "lessons": case.lessons,
              "rules": case.rules}
    return values | changes


# --- writing and the approval flow -------------------------------------------------------------------


def test_only_audit_staff_write_cases_and_amounts_are_never_negative(personas, problem):
    for name in ("leader", "contact", "prov_admin"):
        with pytest.raises(PermissionError, match="审计人员"):
            draft(personas[name], problem)
    with pytest.raises(ValueError, match="不能为负数"):
        draft(personas["a_auditor"], problem, amount="-0.01")
    with pytest.raises(ValueError, match="请填写基本事实"):
        draft(personas["a_auditor"], problem, facts=" ")
    with pytest.raises(ValueError, match="不在规则目录中"):
        draft(personas["a_auditor"], problem, rules=["JS-NOPE-999"])
    case = draft(personas["a_auditor"], problem, rules=["JS-CASH-001", "JS-CASH-001"])
    assert case.rules == ["JS-CASH-001"] and case.owner_org.code == "A"
    with pytest.raises(PermissionError, match="编写人"):
        cases.update_case(personas["a_lead"], case, **editable(case))


def test_the_approver_must_be_a_director_strictly_above_and_not_the_author(personas, a_director, problem, signals):
    # a case of the city is approved above the city only
    case = draft(personas["a_auditor"], problem)
    with pytest.raises(PermissionError):
        cases.submit(personas["a_lead"], case)  # only the author submits
    cases.submit(personas["a_auditor"], case)
    for name, who in (("same unit", a_director), ("author", personas["a_auditor"]), ("leader", personas["leader"]),
                      ("other branch", personas["b_auditor"])):
        with pytest.raises(PermissionError):
            cases.approve(who, case)
    # a director's own case is never approved by the director
    own = draft(a_director, problem)
    cases.submit(a_director, own)
    with pytest.raises(PermissionError, match="不能审核自己"):
        cases.approve(a_director, own)
    published = cases.approve(personas["prov_director"], case, "同意")
    assert published.status == CaseStatus.PUBLISHED and published.approved_org.code == "P"
    assert published.approved_by == personas["prov_director"] and published.review_note == "同意"
    assert signals == [(Case, case.pk, CaseStatus.PUBLISHED, False)]
    assert ActivityLog.objects.filter(action="knowledge.case_approve", object_id=str(case.pk)).count() == 1
    with pytest.raises(ValueError, match="已发布"):
        cases.approve(personas["prov_director"], case)


def test_a_returned_case_is_edited_and_submitted_again(personas, a_director, problem, signals):
    author = personas["a1_auditor"]
    case = cases.submit(author, draft(author, problem))
    with pytest.raises(ValueError, match="退回理由"):
        cases.return_case(a_director, case, " ")
    returned = cases.return_case(a_director, case, "补充处理结果")
    assert returned.status == CaseStatus.RETURNED and returned.review_note == "补充处理结果"
    cases.update_case(author, returned, **editable(returned, handling="已全部收回"))
    cases.submit(author, returned)
    published = cases.approve(a_director, returned)
    assert published.approved_org.code == "A" and signals == [(Case, case.pk, CaseStatus.PUBLISHED, False)]
    with pytest.raises(ValueError, match="须先撤回"):
        cases.update_case(author, published, **editable(published))
    # a reader who is neither the author nor an approver cannot withdraw it
    with pytest.raises(PermissionError):
        cases.withdraw(personas["a_auditor"], published)
    withdrawn = cases.withdraw(author, published, "数据有误")
    assert withdrawn.status == CaseStatus.WITHDRAWN and withdrawn.approved_org is None
    assert signals[-1] == (Case, case.pk, CaseStatus.WITHDRAWN, False)
    assert [e.action for e in ActivityLog.objects.filter(object_id=str(case.pk), action__startswith="knowledge.case")
            .order_by("seq")] == ["knowledge.case_create", "knowledge.case_submit", "knowledge.case_return",
                                  "knowledge.case_update", "knowledge.case_submit", "knowledge.case_approve",
                                  "knowledge.case_withdraw"]


# --- who reads a case ------------------------------------------------------------------------------


def readers(case, personas, extra=()):
    users = dict(personas) | dict(extra)
    return {name for name, u in users.items() if access.cases_for(u).filter(pk=case.pk).exists()}


def test_visibility_at_each_step(personas, a_director, problem):
    author = personas["a1_auditor"]
    case = draft(author, problem)
    extra = {"a_director": a_director}
    assert readers(case, personas, extra) == {"a1_auditor"}  # a draft: its author only
    cases.submit(author, case)
    # submitted: the author and the approvers above (甲市's director, the province's director and administrator)
    assert readers(case, personas, extra) == {"a1_auditor", "a_director", "prov_director", "prov_admin"}
    cases.approve(a_director, case)
    # published at 甲市: its subtree and those above who see it; never the other branch
    assert readers(case, personas, extra) == {"a1_auditor", "a_director", "a_auditor", "a_lead", "contact", "prov_director",
                                              "prov_admin", "leader"}
    cases.withdraw(a_director, case)
    assert readers(case, personas, extra) == {"a1_auditor"}
    cases.submit(author, case)
    cases.approve(personas["prov_director"], case)  # published at the province: every branch reads it
    assert "b_auditor" in readers(case, personas, extra)


def test_case_pages_answer_404_to_those_who_may_not_read(client_for, personas, a_director, problem):
    author = personas["a1_auditor"]
    case = draft(author, problem, title="县里的案例")
    assert client_for("a_auditor").get(f"/knowledge/cases/{case.pk}/").status_code == 404
    assert client_for("b_auditor").get(f"/knowledge/cases/{case.pk}/").status_code == 404
    mine = client_for("a1_auditor").get("/knowledge/cases/?mine=1").content.decode()
    assert "县里的案例" in mine and "草稿" in mine
    cases.submit(author, case)
    cases.approve(a_director, case)
    assert client_for("a_auditor").get(f"/knowledge/cases/{case.pk}/").status_code == 200
    assert "县里的案例" in client_for("a_auditor").get("/knowledge/cases/").content.decode()
    assert client_for("b_auditor").get(f"/knowledge/cases/{case.pk}/").status_code == 404
    assert "县里的案例" not in client_for("b_auditor").get("/knowledge/cases/").content.decode()
    # a case published higher is read in the other branch
    other = cases.submit(personas["b_auditor"], draft(personas["b_auditor"], problem, title="另一分支的案例"))
    cases.approve(personas["prov_director"], other)
    page = client_for("a_auditor").get("/knowledge/cases/?problem_type=%d&year=2025&unit_kind=grassroots_union" % problem.pk)
    assert "另一分支的案例" in page.content.decode() and "县里的案例" in page.content.decode()
    assert "另一分支的案例" not in client_for("a_auditor").get("/knowledge/cases/?year=2024").content.decode()


def test_approval_through_the_pages(client, personas, a_director, problem):
    author = personas["a1_auditor"]
    client.force_login(author)
    response = client.post("/knowledge/cases/new/", {"title": "页面案例", "year": "2025", "problem_type": problem.pk,
                                                     "amount": "-5", "facts": "某单位……"})
    assert response.status_code == 200 and "涉及金额不能为负数" in response.content.decode()
    response = client.post("/knowledge/cases/new/", {"title": "页面案例", "year": "2025", "problem_type": problem.pk,
                                                     "amount": "1,200.50", "facts": "甲市一区电子公司……",
                                                     "rules": ["JS-CASH-001"]})
    case = Case.objects.get(title="页面案例")
    assert response.status_code == 302 and case.amount == Decimal("1200.50") and case.rules == ["JS-CASH-001"]
    page = client.get(f"/knowledge/cases/{case.pk}/").content.decode()
    assert "「甲市一区电子公司」（单位名称）" in page and '/screening/rules/#JS-CASH-001' in page
    client.post(f"/knowledge/cases/{case.pk}/submit/")
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT
    client.post(f"/knowledge/cases/{case.pk}/", {"title": "页面案例", "year": "2025", "problem_type": problem.pk,
                                                 "amount": "1200.50", "facts": "某单位……"})
    client.post(f"/knowledge/cases/{case.pk}/submit/")
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    # the author sees no approval buttons and may not approve by posting
    assert "审核发布" not in client.get(f"/knowledge/cases/{case.pk}/").content.decode()
    assert client.post(f"/knowledge/cases/{case.pk}/approve/").status_code == 404
    client.force_login(a_director)
    assert "待我审核" in client.get("/knowledge/cases/").content.decode()
    client.post(f"/knowledge/cases/{case.pk}/return/", {"note": "请补充启示"})
    case.refresh_from_db()
    assert case.status == CaseStatus.RETURNED and case.review_note == "请补充启示"
    client.force_login(author)
    client.post(f"/knowledge/cases/{case.pk}/submit/")
    client.force_login(a_director)
    client.post(f"/knowledge/cases/{case.pk}/approve/", {"note": ""})
    case.refresh_from_db()
    assert case.status == CaseStatus.PUBLISHED and case.approved_org.code == "A"


def test_the_finding_page_offers_to_turn_it_into_a_case_to_its_author_only(client, personas, tree, problem):
    project = audit_project(tree["A1X"])
    lead = project.created_by
    from jingshen.audits.services import acknowledge_discipline

    acknowledge_discipline(lead, project)
    finding = Finding.objects.create(project=project, org=tree["A1X"], problem_type=problem, title="甲市一区电子公司超标准发放",
                                     amount=1, description="甲市一区电子公司工会委员会超标准发放慰问品。", created_by=lead)
    other = make_user("A1", "a1_member", RoleCode.AUDITOR)
    client.force_login(other)
    assert client.post(f"/knowledge/cases/from-finding/{finding.pk}/").status_code == 404
    client.force_login(lead)
    page = client.get(f"/audits/{project.pk}/findings/{finding.pk}/").content.decode()
    assert f"/knowledge/cases/from-finding/{finding.pk}/" in page and "转为案例" in page
    response = client.post(f"/knowledge/cases/from-finding/{finding.pk}/")
    case = Case.objects.get(source_finding=finding)
    assert response.status_code == 302 and response["Location"] == f"/knowledge/cases/{case.pk}/"
    assert case.title == "某单位超标准发放" and case.facts == "某单位超标准发放慰问品。"


def test_a_cases_basis_is_citations_frozen_and_a_finding_passes_its_own_on(personas, tree, problem, client):
    """The case form takes its 定性依据 as citations resolved in the author's library; a case made
    from a finding keeps the finding's citations exactly as they were frozen, even after a new
    edition changes the article."""
    from jingshen.knowledge import citations
    from jingshen.knowledge.models import Regulation, RegulationStatus
    from tests.knowledge.test_citations import regulation

    rules = regulation(tree["P"], "基层工会经费收支管理办法", "2017年", {9: "工会经费不得发放购物卡。"}, level="acftu")
    author = personas["a1_auditor"]
    client.force_login(author)
    case = draft(author, problem)
    form = {"title": case.title, "year": "2025", "problem_type": problem.pk, "amount": "12000", "facts": case.facts,
            "citations": "《基层工会经费收支管理办法》第九条\n《某县补充规定》第二条"}
    assert client.post(f"/knowledge/cases/{case.pk}/", form).status_code == 302
    got = list(citations.citations_of(case))
    assert [(c.plain, c.quoted_text) for c in got] == [(False, "工会经费不得发放购物卡。"), (True, "")]
    page = client.get(f"/knowledge/cases/{case.pk}/").content.decode()
    assert "工会经费不得发放购物卡。" in page and "未收录" in page
    # from a finding: its citations, frozen, survive a later edition
    project = audit_project(tree["A1X"])
    lead = project.created_by
    finding = Finding.objects.create(project=project, org=tree["A1X"], problem_type=problem, title="违规发放购物卡",
                                     amount=Decimal("100"), description="发放购物卡", created_by=lead)
    citations.replace(lead, finding, ["《基层工会经费收支管理办法》第九条"])
    newer = regulation(tree["P"], "基层工会经费收支管理办法", "2027年", {9: "修订后的第九条。"}, level="acftu")
    Regulation.objects.filter(pk=rules.pk).update(status=RegulationStatus.REVISED, replaced_by=newer)
    made = cases.case_from_finding(lead, finding)
    (copied,) = citations.citations_of(made)
    assert (copied.quoted_text, copied.edition, copied.article_id) == ("工会经费不得发放购物卡。", "2017年", got[0].article_id)
    assert citations.citations_of(finding).count() == 1  # the finding keeps its own
