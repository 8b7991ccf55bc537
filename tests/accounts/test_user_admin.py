"""用户管理 (综合管理): an administrator lists, creates, edits, deactivates and reactivates the
users of the units in their MANAGE scope; which roles they may grant is scope.grantable_roles."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from openpyxl import load_workbook

from jingshen.accounts import services
from jingshen.accounts.models import RoleCode, User
from jingshen.activity.models import ActivityLog
from jingshen.cli import main
from jingshen.orgs import scope
from tests.conftest import PASSWORD, make_user

R = RoleCode


@pytest.fixture
def a_admin(personas):
    return make_user("A", "a_admin", R.ADMIN)


@pytest.fixture
def admin_client(a_admin):
    client = Client()
    client.force_login(a_admin)
    return client


def state() -> tuple:
    """Everything a refused write must leave alone."""
    return (ActivityLog.objects.count(),
            sorted(User.objects.values_list("username", "display_name", "is_active", "org_id", "password")),
            sorted(User.roles.through.objects.values_list("user__username", "role_id")))


# --- which roles an administrator may grant (orgs/scope.py) ----------------------------------------


def test_grantable_roles_run_down_the_tree(personas, tree, a_admin):
    everything = list(R.values)
    assert scope.grantable_roles(a_admin, tree["A1"]) == everything  # below: every role, 系统管理员 too
    assert scope.grantable_roles(a_admin, tree["A"]) == [r for r in everything if r != R.ADMIN]  # own unit: no admins
    assert scope.grantable_roles(a_admin, tree["B1"]) == []  # outside the scope: nothing
    assert scope.grantable_roles(a_admin, tree["P"]) == []  # above: nothing
    assert scope.grantable_roles(personas["prov_director"], tree["A1"]) == []  # not an administrator
    assert scope.grantable_roles(personas["prov_admin"], tree["A"]) == everything


def test_a_fellow_administrator_of_the_own_unit_is_changed_from_above(personas, tree, a_admin):
    peer = make_user("A", "a_admin2", R.ADMIN)
    assert not scope.may_administer_account(a_admin, peer)
    assert not scope.may_administer_account(a_admin, a_admin)  # not oneself either
    assert scope.may_administer_account(a_admin, personas["a_auditor"])
    assert scope.may_administer_account(personas["prov_admin"], peer)


# --- list ----------------------------------------------------------------------------------------------


def test_list_holds_only_users_of_managed_units(admin_client, personas):
    html = admin_client.get("/accounts/users/").content.decode()
    for name in ("a_auditor", "a_lead", "a1_auditor", "contact", "a_admin"):
        assert f">{name}</a>" in html, name
    for name in ("b_auditor", "prov_admin", "prov_director", "leader"):
        assert f">{name}<" not in html, name
    assert 'href="/accounts/users/new/"' in html and "导出 XLSX" in html
    # 重置密码 is linked from the list, for everyone but oneself
    assert 'action="/accounts/users/a_auditor/reset-password/"' in html
    assert 'action="/accounts/users/a_admin/reset-password/"' not in html


def test_list_filters_sort_and_page(admin_client, personas, tree):
    def names(query):
        html = admin_client.get("/accounts/users/" + query).content.decode()
        return [n for n in ("a_admin", "a_auditor", "a_lead", "a1_auditor", "contact") if f">{n}</a>" in html], html

    assert names("?org=A1")[0] == ["a1_auditor", "contact"]  # the unit and the units below it
    assert names("?role=team_lead")[0] == ["a_lead"]
    assert names("?q=A1_AUD")[0] == ["a1_auditor"]  # case-insensitive, username or name
    services.set_active(User.objects.get(username="a_admin"), personas["contact"], False)
    assert names("?active=0")[0] == ["contact"]
    assert "contact" not in names("?active=1")[0]
    # a unit outside the scope is ignored with a message, never listed
    found, html = names("?org=B1")
    assert "所选单位不在您的管理范围内" in html and "b_auditor" not in html and len(found) == 5
    html = admin_client.get("/accounts/users/?sort=-username").content.decode()
    assert html.index(">contact</a>") < html.index(">a_lead</a>") < html.index(">a_admin</a>")
    for n in range(60):
        make_user("A2", f"bulk{n:02d}", R.AUDITOR)
    html = admin_client.get("/accounts/users/?org=A2&page=2").content.decode()
    assert "第 2 / 2 页" in html and html.count('">bulk') == 10  # 60 users, 50 a page


def test_list_exports_xlsx_with_the_filters(admin_client, personas):
    response = admin_client.get("/accounts/users/?org=A1&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[2][:2] == ["用户名", "姓名"]
    assert sorted(r[0] for r in rows[3:]) == ["a1_auditor", "contact"]
    assert ActivityLog.objects.filter(actor__username="a_admin", summary__contains="用户").exists()  # the download is logged


def test_pages_are_404_for_those_who_manage_nothing(client_for, personas):
    client = client_for("prov_director")
    for url in ("/accounts/users/", "/accounts/users/new/", "/accounts/users/a_auditor/", "/accounts/users/a_auditor/edit/"):
        assert client.get(url).status_code == 404, url
    before = state()
    assert client.post("/accounts/users/a_auditor/active/", {"active": "0"}).status_code == 404
    assert state() == before


# --- create ----------------------------------------------------------------------------------------------


def test_create_a_user_with_a_generated_password_shown_once(admin_client, tree):
    form = admin_client.get("/accounts/users/new/").content.decode()
    assert 'value="A1"' in form and 'value="B1"' not in form and 'value="P"' not in form  # units in scope only
    response = admin_client.post("/accounts/users/new/", {"username": "newbie", "display_name": "新同事", "org": "A1",
                                                          "roles": [R.AUDITOR, R.TEAM_LEAD]})
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    html = response.content.decode()
    assert "用户已创建" in html and "此密码只显示这一次" in html
    password = html.split('id="generated-password">')[1].split("<")[0]
    user = User.objects.get(username="newbie")
    assert user.check_password(password) and user.must_change_password and user.org.code == "A1"
    assert user.role_codes == {R.AUDITOR, R.TEAM_LEAD} and user.display_name == "新同事"
    entry = ActivityLog.objects.get(action="accounts.create_user", object_id=str(user.pk))
    assert entry.actor.username == "a_admin" and password not in str(entry.details) + entry.summary


def test_a_user_in_a_unit_outside_the_scope_is_refused(admin_client, a_admin, tree):
    before = state()
    response = admin_client.post("/accounts/users/new/", {"username": "intruder", "org": "B1", "roles": [R.AUDITOR]})
    assert response.status_code == 200
    assert "该单位不在您的管理范围内。" in response.content.decode()
    assert state() == before
    # the service refuses it too, whatever a form lets through
    with pytest.raises(PermissionError, match="不在您的管理范围内"):
        services.create_user_with_generated_password(org=tree["B1"], username="intruder", roles=[R.AUDITOR], actor=a_admin)
    assert state() == before


def test_a_role_the_administrator_may_not_grant_is_refused(admin_client, a_admin, tree):
    before = state()
    response = admin_client.post("/accounts/users/new/", {"username": "deputy", "org": "A", "roles": [R.ADMIN]})
    assert "您不能在「甲市总工会」授予以下角色：系统管理员" in response.content.decode()
    assert state() == before
    with pytest.raises(PermissionError):
        services.create_user_with_generated_password(org=tree["A"], username="deputy", roles=[R.ADMIN], actor=a_admin)
    assert state() == before
    # an administrator for a unit below is theirs to make
    admin_client.post("/accounts/users/new/", {"username": "deputy", "org": "A1", "roles": [R.ADMIN]})
    assert User.objects.get(username="deputy").role_codes == {R.ADMIN}


@pytest.mark.parametrize("username,message", [
    ("a_auditor", "用户名「a_auditor」已存在。"),
    ("new", "用户名「new」为系统保留"),
    ("bad/name", "用户名只能由字母、数字和 @ . + - _ 组成。"),
    ("", "请填写用户名。"),
])
def test_bad_usernames_are_refused_in_chinese(admin_client, username, message):
    before = state()
    response = admin_client.post("/accounts/users/new/", {"username": username, "org": "A1", "roles": [R.AUDITOR]})
    assert message in response.content.decode()
    assert state() == before


def test_no_role_is_refused(admin_client):
    before = state()
    response = admin_client.post("/accounts/users/new/", {"username": "norole", "org": "A1"})
    assert "至少选择一个角色。" in response.content.decode() and state() == before


# --- edit ----------------------------------------------------------------------------------------------


def test_edit_name_roles_and_unit_logged_before_and_after(admin_client, personas):
    page = admin_client.get("/accounts/users/a1_auditor/edit/").content.decode()
    assert 'value="甲市一区总工会' not in page and "编辑用户 a1_auditor" in page
    response = admin_client.post("/accounts/users/a1_auditor/edit/", {"display_name": "王五", "org": "A2",
                                                                       "roles": [R.AUDITOR, R.TEAM_LEAD]})
    assert response.status_code == 302 and response["Location"] == "/accounts/users/a1_auditor/"
    user = User.objects.get(username="a1_auditor")
    assert (user.display_name, user.org.code, user.role_codes) == ("王五", "A2", {R.AUDITOR, R.TEAM_LEAD})
    entry = ActivityLog.objects.get(action="accounts.update_user")
    assert entry.before["单位"] == "甲市一区总工会（A1）" and entry.after["单位"] == "甲市二区总工会（A2）"
    assert entry.before["角色"] == ["审计员"] and entry.after["角色"] == ["审计员", "审计组长"]
    assert entry.after["姓名"] == "王五" and entry.actor.username == "a_admin"


def test_edit_refuses_a_unit_or_role_outside_what_the_administrator_grants(admin_client, a_admin, personas, tree):
    before = state()
    response = admin_client.post("/accounts/users/a1_auditor/edit/", {"org": "B1", "roles": [R.AUDITOR]})
    assert "该单位不在您的管理范围内。" in response.content.decode()
    response = admin_client.post("/accounts/users/a_auditor/edit/", {"org": "A", "roles": [R.AUDITOR, R.ADMIN]})
    assert "授予以下角色：系统管理员" in response.content.decode()
    assert state() == before
    # one's own roles and unit stay as they are (a slip would lock the administrator out)
    with pytest.raises(PermissionError, match="不能修改自己的角色"):
        services.update_user(a_admin, a_admin, display_name="", roles=[R.AUDITOR], org=tree["A"])
    # a fellow administrator of the own unit: not moved, not demoted
    peer = make_user("A", "a_admin2", R.ADMIN)
    with pytest.raises(PermissionError):
        services.update_user(a_admin, peer, display_name="", roles=[R.AUDITOR], org=tree["A"])
    with pytest.raises(PermissionError):
        services.update_user(a_admin, peer, display_name="", roles=[R.ADMIN], org=tree["A1"])
    assert User.objects.get(username="a_admin2").role_codes == {R.ADMIN}


def test_a_foreign_user_is_404_on_every_page(admin_client, personas):
    before = state()
    for url in ("/accounts/users/b_auditor/", "/accounts/users/b_auditor/edit/", "/accounts/users/prov_admin/"):
        assert admin_client.get(url).status_code == 404, url
    assert admin_client.post("/accounts/users/b_auditor/edit/", {"org": "A", "roles": [R.AUDITOR]}).status_code == 404
    assert admin_client.post("/accounts/users/b_auditor/active/", {"active": "0"}).status_code == 404
    assert state() == before


# --- deactivate and reactivate ---------------------------------------------------------------------------


def test_a_deactivated_user_cannot_log_in_and_their_sessions_end(admin_client, personas):
    session = Client()
    assert session.post("/accounts/login/", {"username": "a_auditor", "password": PASSWORD}).status_code == 302
    assert session.get("/").status_code == 200
    detail = admin_client.get("/accounts/users/a_auditor/").content.decode()
    assert 'action="/accounts/users/a_auditor/active/"' in detail and "停用" in detail
    assert 'action="/accounts/users/a_auditor/reset-password/"' in detail  # 重置密码 from the detail page
    response = admin_client.post("/accounts/users/a_auditor/active/", {"active": "0"})
    assert response.status_code == 302
    user = User.objects.get(username="a_auditor")
    assert not user.is_active
    entry = ActivityLog.objects.get(action="accounts.deactivate")
    assert entry.before["状态"] == "在用" and entry.after["状态"] == "已停用"
    # the open session is over, and logging in again is refused
    answer = session.get("/")
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
    fresh = Client()
    refused = fresh.post("/accounts/login/", {"username": "a_auditor", "password": PASSWORD})
    assert refused.status_code == 200 and "用户名或密码不正确" in refused.content.decode()
    assert fresh.get("/").status_code == 302
    # reactivated, the user logs in again
    admin_client.post("/accounts/users/a_auditor/active/", {"active": "1"})
    assert User.objects.get(username="a_auditor").is_active
    assert ActivityLog.objects.filter(action="accounts.activate").count() == 1
    assert Client().post("/accounts/login/", {"username": "a_auditor", "password": PASSWORD}).status_code == 302


def test_an_administrator_cannot_deactivate_themselves(admin_client, a_admin):
    before = state()
    assert 'action="/accounts/users/a_admin/active/"' not in admin_client.get("/accounts/users/a_admin/").content.decode()
    response = admin_client.post("/accounts/users/a_admin/active/", {"active": "0"}, follow=True)
    assert "不能停用自己的账号。" in response.content.decode()
    assert User.objects.get(username="a_admin").is_active and state() == before
    peer = make_user("A", "a_admin2", R.ADMIN)
    with pytest.raises(PermissionError, match="上级单位的系统管理员"):
        services.set_active(a_admin, peer, False)
    assert User.objects.get(pk=peer.pk).is_active


# --- the CLI goes through the same services ---------------------------------------------------------------


def test_cli_still_creates_and_lists_users(tree, capsys):
    assert main(["users", "create", "--org", "A", "--role", "系统管理员", "--username", "first_admin",
                 "--generate-password"]) == 0
    assert User.objects.get(username="first_admin").role_codes == {R.ADMIN}  # the first administrator: CLI
    assert main(["users", "create", "--org", "A", "--role", "审计员", "--username", "new", "--generate-password"]) == 1
    assert "为系统保留" in capsys.readouterr().err
    with pytest.raises(ValidationError):
        services.create_user(org=tree["A"], username="x y", password=PASSWORD, roles=[R.AUDITOR])
