"""The 审计项目 list: paged (no silent cut), filtered by text and stage, the filters kept in the
pager's links; empty states that say who can start a project."""

import re

import pytest

from jingshen.audits import views
from tests.audits.test_projects import new_project, team  # noqa: F401 (fixture)


def codes(html: str) -> list[str]:
    return re.findall(r'<a href="/audits/\d+/">([^<]+)</a>', html)


@pytest.fixture
def projects(team, tree, monkeypatch):  # noqa: F811
    monkeypatch.setattr(views, "PROJECTS_PER_PAGE", 2)
    made = [new_project(team, tree, code=f"经审〔2026〕{n}号", name=f"第{n}个项目") for n in range(1, 6)]
    return made


def test_every_project_is_reachable_page_by_page(projects, client_for):
    client = client_for("a1_auditor")
    first = client.get("/audits/").content.decode()
    assert "共 5 个项目" in first and "第 1 / 3 页" in first
    seen = []
    for n in (1, 2, 3):
        seen += codes(client.get(f"/audits/?page={n}").content.decode())
    assert sorted(seen) == sorted(p.code for p in projects)


def test_filters_are_kept_across_pages(projects, client_for):
    from jingshen.audits.models import Stage

    projects[0].__class__.objects.filter(pk__in=[p.pk for p in projects[:3]]).update(stage=Stage.FIELDWORK)
    client = client_for("a1_auditor")
    page = client.get("/audits/?stage=fieldwork&q=项目").content.decode()
    assert "共 3 个项目" in page
    nxt = re.search(r'<a href="([^"]+)">下一页</a>', page).group(1).replace("&amp;", "&")
    assert "stage=fieldwork" in nxt and "page=2" in nxt and "q=" in nxt
    assert codes(client.get("/audits/" + nxt).content.decode()) == [projects[0].code]  # newest first: the oldest is last
    assert codes(client.get("/audits/?q=第2个").content.decode()) == [projects[1].code]
    assert "没有符合条件的审计项目" in client.get("/audits/?q=不存在").content.decode()


def test_hostile_list_parameters_answer_the_page(projects, client_for):
    client = client_for("a1_auditor")
    for query in ("page=0", "page=99999999999999999999", "page=abc", "stage=<script>", "q=" + "x" * 500, "q=%00"):
        response = client.get(f"/audits/?{query}")
        assert response.status_code == 200 and b"<script>" not in response.content, query


def test_an_empty_list_says_who_starts_a_project(tree, team, client_for, client):  # noqa: F811
    client.force_login(team["director"])
    planner = client.get("/audits/").content.decode()
    assert "暂无审计项目" in planner and 'href="/audits/new/"' in planner
    auditor = client_for("a1_auditor").get("/audits/").content.decode()
    assert "由经审负责人或审计组长立项" in auditor and 'href="/audits/new/"' not in auditor
