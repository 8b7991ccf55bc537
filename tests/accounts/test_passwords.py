"""修改密码, 首次登录强制修改, and 系统管理员 重置密码 (page and command)."""

import sys

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.test import Client
from django.views.debug import ExceptionReporter

from jingshen.accounts.models import RoleCode, User
from jingshen.accounts import services
from jingshen.accounts.services import create_user_with_generated_password, generate_password
from jingshen.activity.models import ActivityLog
from jingshen.cli import main
from tests.conftest import PASSWORD, make_user

NEW = "Fresh2026secret"


def logged_in(username, password=PASSWORD) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def change(client, old, new, confirm=None):
    return client.post(
        "/accounts/password/", {"old_password": old, "new_password1": new, "new_password2": confirm or new}
    )


def all_activity_text() -> str:
    return " ".join(f"{e.summary} {e.details}" for e in ActivityLog.objects.all())


# --- 修改密码 -----------------------------------------------------------------------------


def test_header_links_to_the_change_page(client_for):
    html = client_for("a_auditor").get("/").content.decode()
    assert 'href="/accounts/password/"' in html and "修改密码" in html
    page = client_for("a_auditor").get("/accounts/password/").content.decode()
    assert "当前密码" in page and "新密码" in page and "确认新密码" in page
    assert "密码至少需要 10 个字符" in page  # the policy is shown before the user types


def test_wrong_current_password_is_refused_in_chinese(personas):
    client = logged_in("a_auditor")
    response = change(client, "not-my-password-9", NEW)
    assert response.status_code == 200
    assert "当前密码不正确，请重新输入。" in response.content.decode()
    assert User.objects.get(username="a_auditor").check_password(PASSWORD)


@pytest.mark.parametrize(
    "new,message",
    [
        ("short1a", "密码长度太短，至少需要 10 个字符。"),
        ("onlyletterspassword", "密码必须同时包含字母和数字。"),
        ("password123", "这个密码太常见了"),
        ("a_auditor2026", "密码跟 用户名 太相似了。"),
    ],
)
def test_weak_new_password_gets_the_policy_message(personas, new, message):
    client = logged_in("a_auditor")
    response = change(client, PASSWORD, new)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.get(username="a_auditor").check_password(PASSWORD)


def test_mismatched_confirmation_and_unchanged_password_are_refused(personas):
    client = logged_in("a_auditor")
    assert "两次输入的新密码不一致。" in change(client, PASSWORD, NEW, confirm=NEW + "x").content.decode()
    assert "新密码不能与当前密码相同。" in change(client, PASSWORD, PASSWORD).content.decode()
    assert "请填写此项。" in client.post("/accounts/password/", {}).content.decode()
    assert User.objects.get(username="a_auditor").check_password(PASSWORD)


def test_change_keeps_this_session_and_ends_the_others(personas):
    here, elsewhere = logged_in("a_auditor"), logged_in("a_auditor")
    response = change(here, PASSWORD, NEW)
    assert response.status_code == 302 and response["Location"] == "/"
    home = here.get("/")
    assert home.status_code == 200 and "密码已修改" in home.content.decode()
    # the other browser's session was signed with the old password's hash
    response = elsewhere.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    user = User.objects.get(username="a_auditor")
    assert user.check_password(NEW) and not user.must_change_password
    entry = ActivityLog.objects.get(action="accounts.change_password")
    assert entry.actor == user and entry.org == user.org and entry.object_id == str(user.pk)
    assert NEW not in all_activity_text() and PASSWORD not in all_activity_text()


# --- 首次登录强制修改 -----------------------------------------------------------------------


def test_generated_password_passes_the_policy_and_differs_each_time(tree):
    passwords = {generate_password() for _ in range(20)}
    assert len(passwords) == 20
    for p in passwords:
        validate_password(p)
        assert len(p) == 16 and not set(p) & set("0Oo1lI")


