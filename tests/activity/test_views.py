"""The 操作日志 page: who sees it, which entries, filters that survive hostile input, the detail
with before/after."""

import datetime
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from jingshen.accounts.models import RoleCode
from jingshen.activity.models import ActivityLog
from jingshen.activity.services import record
from tests.conftest import make_user


@pytest.fixture
def entries(personas, tree):
    """One entry in each branch, one at the province, one without a unit."""
    admin = personas["prov_admin"]
    return {
        "A1X": record("orgs.rename", "甲市一区电子公司更名", actor=admin, org=tree["A1X"], obj=tree["A1X"],
                      before={"name": "旧名称", "members": 100}, after={"name": "新名称", "members": 100}),
        "B1X": record("orgs.rename", "乙市医院工会更名", actor=admin, org=tree["B1X"]),
        "P": record("screening.run", "全省筛查", actor=personas["prov_director"], org=tree["P"]),
        None: record("accounts.create_user", "创建无单位的用户", actor=admin),
    }


def shown(client, query="") -> str:
    response = client.get(f"/activity/{query}")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("persona", ["a_auditor", "a_lead", "leader", "contact", "b_auditor"])
def test_personas_without_view_log_get_404_and_no_menu_entry(client_for, entries, persona):
    client = client_for(persona)
    assert client.get("/activity/").status_code == 404
    assert client.get(f"/activity/{entries['A1X'].pk}/").status_code == 404
    assert "操作日志" not in client.get("/").content.decode()


@pytest.mark.parametrize("persona", ["prov_admin", "prov_director"])
def test_root_admin_and_director_see_everything_and_the_menu(client_for, entries, persona):
    client = client_for(persona)
    assert 'href="/activity/"' in client.get("/").content.decode()
    html = shown(client)
    for text in ("甲市一区电子公司更名", "乙市医院工会更名", "全省筛查", "创建无单位的用户"):
        assert text in html


def test_city_director_sees_only_their_subtree(client, entries):
    client.force_login(make_user("A", "a_director", RoleCode.DIRECTOR))
    html = shown(client)
    assert "甲市一区电子公司更名" in html
    assert "乙市医院工会更名" not in html and "全省筛查" not in html and "创建无单位的用户" not in html
    assert client.get(f"/activity/{entries['A1X'].pk}/").status_code == 200
    for foreign in (entries["B1X"], entries["P"], entries[None]):
        assert client.get(f"/activity/{foreign.pk}/").status_code == 404  # like a missing one
    assert client.get("/activity/999999999/").status_code == 404
    # the action choices only name codes of entries the user may read
    assert "screening.run" not in html.split('name="action"')[1].split("</select>")[0]


def test_newest_first_and_paginated(client_for, tree):
    for n in range(120):
        record("test.bulk", f"批量记录{n:03d}", org=tree["A"])
    client = client_for("prov_admin")
    first = shown(client, "?action=test.bulk")
    assert "批量记录119" in first and "批量记录070" in first and "批量记录069" not in first
    assert "第 1 / 3 页" in first
    last = shown(client, "?action=test.bulk&page=3")
    assert "批量记录019" in last and "批量记录000" in last and "批量记录020" not in last
    assert "第 3 / 3 页" in shown(client, "?action=test.bulk&page=4")  # past the end: the last page
    absurd = shown(client, "?action=test.bulk&page=99999999999999999999")  # refused like every page number
    assert "第 1 / 3 页" in absurd and "页码“99999999999999999999”无效" in absurd


def test_filters_by_user_action_and_dates(client_for, entries):
    client = client_for("prov_admin")
    html = shown(client, "?user=prov_director")
    assert "全省筛查" in html and "乙市医院工会更名" not in html
    html = shown(client, "?action=orgs.rename")
    assert "乙市医院工会更名" in html and "全省筛查" not in html
    ActivityLog.objects.filter(pk=entries["P"].pk).update(at=timezone.now() - datetime.timedelta(days=30))
    today = timezone.localdate()
    html = shown(client, f"?date_from={today}&date_to={today}")
    assert "乙市医院工会更名" in html and "全省筛查" not in html
    old = today - datetime.timedelta(days=30)
    html = shown(client, f"?date_from={old}&date_to={old}")
    assert "全省筛查" in html and "乙市医院工会更名" not in html


HOSTILE = ["", " ", "NaN", "nan", "-1", "0", "99999999999999999999999", "9999-99-99", "1e309", "x" * 10000,
           "' OR 1=1 --", "'; DROP TABLE activity_activitylog; --", "<script>alert(1)</script>", '"><img src=x>',
           "%00", "\x00", "2026-02-30", "0001-01-01", "9999-12-31", "２０２６-０１-０１"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_query_values_never_fail(client_for, entries, value):
    client = client_for("prov_admin")
    for field in ("user", "action", "date_from", "date_to", "page"):
        response = client.get("/activity/", {field: value})
        assert response.status_code == 200, field
        html = response.content.decode()
        assert "<script>alert(1)</script>" not in html and '"><img src=x>' not in html
    response = client.get("/activity/", dict.fromkeys(("user", "action", "date_from", "date_to", "page"), value))
    assert response.status_code == 200
    assert ActivityLog.objects.filter(pk=entries["B1X"].pk).exists()


@pytest.mark.parametrize("field,value,message", [
    ("date_from", "NaN", "日期无法识别，应为 YYYY-MM-DD 格式"),
    ("date_to", "2026-02-30", "日期无法识别，应为 YYYY-MM-DD 格式"),
    ("date_from", "0001-01-01", "日期应在 2000-01-01 至 2100-12-31 之间"),
    ("date_to", "9999-12-31", "日期应在 2000-01-01 至 2100-12-31 之间"),
    ("user", "x" * 10000, "用户名不超过 150 个字符"),
    ("action", "<script>alert(1)</script>", "没有这种操作"),
    ("action", "' OR 1=1 --", "没有这种操作"),
])
def test_invalid_values_show_a_chinese_error(client_for, entries, field, value, message):
    html = shown(client_for("prov_admin"), "?" + urlencode({field: value}))
    assert message in html and "部分筛选条件有误" in html
    assert "乙市医院工会更名" in html  # the invalid condition is left out, the list still shows


def test_reversed_dates_are_an_error(client_for, entries):
    html = shown(client_for("prov_admin"), "?date_from=2026-03-01&date_to=2026-01-01")
    assert "截止日期不能早于起始日期" in html


def test_detail_shows_before_and_after(client_for, entries):
    response = client_for("prov_admin").get(f"/activity/{entries['A1X'].pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "甲市一区电子公司更名" in html and "prov_admin" in html and "甲市一区电子公司工会委员会（A1X）" in html
    changes = html.split('id="changes"')[1].split("</table>")[0]
    assert "旧名称" in changes and "新名称" in changes and "members" not in changes  # only what changed
    assert "旧名称" in html.split('id="before"')[1] and entries["A1X"].hash in html


def test_detail_escapes_recorded_text(client_for, tree):
    entry = record("test.html", "<b>摘要</b>", org=tree["A"], before={"x": "<script>alert(1)</script>"}, after={"x": 1})
    html = client_for("prov_admin").get(f"/activity/{entry.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;b&gt;摘要&lt;/b&gt;" in html
