"""The 操作日志 page in a real browser: the menu entry, a filter, one entry's detail."""

import re

import pytest
from playwright.sync_api import expect

from jingshen.activity.context import origin
from jingshen.activity.models import Source
from jingshen.activity.services import record
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_reads_the_log_and_one_entry(page, live_server, personas, tree, artifacts):
    with origin(Source.WEB, "192.0.2.8"):
        record("orgs.rename", "甲市总工会更名", actor=personas["prov_admin"], org=tree["A"],
               before={"name": "甲市总工会"}, after={"name": "甲市总工会（新）"})
    log_in(page, live_server, "prov_admin")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="操作日志").click()
    expect(page.get_by_role("heading", name="操作日志")).to_be_visible()
    expect(page.locator("#log")).to_contain_text("创建用户 a_auditor")
    page.locator("#id_action").select_option("orgs.rename")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#log tbody tr")).to_have_count(1)
    page.get_by_role("link", name="甲市总工会更名").click()
    expect(page).to_have_url(re.compile(r"/activity/\d+/$"))
    expect(page.locator("#entry")).to_contain_text("192.0.2.8")
    expect(page.locator("#changes")).to_contain_text("甲市总工会（新）")
    page.screenshot(path=str(artifacts / "activity-entry.png"), full_page=True)


def test_auditor_has_no_log(page, live_server, personas):
    log_in(page, live_server, "a_auditor")
    expect(page.get_by_role("heading", name="门户")).to_be_visible()
    expect(page.get_by_role("navigation", name="主菜单")).not_to_contain_text("操作日志")
    assert page.goto(live_server.url + "/activity/").status == 404