def test_users_create_with_generated_password_forces_a_change(tree, capsys):
    code = main(["users", "create", "--org", "A", "--role", "审计员", "--username", "zhang", "--generate-password"])
    out = capsys.readouterr().out
    assert code == 0, out
    password = out.split("初始密码：")[1].split()[0]
    user = User.objects.get(username="zhang")
    assert user.check_password(password) and user.must_change_password
    assert "只显示这一次" in out
    assert password not in all_activity_text()
    entry = ActivityLog.objects.get(action="accounts.create_user", object_id=str(user.pk))
    assert entry.details == {"change_required": True}
    main(["users", "list", "--org", "A"])
    assert "须修改密码" in capsys.readouterr().out


def test_generate_password_and_password_file_exclude_each_other(tree, tmp_path, capsys):
    secret = tmp_path / "pw.txt"
    secret.write_text("Zhang2026audit", encoding="utf-8")
    code = main(["users", "create", "--org", "A", "--role", "审计员", "--username", "zhang",
                 "--generate-password", "--password-file", str(secret)])
    assert code == 1 and "只能选一个" in capsys.readouterr().err
    assert not User.objects.filter(username="zhang").exists()


def test_users_with_a_chosen_password_are_not_forced(personas):
    # the conftest personas, like the demo users, are created with a password they know
    assert not User.objects.filter(must_change_password=True).exists()
    assert logged_in("a_auditor").get("/").status_code == 200


@pytest.fixture
def forced(tree):
    """A new auditor of 甲市 with a generated password, logged in."""
    user, password = create_user_with_generated_password(
        org=tree["A"], username="newbie", roles=[RoleCode.AUDITOR], display_name="新同事"
    )
    return user, password, logged_in("newbie", password)


