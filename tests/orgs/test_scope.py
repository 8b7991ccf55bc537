"""The 下审一级 access model: who sees and who may audit which unit."""

import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from jingshen.accounts.models import RoleCode
from jingshen.orgs import scope
from jingshen.orgs.services import OPERATOR, create_grant, revoke_grant
from tests.conftest import make_user


def codes(qs):
    return set(qs.values_list("code", flat=True))


ALL = {"P", "A", "A1", "A1X", "A2", "B", "B1", "B1X"}


def test_province_staff_see_everything_below(personas):
    for name in ("prov_director", "prov_admin", "leader"):
        assert codes(scope.visible_orgs(personas[name])) == ALL


def test_siblings_cannot_see_each_other(personas):
    assert codes(scope.visible_orgs(personas["a_auditor"])) == {"A", "A1", "A1X", "A2"}
    assert codes(scope.visible_orgs(personas["b_auditor"])) == {"B", "B1", "B1X"}
    with pytest.raises(Http404):
        scope.get_org_for_user(personas["a_auditor"], "B1X")
    with pytest.raises(Http404):
        scope.get_org_for_user(personas["b_auditor"], "A")
    # a sibling's unit and a unit that does not exist answer the same way
    with pytest.raises(Http404):
        scope.get_org_for_user(personas["b_auditor"], "NO-SUCH-UNIT")


def test_upper_units_are_not_visible_from_below(personas):
    assert "P" not in codes(scope.visible_orgs(personas["a_auditor"]))
    assert codes(scope.visible_orgs(personas["a1_auditor"])) == {"A1", "A1X"}


def test_auditee_contact_sees_only_own_unit(personas):
    assert codes(scope.visible_orgs(personas["contact"])) == {"A1X"}
    assert codes(scope.orgs_for(personas["contact"], scope.AUDIT)) == set()


def test_audit_is_own_level_and_one_level_down(personas):
    assert codes(scope.orgs_for(personas["prov_director"], scope.AUDIT)) == {"P", "A", "B"}
    assert codes(scope.orgs_for(personas["a_auditor"], scope.AUDIT)) == {"A", "A1", "A2"}
    assert codes(scope.orgs_for(personas["a_lead"], scope.AUDIT)) == {"A", "A1", "A2"}
    # seeing is not auditing: the province sees A1X but may not audit two levels down
    assert not scope.can(personas["prov_director"], scope.AUDIT, personas["contact"].org)
    # leaders and administrators read but do not audit
    assert codes(scope.orgs_for(personas["leader"], scope.AUDIT)) == set()
    assert codes(scope.orgs_for(personas["prov_admin"], scope.AUDIT)) == set()


def test_manage_is_for_administrators_in_their_subtree(personas):
    assert codes(scope.orgs_for(personas["prov_admin"], scope.MANAGE)) == ALL
    assert codes(scope.orgs_for(personas["prov_director"], scope.MANAGE)) == set()


def test_inactive_or_orgless_users_see_nothing(personas, tree):
    user = personas["a_auditor"]
    user.is_active = False
    user.save()
    assert codes(scope.visible_orgs(user)) == set()


def test_user_grant_opens_exactly_one_unit_until_it_expires(personas, tree):
    b = personas["b_auditor"]
    today = timezone.localdate()
    grant = create_grant(
        target=tree["A1X"],
        grantee_user=b,
        valid_from=today - datetime.timedelta(days=1),
        valid_until=today + datetime.timedelta(days=30),
        purpose="交叉互审：甲市一区电子公司工会 2025 年度经费收支",
        actor=OPERATOR,
    )
    assert codes(scope.visible_orgs(b)) == {"B", "B1", "B1X", "A1X"}  # A1X only, not A1 or A
    assert scope.can(b, scope.AUDIT, tree["A1X"])
    assert scope.get_org_for_user(b, "A1X") == tree["A1X"]
    with pytest.raises(Http404):
        scope.get_org_for_user(b, "A1")
    # the day after the grant ends it is gone; the day before it starts it is not yet there
    assert "A1X" not in codes(scope.visible_orgs(b, today=today + datetime.timedelta(days=31)))
    assert "A1X" not in codes(scope.visible_orgs(b, today=today - datetime.timedelta(days=2)))
    assert "A1X" in codes(scope.visible_orgs(b, today=today + datetime.timedelta(days=30)))
    revoke_grant(grant, actor=OPERATOR)
    assert "A1X" not in codes(scope.visible_orgs(b))


