"""In a real browser: a city's 经审负责人 proposes the year's audit plan from risk and coverage,
adjusts it, approves it, starts a project from one item, and opens the year's statistics."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jingshen.accounts.models import RoleCode
from jingshen.admin_center.models import AnnualPlan
from jingshen.screening.models import CurrentRisk, ScreeningRun
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
YEAR = timezone.localdate().year


def test_a_director_proposes_adjusts_and_approves_a_plan_then_starts_a_project(page, live_server, catalogues, tree, artifacts):
    make_user("A", "a_director", RoleCode.DIRECTOR)
    run = ScreeningRun.objects.create(fiscal_year=YEAR - 1, status=ScreeningRun.Status.DONE, finished_at=timezone.now())
    CurrentRisk.objects.create(org=tree["A1"], run=run, fiscal_year=YEAR - 1, score=78.4, flags=9, finished_at=run.finished_at)
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm questions
    problems = []  # console errors, CSP violations among them
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.add_init_script("document.addEventListener('securitypolicyviolation', function (e) {"
                         " console.error('CSP ' + e.violatedDirective + ' ' + e.blockedURI); });")
    log_in(page, live_server, "a_director", PASSWORD)
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="综合管理").click()
    page.locator("#admin-entries").get_by_role("link", name="年度审计计划").click()
    expect(page.get_by_role("heading", name="年度审计计划")).to_be_visible()
    page.get_by_role("link", name="编制年度计划").click()

    candidates = page.locator("#candidates")
    expect(candidates).to_contain_text("甲市一区总工会")
    expect(candidates.locator("tbody tr").first).to_contain_text("风险较高")  # the high-risk unit ranks first
    expect(candidates).to_contain_text("78.4")
    expect(candidates).to_contain_text("甲市二区总工会")  # never audited
    page.screenshot(path=str(artifacts / "plan-propose.png"), full_page=True)
    page.get_by_label("列入 甲市二区总工会").uncheck()
    page.locator("#propose-note").fill("优先审计高风险单位。")
    page.get_by_role("button", name="保存为计划草稿").click()

    expect(page.get_by_role("heading", name=f"甲市总工会 {YEAR} 年度审计计划")).to_be_visible()
    expect(page.locator("#plan-status")).to_contain_text("草拟中")
    items = page.locator("#plan-items")
    expect(items).not_to_contain_text("甲市二区总工会")
    # adjust: add the unit back by hand, move the first item's dates
    form = page.locator("#add-item-form")
    form.get_by_label("被审计单位编码").fill("A2")
    form.get_by_label("理由说明").fill("上年度审计发现问题较多")
    form.get_by_role("button", name="添加").click()
    expect(items).to_contain_text("甲市二区总工会")
    expect(items).to_contain_text("人工添加")
    first = page.locator("#plan-items details").first
    first.locator("summary").click()
    first.get_by_label("计划开始").fill(f"{YEAR}-06-01")
    first.get_by_label("计划结束").fill(f"{YEAR}-07-15")
    first.get_by_role("button", name="保存").click()
    expect(items).to_contain_text(f"{YEAR}-06-01 至 {YEAR}-07-15")
    page.screenshot(path=str(artifacts / "plan-draft.png"), full_page=True)

    page.get_by_role("button", name="批准计划").click()
    expect(page.locator("#plan-status")).to_contain_text("已批准")
    page.screenshot(path=str(artifacts / "plan-approved.png"), full_page=True)
    start = page.locator("#plan-items details").first
    start.locator("summary").click()
    start.get_by_label("项目编号").fill(f"甲经审〔{YEAR}〕1号")
    start.get_by_label("组长").select_option("a_director")
    start.get_by_role("button", name="立项").click()
    expect(page).to_have_url(re.compile(r"/audits/\d+/$"))
    expect(page.get_by_role("heading", name=re.compile("甲市二区总工会"))).to_be_visible()  # March: first in the plan
    page.screenshot(path=str(artifacts / "plan-project.png"), full_page=True)
    assert AnnualPlan.objects.get().items.filter(project__isnull=False).count() == 1

    page.goto(live_server.url + "/manage/")
    page.locator("#admin-entries").get_by_role("link", name="年度统计报表").click()
    expect(page.get_by_role("heading", name=f"{YEAR} 年度审计统计报表")).to_be_visible()
    expect(page.locator("#by-stage")).to_contain_text("立项")
    expect(page.locator("#statistics-cards")).to_contain_text("1")
    expect(page.locator("#stage-chart svg")).to_have_count(1)  # the chart drew under the CSP
    page.screenshot(path=str(artifacts / "statistics.png"), full_page=True)
    assert not problems, problems
