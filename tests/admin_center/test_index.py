"""综合管理 index (/manage/): the entries of admin_center/menu.py the user may open, and the left
menu offering the section only to users with at least one."""

import pytest
from django.urls import reverse

from jingshen.accounts.models import RoleCode
from jingshen.admin_center import menu
from jingshen.orgs import scope
from tests.conftest import make_user


@pytest.fixture
def a_admin(personas):
    return make_user("A", "a_admin", RoleCode.ADMIN)


def test_an_administrator_sees_user_and_unit_management(client, a_admin):
    client.force_login(a_admin)
    html = client.get("/manage/").content.decode()
    assert 'href="/accounts/users/"' in html and "用户管理" in html and "分配角色" in html
    assert 'href="/orgs/"' in html and "单位管理" in html and "导入单位树" in html
    assert 'href="/manage/"' in client.get("/").content.decode()  # the left menu offers the section
    # every entry shown opens for the user who sees it
    for entry in menu.entries_for(a_admin):
        assert client.get(reverse(entry.url_name)).status_code == 200, entry.title


def test_a_user_with_no_entry_gets_403_and_no_menu_item(client_for, personas):
    client = client_for("contact")  # the audited unit's contact keeps no roster and manages nothing
    assert menu.entries_for(personas["contact"]) == []
    response = client.get("/manage/")
    assert response.status_code == 403 and "您没有可用的综合管理功能。" in response.content.decode()
    home = client.get("/").content.decode()
    assert 'href="/manage/"' not in home and "综合管理" not in home


def test_adding_an_entry_is_one_line(client_for, personas, monkeypatch):
    entry = menu.Entry("操作日志", "谁在何时做了什么。", "activity:index", lambda u: scope.may(u, scope.VIEW_LOG))
    monkeypatch.setattr(menu, "ENTRIES", [*menu.ENTRIES, entry])
    html = client_for("prov_director").get("/manage/").content.decode()  # a director: no user management
    assert 'href="/activity/"' in html and "谁在何时做了什么。" in html and "用户管理" not in html
    assert client_for("contact").get("/manage/").status_code == 403
