"""The 门户 home page per role and scope: each section holds only what the user may see, from
aggregates, in a bounded number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jingshen.portal.models import PortalVisit
from jingshen.portal.services import record_visit
from tests.portal.conftest import risk, run_of

pytestmark = pytest.mark.django_db


def section(html: str, ident: str) -> str:
    start = html.index(f'id="{ident}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_province_director_sees_every_section(client_for, portal_data):
    html = client_for("prov_director").get("/").content.decode()
    top = section(html, "risk")
    # ranked by current risk, each with the run it comes from
    assert top.index("甲市一区电子公司工会委员会") < top.index("乙市一区医院工会委员会") < top.index("甲市二区总工会")
    province_run, old_run = portal_data["runs"]
    assert f"筛查 #{province_run.pk}" in top and f"筛查 #{old_run.pk}" in top
    assert 'href="/portal/risk/"' in top
    assert 'id="risk-heat-data"' in html and "portal.js" in html
    assert "审计覆盖率" in html and 'href="/portal/never-audited/"' in html
    assert "甲审〔2026〕1号" in section(html, "projects")  # overdue: planned end passed, not archived
    assert "乙审〔2026〕1号" not in section(html, "projects")  # ends in 60 days
    rect = section(html, "rectification")
    assert "共 3 项" in rect and "33%" in rect
    assert "全省经审工作要点" in section(html, "notices")
    # the tree stays, and folds
    assert 'id="org-tree"' in html and '<details class="fold panel" id="units" open>' in html


def test_county_user_never_sees_another_countys_units_or_notices(client_for, portal_data):
    html = client_for("a1_auditor").get("/").content.decode()
    assert "甲市一区电子公司工会委员会" in section(html, "risk")
    for foreign in ("甲市二区总工会", "乙市一区医院工会委员会", "乙市"):
        assert foreign not in section(html, "risk"), foreign
    notices = section(html, "notices")
    assert "全省经审工作要点" in notices and "甲市通知" in notices and "乙市通知" not in notices
    assert "乙审〔2026〕1号" not in html and "乙的问题" not in html
    b = client_for("b_auditor").get("/").content.decode()
    assert "甲市一区电子公司工会委员会" not in b and "甲市通知" not in b and "甲审〔2026〕1号" not in b
    assert "共 2 项" in section(b, "rectification")  # 乙's two items, not 甲's


def test_contact_sees_no_risk_but_notices_and_todos(client_for, personas, portal_data, tree):
    from jingshen.audits.models import DataRequest

    late, _ = portal_data["projects"]
    DataRequest.objects.create(project=late, org=tree["A1X"], title="请提供 2025 年账簿", items="账簿", sent_by=personas["a_lead"],
                               due_date=timezone.localdate() + datetime.timedelta(days=3))
    html = client_for("contact").get("/").content.decode()
    assert 'id="risk"' not in html and "风险预警" not in html and "risk-heat" not in html and "/portal/risk/" not in html
    assert "疑点" not in section(html, "todos")
    assert "审前调查待答复" in section(html, "todos") and f'href="/audits/{late.pk}/"' in section(html, "todos")
    assert "全省经审工作要点" in section(html, "notices") and "甲市通知" in section(html, "notices")
    assert client_for("contact").get(f"/audits/{late.pk}/").status_code == 200  # the to-do opens
    assert client_for("contact").get("/portal/risk/").status_code == 404
    assert client_for("contact").get("/portal/never-audited/").status_code == 404


def test_leader_sees_the_overview_without_work_items(client_for, portal_data):
    html = client_for("leader").get("/").content.decode()
    assert "风险预警" in html and "审计覆盖率" in html and "项目进度" in html
    assert "暂无待办事项" in html


def test_todos_of_a_team_lead_link_to_pages_they_open(client_for, portal_data):
    client = client_for("a_lead")
    todos = section(client.get("/").content.decode(), "todos")
    late, _ = portal_data["projects"]
    assert "待核实疑点 1 个" in todos and "项目计划结束" in todos and "已超期" in todos
    for url in (f"/audits/{late.pk}/flags/", f"/audits/{late.pk}/"):
        assert f'href="{url}"' in todos
        assert client.get(url).status_code == 200, url


def test_new_high_flags_count_from_the_previous_visit(client_for, personas, portal_data, tree):
    director = personas["prov_director"]
    client = client_for("prov_director")
    first = section(client.get("/").content.decode(), "risk")
    assert "新增高风险疑点 6 个" in first and "近 30 天" in first  # a first visit looks back 30 days
    # a visit ended long ago: only runs finished after it are new
    PortalVisit.objects.filter(user=director).update(seen_at=timezone.now() - datetime.timedelta(minutes=40))
    second = section(client.get("/").content.decode(), "risk")
    assert "没有新增高风险疑点" in second
    new_run = run_of(tree["P"], timezone.now())
    from jingshen.screening.models import CurrentRisk

    CurrentRisk.objects.filter(org=tree["B1X"]).delete()
    risk(tree["B1X"], new_run, 80, high=3, flags=3)
    third = section(client.get("/").content.decode(), "risk")  # the same visit: still since its start
    assert "新增高风险疑点 3 个" in third and f"/screening/runs/{new_run.pk}/?severity=高" in third
    assert client.get(f"/screening/runs/{new_run.pk}/?severity=高").status_code == 200
    # the city of 甲 does not count 乙's new flags
    city = section(client_for("a_auditor").get("/").content.decode(), "risk")
    assert "新增高风险疑点 4 个" in city and f"/screening/runs/{new_run.pk}/" not in city


def test_record_visit_keeps_a_visit_together(personas):
    user = personas["a_auditor"]
    t0 = timezone.now()
    assert record_visit(user, t0) is None
    assert record_visit(user, t0 + datetime.timedelta(minutes=5)) is None  # the same visit
    assert record_visit(user, t0 + datetime.timedelta(hours=2)) == t0 + datetime.timedelta(minutes=5)
    assert record_visit(user, t0 + datetime.timedelta(hours=2, minutes=1)) == t0 + datetime.timedelta(minutes=5)


def test_heat_map_counts_units_by_level_and_band(client_for, portal_data):
    import json
    import re

    html = client_for("prov_director").get("/").content.decode()
    data = json.loads(re.search(r'<script id="risk-heat-data" type="application/json">(.*?)</script>', html).group(1))
    rows = {r["level"]: r["cells"] for r in data["rows"]}
    # columns: 高, 中, 低, 无疑点, 未筛查
    assert rows["grassroots"] == [1, 1, 0, 0, 0]
    assert rows["county"] == [0, 0, 1, 1, 1]  # A2 low, A1 none, B1 not screened
    assert rows["province"] == [0, 0, 0, 0, 1]


def test_home_page_queries_are_bounded(client_for, portal_data, tree, personas):
    """The province director's home page reads aggregates: a bounded number of queries, which
    does not grow with the number of units, runs or notices."""
    from jingshen.portal.models import Notice

    client = client_for("prov_director")
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/").status_code == 200
    for i in range(10):
        Notice.objects.create(org=tree["P"], title=f"通知{i}", body="x", published_by=personas["prov_director"])
    run = run_of(tree["P"], timezone.now())
    for code in ("P", "A", "B", "B1"):
        risk(tree[code], run, 10 * len(code), high=1)
    with CaptureQueriesContext(connection) as more:
        assert client.get("/").status_code == 200
    assert len(few) <= 40, [q["sql"][:120] for q in few.captured_queries]
    assert len(more) == len(few)
