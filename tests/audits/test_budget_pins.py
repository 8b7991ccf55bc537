"""A project pins its budget version like its datasets: the latest version of each audited unit
and year at 立项; a re-import is a new version the project adopts only explicitly (logged);
archived projects refuse it; the budget page opened from a project says which version it uses."""

import pytest
from django.test import Client

from jingshen.activity.models import ActivityLog
from jingshen.audits import services
from jingshen.audits.models import ArchivedError, AuditProject, PinnedBudget, Stage
from jingshen.finance.services import import_budget
from tests.audits.test_projects import TODAY, new_project, team  # noqa: F401 (fixture)
from tests.finance.test_budget_import import PUBLISHED, write


def budget(tmp_path, tree, code="A1X", year=2021, name="预算.csv"):
    return import_budget(write(tmp_path, PUBLISHED, name=name), org=tree[code], year=year)


def project_2021(team, tree, **kw):
    return new_project(team, tree, fiscal_years=[2021], **kw)


def test_a_project_pins_the_latest_budget_and_adopts_a_newer_one_explicitly(team, tree, tmp_path):
    budget(tmp_path, tree, name="v1.csv")
    v2 = budget(tmp_path, tree, name="v2.csv")
    budget(tmp_path, tree, code="A1X", year=2023, name="other-year.csv")  # not an audited year
    project = project_2021(team, tree)
    assert [p.budget for p in project.budget_pins.all()] == [v2]
    assert ActivityLog.objects.get(action="audits.create").details["budgets"] == [v2.pk]
    # a re-import is a new version: the project keeps its own until it adopts the newer one
    v3 = budget(tmp_path, tree, name="v3.csv")
    assert [p.budget.version for p in project.budget_pins.all()] == [2]
    services.acknowledge_discipline(team["lead"], project)
    with pytest.raises(PermissionError):
        services.adopt_budget(team["auditor"], project, v3)  # a member who is not the leader
    services.adopt_budget(team["lead"], project, v3)
    assert [p.budget.version for p in project.budget_pins.all()] == [3]
    entry = ActivityLog.objects.get(action="audits.adopt_budget")
    assert entry.before == {"version": 2} and entry.after == {"version": 3} and entry.actor == team["lead"]
    with pytest.raises(ValueError, match="只能换用更新的版本"):
        services.adopt_budget(team["lead"], project, v2)
    with pytest.raises(ValueError, match="不是本项目被审计单位、审计年度的预算"):
        services.adopt_budget(team["lead"], project, budget(tmp_path, tree, code="A2", name="a2.csv"))


def test_a_budget_imported_after_initiation_is_adopted_on_the_project_page(team, tree, tmp_path):
    project = project_2021(team, tree)
    assert not project.budget_pins.exists()
    services.acknowledge_discipline(team["lead"], project)
    b = budget(tmp_path, tree)
    client = Client()
    client.force_login(team["lead"])
    page = client.get(f"/audits/{project.pk}/").content.decode()
    assert "（立项时尚无预算）" in page and f"/finance/budgets/{b.pk}/?project={project.pk}" in page
    response = client.post(f"/audits/{project.pk}/adopt-budget/", {"budget": b.pk}, follow=True)
    assert "已换用" in response.content.decode()
    assert [p.budget for p in project.budget_pins.all()] == [b]
    assert client.post(f"/audits/{project.pk}/adopt-budget/", {"budget": "x"}, follow=True).status_code == 200


def test_an_archived_project_refuses_a_budget(team, tree, tmp_path):
    budget(tmp_path, tree, name="v1.csv")
    project = project_2021(team, tree)
    v2 = budget(tmp_path, tree, name="v2.csv")
    services.acknowledge_discipline(team["lead"], project)
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.ARCHIVED)
    project.refresh_from_db()
    with pytest.raises(ArchivedError):
        services.adopt_budget(team["lead"], project, v2)
    with pytest.raises(ArchivedError):
        PinnedBudget.objects.filter(project=project).delete()
    with pytest.raises(ArchivedError):
        PinnedBudget.objects.create(project=project, budget=v2, pinned_by=team["lead"])
    assert [p.budget.version for p in project.budget_pins.all()] == [1]


def test_the_budget_page_from_a_project_shows_the_version_it_uses(team, tree, tmp_path, personas):
    v1 = budget(tmp_path, tree, name="v1.csv")
    project = project_2021(team, tree)
    v2 = budget(tmp_path, tree, name="v2.csv")
    services.acknowledge_discipline(team["auditor"], project)
    client = Client()
    client.force_login(team["auditor"])
    page = client.get(f"/finance/budgets/{v1.pk}/?project={project.pk}").content.decode()
    assert "使用的就是本版（第 1 版）" in page
    page = client.get(f"/finance/budgets/{v2.pk}/?project={project.pk}").content.decode()
    assert f"使用的是 <a href=\"/finance/budgets/{v1.pk}/?project={project.pk}\">第 1 版</a>，不是本版（第 2 版）" in page
    # a project the user may not see is ignored, like no project at all
    other = Client()
    other.force_login(personas["b_auditor"])
    budget(tmp_path, tree, code="B1X", name="b.csv")
    foreign = import_budget(write(tmp_path, PUBLISHED, name="b2.csv"), org=tree["B1X"], year=2021)
    page = other.get(f"/finance/budgets/{foreign.pk}/?project={project.pk}").content.decode()
    assert "project-version" not in page and project.code not in page
