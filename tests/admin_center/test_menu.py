"""The 综合管理 index lists the entries the user may open, and nothing else."""

import re

import pytest
from django.urls import reverse

from jingshen.accounts.models import RoleCode
from jingshen.admin_center.menu import ENTRIES, entries_for
from tests.conftest import make_user


def links(client) -> set[str]:
    page = client.get("/manage/").content.decode()
    return set(re.findall(r'<a class="card" href="([^"]+)"', page))


@pytest.mark.django_db
def test_each_role_sees_the_entries_it_may_open(client, client_for, personas):
    director = make_user("A", "a_director", RoleCode.DIRECTOR)
    client.force_login(director)
    assert links(client) == {"/manage/staff/", "/manage/training/", "/manage/training/hours/", "/manage/prior-audits/",
                             "/manage/grants/", "/manage/plans/", "/manage/statistics/"}
    assert links(client_for("a_auditor")) == {"/manage/staff/", "/manage/training/", "/manage/training/hours/",
                                              "/manage/prior-audits/", "/manage/plans/", "/manage/statistics/"}
    contact = client_for("contact")
    assert contact.get("/manage/").status_code == 403  # no entry: refused, and not on the left menu
    # every listed link opens for that user
    for user in (director, personas["a_auditor"], personas["leader"], personas["prov_admin"]):
        client.force_login(user)
        assert links(client) == {reverse(e.url_name) for e in entries_for(user)}
        for url in links(client):
            assert client.get(url).status_code == 200, (user, url)
    assert all(e.title and e.description and e.url_name for e in ENTRIES)
