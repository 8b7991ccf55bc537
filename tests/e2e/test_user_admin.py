"""In a real browser: an administrator creates a user on 用户管理; the user logs in with the
generated password, is made to change it, and lands on the portal."""

import re

import pytest
from playwright.sync_api import expect

from jingshen.accounts.models import RoleCode, User
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_administrator_creates_a_user_who_then_changes_the_password(page, live_server, personas, artifacts):
    make_user("A", "a_admin", RoleCode.ADMIN)
    log_in(page, live_server, "a_admin", PASSWORD)
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="综合管理").click()
    expect(page.get_by_role("heading", name="综合管理")).to_be_visible()
    page.screenshot(path=str(artifacts / "manage-index.png"), full_page=True)
    page.get_by_role("link", name="用户管理").click()
    expect(page.get_by_role("heading", name="用户管理")).to_be_visible()
    expect(page.locator("#users")).to_contain_text("a1_auditor")
    expect(page.locator("#users")).not_to_contain_text("b_auditor")  # another branch
    page.screenshot(path=str(artifacts / "user-list.png"), full_page=True)

    page.get_by_role("link", name="新建用户").click()
    page.get_by_label("用户名").fill("zhangsan")
    page.get_by_label("姓名").fill("张三")
    page.get_by_label("所属单位").select_option("A1")
    page.get_by_label("审计员").check()
    page.screenshot(path=str(artifacts / "user-new.png"), full_page=True)
    page.get_by_role("button", name="创建用户并生成密码").click()
    expect(page.get_by_role("heading", name="用户已创建")).to_be_visible()
    password = page.locator("#generated-password").inner_text()
    page.screenshot(path=str(artifacts / "user-created.png"), full_page=True)
    created = User.objects.get(username="zhangsan")
    assert created.org.code == "A1" and created.role_codes == {RoleCode.AUDITOR} and created.must_change_password

    page.get_by_role("button", name="退出登录").click()
    log_in(page, live_server, "zhangsan", password)
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    expect(page.get_by_role("status")).to_contain_text("请先设置您自己的密码")
    page.get_by_label("当前密码").fill(password)
    page.get_by_label("新密码", exact=True).fill("Zhangsan2026audit")
    page.get_by_label("确认新密码").fill("Zhangsan2026audit")
    page.get_by_role("button", name="修改密码").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", name="门户")).to_be_visible()
    expect(page.locator(".topbar-user")).to_contain_text("张三")
    page.screenshot(path=str(artifacts / "user-first-login-home.png"), full_page=True)
    # an auditor reads the roster in 综合管理 but manages no users: 用户管理 is not offered
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="综合管理").click()
    expect(page.locator("#admin-entries")).to_contain_text("经审干部名册")
    expect(page.locator("#admin-entries").get_by_role("link", name="用户管理")).to_have_count(0)
    assert not User.objects.get(username="zhangsan").must_change_password