def test_org_grant_opens_the_unit_to_its_audit_staff_only(personas, tree):
    today = timezone.localdate()
    create_grant(target=tree["A2"], grantee_org=tree["B"], valid_from=today, valid_until=today, purpose="交叉互审", actor=OPERATOR)
    assert "A2" in codes(scope.visible_orgs(personas["b_auditor"]))
    assert scope.can(personas["b_auditor"], scope.AUDIT, tree["A2"])
    leader_b = make_user("B", "leader_b", RoleCode.LEADER)
    assert "A2" not in codes(scope.visible_orgs(leader_b))
    # other users of A's branch are unaffected
    assert "A2" not in codes(scope.visible_orgs(personas["b_auditor"], today=today + datetime.timedelta(days=1)))


def test_grant_validation(tree, personas):
    today = timezone.localdate()
    with pytest.raises(ValueError, match="截止日期不能早于起始日期"):
        create_grant(target=tree["A1"], grantee_org=tree["B"], valid_from=today, valid_until=today - datetime.timedelta(days=1), purpose="x", actor=OPERATOR)
    with pytest.raises(ValueError, match="二者只能选其一"):
        create_grant(target=tree["A1"], grantee_org=tree["B"], grantee_user=personas["b_auditor"], valid_from=today, valid_until=today, purpose="x", actor=OPERATOR)
    with pytest.raises(ValueError, match="请填写交叉互审的事由"):
        create_grant(target=tree["A1"], grantee_org=tree["B"], valid_from=today, valid_until=today, purpose=" ", actor=OPERATOR)


def test_restrict_filters_any_unit_owned_queryset(personas):
    from jingshen.accounts.models import User

    visible_users = scope.restrict(User.objects.all(), personas["b_auditor"])
    assert set(visible_users.values_list("username", flat=True)) == {"b_auditor"}


def test_the_permissions_table_per_action(personas):
    p = personas
    assert codes(scope.orgs_for(p["a_lead"], scope.SCREEN)) == {"A", "A1", "A1X", "A2"}
    assert codes(scope.orgs_for(p["leader"], scope.SCREEN)) == set()  # leaders read results, they do not screen
    assert codes(scope.orgs_for(p["leader"], scope.VIEW_FLAGS)) == ALL
    assert codes(scope.orgs_for(p["contact"], scope.VIEW_FLAGS)) == set()  # no suspicions for the audited unit
    assert codes(scope.orgs_for(p["contact"], scope.IMPORT)) == {"A1X"}
    assert codes(scope.orgs_for(p["leader"], scope.IMPORT)) == set()
    # rule parameters and custom rules are set on one's own unit, by 经审负责人 and 系统管理员
    assert codes(scope.orgs_for(p["prov_director"], scope.CONFIGURE)) == {"P"}
    assert codes(scope.orgs_for(p["prov_admin"], scope.CONFIGURE)) == {"P"}
    assert codes(scope.orgs_for(p["a_lead"], scope.CONFIGURE)) == set()
    assert codes(scope.orgs_for(p["prov_director"], scope.VIEW_LOG)) == ALL
    assert codes(scope.orgs_for(p["a_auditor"], scope.VIEW_LOG)) == set()
    assert scope.may(p["prov_director"], scope.CONFIGURE) and not scope.may(p["a_lead"], scope.CONFIGURE)
    with pytest.raises(ValueError):
        scope.orgs_for(p["a_lead"], "delete_everything")


def test_a_grant_opens_exactly_its_unit_for_every_action(personas, tree):
    """A grant on a county opens the county, never the units below it, whatever the action."""
    today = timezone.localdate()
    lead_b = make_user("B", "lead_b", RoleCode.TEAM_LEAD)
    leader_b = make_user("B", "leader_b2", RoleCode.LEADER)
    for grantee in (lead_b, leader_b):
        create_grant(target=tree["A1"], grantee_user=grantee, valid_from=today, valid_until=today, purpose="交叉互审", actor=OPERATOR)
    for action in scope.ACTIONS:
        outside_own_branch = codes(scope.orgs_for(lead_b, action).exclude(path__startswith=lead_b.org.path))
        assert outside_own_branch <= {"A1"}, (action, outside_own_branch)
    for action in (scope.VIEW, scope.VIEW_FLAGS, scope.AUDIT, scope.SCREEN):
        assert scope.can(lead_b, action, tree["A1"]), action  # audit staff: the audit work on the unit
    for action in (scope.IMPORT, scope.CONFIGURE, scope.MANAGE, scope.VIEW_LOG):
        assert not scope.can(lead_b, action, tree["A1"]), action  # not its data collection or settings
    # a grantee without an audit role may only look
    assert [a for a in scope.ACTIONS if scope.can(leader_b, a, tree["A1"])] == [scope.VIEW]
    assert scope.may(leader_b, scope.VIEW) and not scope.may(leader_b, scope.SCREEN)