def test_forced_user_reaches_only_the_change_page(forced):
    user, password, client = forced
    for url in ["/", "/orgs/A/", "/collect/", "/screening/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/accounts/password/", url
    response = client.get("/orgs/A/children/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"] == "/accounts/password/"
    page = client.get("/accounts/password/").content.decode()
    assert "请先设置您自己的密码" in page and 'aria-label="主菜单"' not in page
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json() == {"detail": "您的密码由管理员生成，请先修改密码后再使用系统。"}
    assert client.get("/static/jingshen/app.css").status_code == 200


def test_forced_user_may_log_out(forced):
    _, _, client = forced
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_changing_the_password_clears_the_flag(forced):
    user, password, client = forced
    response = change(client, password, NEW)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password(NEW)
    entry = ActivityLog.objects.get(action="accounts.change_password")
    assert entry.details == {"forced": True} and "首次登录强制修改" in entry.summary


# --- 重置密码 ---------------------------------------------------------------------------------


@pytest.fixture
def a_admin(personas):
    return make_user("A", "a_admin", RoleCode.ADMIN)


def reset_page(admin, username):
    client = Client()
    client.force_login(admin)
    return client.post(f"/accounts/users/{username}/reset-password/")


def test_unit_page_offers_reset_to_the_administrator_only(a_admin, client_for):
    client = Client()
    client.force_login(a_admin)
    html = client.get("/orgs/A/").content.decode()
    assert 'action="/accounts/users/a_auditor/reset-password/"' in html and "确定要重置用户 a_auditor 的密码吗" in html
    assert 'action="/accounts/users/a_admin/reset-password/"' not in html  # not oneself: 修改密码 is for that
    assert "reset-password" not in client_for("prov_director").get("/orgs/A/").content.decode()


def test_reset_by_an_administrator_in_scope(a_admin, personas):
    target_session = logged_in("a1_auditor")  # a unit below the administrator's
    for _ in range(5):
        Client().post("/accounts/login/", {"username": "a1_auditor", "password": "wrong-password-1"})
    assert Client().post("/accounts/login/", {"username": "a1_auditor", "password": PASSWORD}).status_code == 429

    response = reset_page(a_admin, "a1_auditor")
    assert response.status_code == 200
    html = response.content.decode()
    assert "密码已重置" in html and "只显示这一次" in html
    assert "no-store" in response["Cache-Control"]
    password = html.split('id="generated-password">')[1].split("<")[0]
    target = User.objects.get(username="a1_auditor")
    assert target.check_password(password) and target.must_change_password

    # the user's sessions ended, the lockout is gone, and the next login leads to 修改密码
    response = target_session.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not AccessAttempt.objects.filter(username="a1_auditor").exists()
    client = logged_in("a1_auditor", password)
    assert client.get("/")["Location"] == "/accounts/password/"

    entry = ActivityLog.objects.get(action="accounts.reset_password")
    assert entry.actor == a_admin and entry.org == target.org and entry.object_id == str(target.pk)
    assert entry.details == {"lockout_cleared": True}
    assert password not in all_activity_text()


def test_reset_of_a_user_of_another_branch_is_404(a_admin, personas):
    before = User.objects.get(username="b_auditor").password
    response = reset_page(a_admin, "b_auditor")
    assert response.status_code == 404
    assert reset_page(a_admin, "no_such_user").status_code == 404
    assert reset_page(a_admin, "prov_director").status_code == 404  # the unit above is not managed either
    b = User.objects.get(username="b_auditor")
    assert b.password == before and not b.must_change_password
    assert not ActivityLog.objects.filter(action="accounts.reset_password").exists()


@pytest.mark.parametrize("persona", ["prov_director", "leader", "a_lead", "contact"])
def test_a_non_administrator_cannot_reset(client_for, personas, persona):
    before = User.objects.get(username="a1_auditor").password
    response = client_for(persona).post("/accounts/users/a1_auditor/reset-password/")
    assert response.status_code == 404
    assert User.objects.get(username="a1_auditor").password == before
    assert not ActivityLog.objects.filter(action="accounts.reset_password").exists()


def test_reset_is_post_only_and_not_of_oneself(a_admin):
    client = Client()
    client.force_login(a_admin)
    assert client.get("/accounts/users/a_auditor/reset-password/").status_code == 405
    response = client.post("/accounts/users/a_admin/reset-password/", follow=True)
    assert "不能重置自己的密码" in response.content.decode()
    assert not User.objects.get(username="a_admin").must_change_password


def test_reset_password_command(a_admin, personas, capsys):
    code = main(["users", "reset-password", "a_auditor", "--by", "a_admin"])
    out = capsys.readouterr().out
    assert code == 0, out
    password = out.split("新密码：")[1].split()[0]
    target = User.objects.get(username="a_auditor")
    assert target.check_password(password) and target.must_change_password
    assert ActivityLog.objects.filter(action="accounts.reset_password", actor=a_admin).exists()
    assert password not in all_activity_text()


@pytest.mark.parametrize(
    "args,message",
    [
        (["b_auditor", "--by", "a_admin"], "用户「b_auditor」不存在或不在「a_admin」的管理范围内。"),
        (["nobody", "--by", "a_admin"], "用户「nobody」不存在或不在「a_admin」的管理范围内。"),
        (["a_auditor", "--by", "a_lead"], "用户「a_auditor」不存在或不在「a_lead」的管理范围内。"),
        (["a_auditor", "--by", "ghost"], "管理员「ghost」不存在或已停用。"),
        (["a_admin", "--by", "a_admin"], "不能重置自己的密码"),
    ],
)
def test_reset_password_command_refuses(a_admin, personas, capsys, args, message):
    before = dict(User.objects.values_list("username", "password"))
    code = main(["users", "reset-password", *args])
    assert code == 1
    assert message in capsys.readouterr().err
    assert dict(User.objects.values_list("username", "password")) == before
    assert not ActivityLog.objects.filter(action="accounts.reset_password").exists()


# built at run time, so the source lines quoted in the report do not contain it
KNOWN = "".join(["Known", "2026", "secretX"])


def test_an_error_report_of_a_failed_reset_hides_the_password(a_admin, personas, monkeypatch):
    monkeypatch.setattr(services, "generate_password", lambda user=None: KNOWN)

    def fail(*args, **kwargs):
        raise RuntimeError("log unavailable")

    monkeypatch.setattr(services, "record", fail)
    try:
        services.reset_password(a_admin, personas["a_auditor"])
    except RuntimeError:
        report = ExceptionReporter(None, *sys.exc_info()).get_traceback_html()  # with each frame's variables
    assert "log unavailable" in report and "reset_password" in report
    assert KNOWN not in report
    # the write was rolled back with the failed log entry
    assert User.objects.get(username="a_auditor").check_password(PASSWORD)
