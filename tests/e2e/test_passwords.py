"""In a real browser: a user with a generated password is sent to 修改密码 at first login,
chooses a password and lands on the home page; an administrator resets a password."""

import re

import pytest
from playwright.sync_api import expect

from jingshen.accounts.models import RoleCode, User
from jingshen.accounts.services import create_user_with_generated_password
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_first_login_forces_a_password_change(page, live_server, tree, artifacts):
    _, generated = create_user_with_generated_password(
        org=tree["A"], username="newbie", roles=[RoleCode.AUDITOR], display_name="新同事"
    )
    log_in(page, live_server, "newbie", generated)
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("请先设置您自己的密码")
    # the menu leads nowhere yet: any page comes back here
    page.goto(live_server.url + "/orgs/A/")
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))

    # a weak password is refused with the policy's message
    page.get_by_label("当前密码").fill(generated)
    page.get_by_label("新密码", exact=True).fill("short1a")
    page.get_by_label("确认新密码").fill("short1a")
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator("#id_new_password1 ~ .field-error")).to_contain_text("密码长度太短，至少需要 10 个字符。")
    page.screenshot(path=str(artifacts / "password-change.png"), full_page=True)

    page.get_by_label("当前密码").fill(generated)
    page.get_by_label("新密码", exact=True).fill("Newbie2026secret")
    page.get_by_label("确认新密码").fill("Newbie2026secret")
    page.get_by_role("button", name="修改密码").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", name="门户")).to_be_visible()
    expect(page.locator(".message.success")).to_have_text("密码已修改。您在其他设备或浏览器上的登录已失效。")
    expect(page.get_by_role("navigation", name="主菜单")).to_be_visible()
    page.screenshot(path=str(artifacts / "password-changed-home.png"), full_page=True)
    assert not User.objects.get(username="newbie").must_change_password


def test_administrator_resets_a_password(page, live_server, personas, artifacts):
    make_user("A", "a_admin", RoleCode.ADMIN)
    log_in(page, live_server, "a_admin", PASSWORD)
    expect(page.get_by_role("heading", name="门户")).to_be_visible()
    page.goto(live_server.url + "/orgs/A/")
    row = page.locator("tr", has_text="a_auditor")
    expect(row.get_by_role("button", name="重置密码")).to_be_visible()
    page.screenshot(path=str(artifacts / "org-users.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept() if "确定要重置用户 a_auditor 的密码吗" in dialog.message else dialog.dismiss())
    row.get_by_role("button", name="重置密码").click()
    expect(page.get_by_role("heading", name="密码已重置")).to_be_visible()
    password = page.locator("#generated-password").inner_text()
    page.screenshot(path=str(artifacts / "password-reset.png"), full_page=True)
    target = User.objects.get(username="a_auditor")
    assert target.check_password(password) and target.must_change_password

    # the auditor logs in with it and is asked for a password of their own first
    page.get_by_role("button", name="退出登录").click()
    log_in(page, live_server, "a_auditor", password)
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    expect(page.get_by_role("status")).to_contain_text("请先设置您自己的密码")
