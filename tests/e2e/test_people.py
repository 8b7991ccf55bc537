"""In a real browser, 综合管理's people pages: the province's 经审负责人 adds a 经审干部, records a
training with hours (a negative figure is refused with a Chinese error on the page), reads the
hours table, enters a prior audit and finds it listed; an auditor reads the roster but is offered
no way to change it."""

import re

import pytest
from playwright.sync_api import expect

from jingshen.admin_center.models import PriorAudit, StaffProfile, TrainingRecord
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _manage(page, entry: str) -> None:
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="综合管理").click()
    page.locator("#admin-entries").get_by_role("link", name=entry).click()


def test_the_director_keeps_the_roster_training_and_prior_audits(page, live_server, personas, catalogues, artifacts):
    log_in(page, live_server, "prov_director", PASSWORD)
    _manage(page, "经审干部名册")
    expect(page.get_by_role("heading", name=re.compile("经审干部名册"))).to_be_visible()
    page.get_by_role("link", name="添加经审干部").click()
    page.get_by_label("所在单位编码").fill("A")
    page.get_by_label("姓名").fill("钱小红")
    page.get_by_label("类别").select_option(label="专职")
    page.get_by_label("职务").fill("审计专员")
    page.get_by_label("资格与职称").fill("审计师、<b>会计师</b>")  # markup is text
    page.screenshot(path=str(artifacts / "people-staff-new.png"), full_page=True)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name=re.compile("钱小红"))).to_be_visible()
    expect(page.locator(".message").first).to_contain_text("已添加经审干部「钱小红」")
    staff = StaffProfile.objects.get(name="钱小红")
    assert staff.org.code == "A" and staff.staff_type == "full_time"

    # a training: negative hours are refused on the page (the browser's own min check removed,
    # so that the server's answer is what is tested), then the corrected figure is saved
    page.get_by_role("link", name="登记培训").click()
    expect(page.get_by_label("经审干部")).to_have_value(str(staff.pk))
    page.get_by_label("形式").select_option(label="以审代训")
    page.get_by_label("名称", exact=True).fill("参加甲市一区工会经费收支审计")
    page.get_by_label("开始日期").fill("2026-03-02")
    page.get_by_label("结束日期").fill("2026-03-13")
    page.get_by_label("学时").evaluate("el => el.removeAttribute('min')")
    page.get_by_label("学时").fill("-8")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".field-error")).to_contain_text("学时不能为负数。")
    expect(page.get_by_label("名称", exact=True)).to_have_value("参加甲市一区工会经费收支审计")  # the form keeps its input
    page.screenshot(path=str(artifacts / "people-training-negative.png"), full_page=True)
    assert not TrainingRecord.objects.exists()
    page.get_by_label("学时").fill("64.5")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#staff-trainings")).to_contain_text("参加甲市一区工会经费收支审计")
    expect(page.locator("#staff-trainings")).to_contain_text("64.5")
    assert TrainingRecord.objects.get().hours == 64.5

    _manage(page, "学时统计")
    row = page.locator("#hours tbody tr", has_text="钱小红")
    expect(row).to_contain_text("专职")
    expect(row).to_contain_text("64.5")
    expect(page.locator("#hours thead")).to_contain_text("2026")
    page.screenshot(path=str(artifacts / "people-hours.png"), full_page=True)

    _manage(page, "往期审计记录")
    page.get_by_role("link", name="录入一条").click()
    page.get_by_label("被审计单位编码").fill("A1X")
    page.get_by_label("审计年度").fill("2021")
    page.get_by_label("审计类型").select_option(label="财务收支审计")
    page.get_by_label("报告文号").fill("甲经审〔2021〕3号")
    page.get_by_label("审计单位编码（选填）").fill("A1")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/manage/prior-audits/$"))
    row = page.locator("#priors tbody tr", has_text="甲经审〔2021〕3号")
    expect(row).to_contain_text("甲市一区电子公司工会委员会")
    expect(row).to_contain_text("2021")
    expect(row).to_contain_text("甲市一区总工会")
    expect(row).to_contain_text("录入")
    page.screenshot(path=str(artifacts / "people-prior-audits.png"), full_page=True)
    assert PriorAudit.objects.get().report_no == "甲经审〔2021〕3号"

    # an auditor of the city reads all of it, and is offered no button that changes it
    page.get_by_role("button", name="退出登录").click()
    log_in(page, live_server, "a_auditor", PASSWORD)
    _manage(page, "经审干部名册")
    expect(page.locator("#staff")).to_contain_text("钱小红")
    expect(page.locator("#staff")).to_contain_text("审计师、<b>会计师</b>")
    expect(page.get_by_role("link", name="添加经审干部")).to_have_count(0)
    page.locator("#staff").get_by_role("link", name="钱小红").click()
    expect(page.get_by_role("heading", name=re.compile("钱小红"))).to_be_visible()
    expect(page.locator("#staff-trainings")).to_contain_text("64.5")
    expect(page.locator("main form")).to_have_count(0)  # no save, 不在岗, 登记培训 or 删除
    expect(page.get_by_role("link", name="登记培训")).to_have_count(0)
    page.screenshot(path=str(artifacts / "people-auditor-reads.png"), full_page=True)
    _manage(page, "培训记录")
    expect(page.locator("#trainings")).to_contain_text("64.5")
    expect(page.get_by_role("link", name="登记培训")).to_have_count(0)
    expect(page.get_by_role("button", name="删除")).to_have_count(0)
    _manage(page, "往期审计记录")
    expect(page.locator("#priors")).to_contain_text("甲经审〔2021〕3号")
    expect(page.get_by_role("link", name="录入一条")).to_have_count(0)
    expect(page.get_by_role("button", name="删除")).to_have_count(0)
    # typed in by hand, the form pages are not there for the auditor
    response = page.goto(live_server.url + "/manage/staff/new/")
    assert response.status == 404
