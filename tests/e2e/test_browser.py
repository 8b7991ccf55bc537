"""A real browser (Debian's Chromium via Playwright) against a live server."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_login_home_tree_and_screenshot(page, live_server, personas, artifacts):
    page.goto(live_server.url + "/")
    page.get_by_label("用户名").fill("prov_director")
    page.get_by_label("密码").fill("wrong-password-1")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码不正确。")

    log_in(page, live_server, "prov_director")
    expect(page.get_by_role("heading", name="门户")).to_be_visible()
    expect(page.locator(".topbar")).to_contain_text("示范省总工会")
    tree = page.locator("#org-tree")
    expect(tree).to_contain_text("甲市总工会")
    expect(tree).to_contain_text("乙市总工会")
    expect(page.locator("#org-counts")).to_contain_text("基层工会")
    # the 门户's sections: to-dos, notices, and the level × risk-band heat map drawn by portal.js
    expect(page.locator("#todos")).to_contain_text("我的待办")
    expect(page.locator("#notices")).to_contain_text("通知公告")
    expect(page.locator("#risk-heat svg")).to_be_visible()
    # expanding a city loads its counties through htmx
    page.locator("summary", has_text="甲市总工会").click()
    expect(tree).to_contain_text("甲市一区总工会")
    expect(tree).to_contain_text("甲市二区总工会")
    # the stylesheet and htmx come from our own server (no CDN)
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).borderBottomStyle") == "solid"
    assert page.evaluate("typeof window.htmx") == "object"
    page.screenshot(path=str(artifacts / "home.png"), full_page=True)

    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_unit_of_another_branch_is_404(page, live_server, personas):
    log_in(page, live_server, "a_auditor")
    expect(page.get_by_role("heading", name="门户")).to_be_visible()
    response = page.goto(live_server.url + "/orgs/B1X/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("乙市一区医院工会委员会")
    response = page.goto(live_server.url + "/orgs/A1X/")
    assert response.status == 200
    expect(page.locator("h1")).to_have_text("甲市一区电子公司工会委员会")


def test_upload_vouchers_and_drill_down(page, live_server, personas, artifacts, tmp_path):
    """数据采集 → import → 查账: balance → ledger → voucher, all in the browser."""
    from tests.ledger.conftest import voucher, write

    path = write(tmp_path / "甲市一区凭证.csv", voucher(1) + voucher(2, date="2025-02-11", amount="88.50"))
    log_in(page, live_server, "a_auditor")
    page.get_by_role("link", name="数据采集").click()
    page.get_by_label("数据类型").select_option("vouchers")
    page.get_by_label("文件", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="上传并导入").click()
    expect(page.locator("#job-status")).to_contain_text("已完成")
    expect(page.locator("#job-status")).to_contain_text("共 4 行凭证分录")
    page.screenshot(path=str(artifacts / "collect-job.png"), full_page=True)

    page.get_by_role("link", name="查账").click()
    page.locator("#datasets tr", has_text="甲市一区电子公司工会委员会").get_by_role("link", name="科目余额表").click()
    expect(page.locator("h1")).to_contain_text("甲市一区电子公司工会委员会")
    page.get_by_role("link", name="文体活动费").first.click()
    expect(page.locator("body")).to_contain_text("明细账")
    page.get_by_role("link", name="记-1").first.click()
    expect(page.locator("body")).to_contain_text("职工篮球赛场地费")
    page.screenshot(path=str(artifacts / "voucher.png"), full_page=True)


def test_a_run_of_chosen_rules_and_its_export(page, live_server, personas, artifacts, tmp_path):
    """疑点筛查 in the browser: untick all, choose one rule, run, read the list, export it."""
    from openpyxl import load_workbook

    from jingshen.ledger.importers.vouchers import import_vouchers
    from tests.ledger.conftest import write
    from tests.screening.conftest import entry

    rows = entry(1, "2025-01-20", "50104", "102", "18000.00", "购买慰问购物卡", "银泰百货")
    rows += entry(2, "2025-02-11", "50104", "101", "2600.00", "发放慰问金")
    import_vouchers(write(tmp_path / "v.csv", rows))
    log_in(page, live_server, "a_auditor")
    page.get_by_role("link", name="疑点筛查").click()
    page.get_by_text("选择规则").click()
    page.get_by_role("button", name="全不选").click()
    page.get_by_label("JS-CARD-001", exact=False).check()
    page.screenshot(path=str(artifacts / "screening-choose-rules.png"), full_page=True)
    page.get_by_role("button", name="开始筛查").click()
    expect(page.locator("#flags")).to_contain_text("JS-CARD-001", timeout=60_000)
    expect(page.locator("#flags")).not_to_contain_text("JS-CASH-001")
    expect(page.locator("body")).to_contain_text("1 条规则")
    page.wait_for_timeout(1500)  # the ranking chart animates its bars
    page.screenshot(path=str(artifacts / "screening-run.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 XLSX").click()
    path = tmp_path / "flags.xlsx"
    download.value.save_as(path)
    data = list(load_workbook(path).active.iter_rows(values_only=True))[3:]
    assert [(r[3], r[12]) for r in data] == [("JS-CARD-001", 18000)]
