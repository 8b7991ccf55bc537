"""交叉互审授权 on the page: the 经审负责人 who may plan a unit grants it (scope.may_grant), and
create_grant enforces that for every caller; a director outside the target's scope is refused."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jingshen.accounts.models import RoleCode
from jingshen.activity.models import ActivityLog
from jingshen.orgs import scope
from jingshen.orgs.models import CrossAuditGrant
from jingshen.orgs.services import create_grant, revoke_grant
from tests.conftest import make_user

TODAY = datetime.date.today()


@pytest.fixture
def a_director(personas):
    return make_user("A", "a_director", RoleCode.DIRECTOR)


def grant(actor, target, **who):
    return create_grant(target=target, valid_from=TODAY, valid_until=TODAY + datetime.timedelta(days=30),
                        purpose="交叉互审：2025 年度经费收支", actor=actor, **who)


def test_a_city_director_has_county_a_audit_county_b(a_director, tree, personas):
    assert scope.may_grant(a_director, tree["A2"], grantee_org=tree["A1"])
    g = grant(a_director, tree["A2"], grantee_org=tree["A1"])
    assert g.created_by == a_director
    assert scope.can(personas["a1_auditor"], scope.AUDIT, tree["A2"])  # 甲市一区's auditors now audit 甲市二区
    entry = ActivityLog.objects.get(action="orgs.grant")
    assert entry.actor == a_director and entry.org == tree["A2"]
    # to one user under the director's unit
    assert grant(a_director, tree["A1"], grantee_user=personas["a_auditor"]).grantee_user == personas["a_auditor"]


def test_a_director_outside_the_targets_scope_is_refused(a_director, tree, personas):
    # 乙市's county is not 甲市's to plan; 甲市's grassroots unit is below 下审一级
    for target in ("B1", "B1X", "B", "P", "A1X"):
        assert not scope.may_grant(a_director, tree[target], grantee_org=tree["A1"]), target
        with pytest.raises(PermissionError, match="不在您可以组织交叉互审的范围内"):
            grant(a_director, tree[target], grantee_org=tree["A1"])
    # the grantee must be under the director's own unit
    with pytest.raises(PermissionError, match="必须是本单位或本单位的下级单位"):
        grant(a_director, tree["A1"], grantee_org=tree["B1"])
    with pytest.raises(PermissionError, match="必须是本单位或本单位的下级单位"):
        grant(a_director, tree["A1"], grantee_user=personas["b_auditor"])
    with pytest.raises(PermissionError, match="不能是被审计单位本身"):
        grant(a_director, tree["A1"], grantee_org=tree["A1"])
    # those who may not plan may not grant, whatever they see
    for name in ("a_auditor", "leader", "a1_auditor", "contact"):
        with pytest.raises(PermissionError):
            grant(personas[name], tree["A2"], grantee_org=tree["A1"])
    # an administrator grants in their subtree (as the command line did before)
    assert grant(personas["prov_admin"], tree["A1X"], grantee_org=tree["B"]).pk
    assert CrossAuditGrant.objects.count() == 1


def test_a_grant_does_not_let_its_grantee_grant_again(a_director, tree, personas):
    b_director = make_user("B", "b_director", RoleCode.DIRECTOR)
    grant(personas["prov_admin"], tree["A1"], grantee_org=tree["B"])
    assert scope.can(b_director, scope.PLAN, tree["A1"])  # the grant lets 乙市 plan the audit of 甲市一区
    with pytest.raises(PermissionError):  # but not hand it on
        grant(b_director, tree["A1"], grantee_org=tree["B1"])


def test_the_page_creates_lists_and_revokes(client, client_for, a_director, tree, personas):
    client.force_login(a_director)
    assert client.get("/manage/grants/new/").status_code == 200
    data = {"target": "A2", "grantee_org": "A1", "valid_from": str(TODAY), "valid_until": str(TODAY), "purpose": "交叉互审"}
    assert client.post("/manage/grants/new/", data).status_code == 302
    g = CrossAuditGrant.objects.get()
    assert (g.target, g.grantee_org, g.created_by) == (tree["A2"], tree["A1"], a_director)
    assert scope.can(personas["a1_auditor"], scope.AUDIT, tree["A2"])
    listed = client.get("/manage/grants/").content.decode()
    assert "甲市二区总工会" in listed and "生效中" in listed and f"/manage/grants/{g.pk}/revoke/" in listed
    # outside the scope: the target is 404, a foreign grantee is a form error; nothing is written
    assert client.post("/manage/grants/new/", data | {"target": "B1"}).status_code == 404
    refused = client.post("/manage/grants/new/", data | {"grantee_org": "B1"})
    assert refused.status_code == 200 and "受托单位不存在，或不是本单位及其下级单位" in refused.content.decode()
    both = client.post("/manage/grants/new/", data | {"grantee_user": "a_auditor"})
    assert "二者只能选其一" in both.content.decode()
    backwards = client.post("/manage/grants/new/", data | {"valid_until": str(TODAY - datetime.timedelta(days=1))})
    assert "截止日期不能早于起始日期" in backwards.content.decode()
    assert CrossAuditGrant.objects.count() == 1
    # 乙市's director neither sees nor revokes it
    other = client_for("b_auditor")
    assert other.get("/manage/grants/").status_code == 404
    b_director = make_user("B", "b_director", RoleCode.DIRECTOR)
    other.force_login(b_director)
    assert "甲市二区总工会" not in other.get("/manage/grants/").content.decode()
    assert other.post(f"/manage/grants/{g.pk}/revoke/", {"reason": "越权"}).status_code == 404
    # a reason is required, then the grant is revoked and logged with it
    client.post(f"/manage/grants/{g.pk}/revoke/", {"reason": ""})
    g.refresh_from_db()
    assert g.revoked_at is None
    assert client.post(f"/manage/grants/{g.pk}/revoke/", {"reason": "审计结束"}).status_code == 302
    g.refresh_from_db()
    assert g.revoked_at is not None
    entry = ActivityLog.objects.get(action="orgs.grant_revoke")
    assert entry.actor == a_director and entry.details["reason"] == "审计结束" and "原因：审计结束" in entry.summary
    assert not scope.can(personas["a1_auditor"], scope.AUDIT, tree["A2"])  # revoked: 甲市一区 no longer audits 甲市二区


def test_revoke_is_refused_to_others_in_the_service(a_director, tree, personas):
    g = grant(a_director, tree["A2"], grantee_org=tree["A1"])
    with pytest.raises(PermissionError):
        revoke_grant(g, actor=personas["a1_auditor"], reason="x")
    assert revoke_grant(g, actor=personas["prov_admin"], reason="省总统一撤销")  # may grant on the target
    assert not revoke_grant(g, actor=a_director, reason="再次")  # already revoked


def test_the_command_acts_as_the_named_issuer(a_director, tree, capsys):
    args = ["--target", "A2", "--grantee-org", "A1", "--from", str(TODAY), "--until", str(TODAY), "--purpose", "交叉互审"]
    call_command("grants_create", *args, "--by", "a_director")
    assert "已创建授权" in capsys.readouterr().out and CrossAuditGrant.objects.get().created_by == a_director
    with pytest.raises(CommandError, match="不在您可以组织交叉互审的范围内"):
        call_command("grants_create", *[a if a != "A2" else "B1" for a in args], "--by", "a_director")
    assert CrossAuditGrant.objects.count() == 1
