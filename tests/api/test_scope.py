"""A key is a principal of its own that orgs/scope.py understands: its unit's subtree, the
actions of its scopes, nothing from grants or projects; and every API endpoint keeps a key or a
user of one branch out of another."""

import datetime

import pytest

from jingshen.accounts.models import RoleCode
from jingshen.orgs import scope
from jingshen.orgs.services import OPERATOR, create_grant
from tests.api.conftest import key_client
from tests.conftest import make_user
from tests.test_access import OWNED_PARAMS, POST_ONLY, QUERY, all_patterns, fill, values_for

NOT_DATA = {"api-schema", "api-docs"}


def api_patterns():
    return [(route, name, params) for route, name, params in all_patterns()
            if route.startswith("api/v1/") and name not in NOT_DATA | POST_ONLY]  # push endpoints: tests/api/test_push.py


def url_of(route: str, name: str, values: dict) -> str:
    return fill(route, values) + QUERY.get(name, "")


def codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


@pytest.mark.django_db
def test_a_key_reaches_its_units_subtree_for_the_actions_of_its_scopes(make_key):
    key, _ = make_key("A", ["read_flags"])
    principal = scope.KeyPrincipal(key)
    assert codes(scope.orgs_for(principal, scope.VIEW)) == {"A", "A1", "A1X", "A2"}
    assert codes(scope.orgs_for(principal, scope.VIEW_FLAGS)) == {"A", "A1", "A1X", "A2"}
    for action in (scope.IMPORT, scope.AUDIT, scope.SCREEN, scope.MANAGE, scope.CONFIGURE, scope.PLAN, scope.VIEW_LOG):
        assert not scope.orgs_for(principal, action).exists() and not scope.may(principal, action), action
    assert scope.may(principal, scope.VIEW_FLAGS) and not scope.is_audit_staff(principal)
    assert not scope.knowledge_sources(principal).exists()  # no read_knowledge
    push = scope.KeyPrincipal(make_key("A1X", ["push"])[0])
    assert codes(scope.orgs_for(push, scope.IMPORT)) == {"A1X"} and not scope.orgs_for(push, scope.VIEW_FLAGS).exists()
    knowledge = scope.KeyPrincipal(make_key("A1", ["read_knowledge"])[0])
    assert codes(scope.knowledge_sources(knowledge)) == {"P", "A", "A1"}


@pytest.mark.django_db
def test_grants_and_revoked_keys_open_nothing_to_a_key(make_key, tree):
    today = datetime.date.today()
    create_grant(target=tree["B1X"], grantee_org=tree["A"], valid_from=today, valid_until=today, purpose="交叉互审", actor=OPERATOR)
    assert "B1X" in codes(scope.orgs_for(make_user("A", "a_aud", RoleCode.AUDITOR), scope.VIEW))  # the unit's staff, yes
    key, _ = make_key("A")
    assert "B1X" not in codes(scope.orgs_for(scope.KeyPrincipal(key), scope.VIEW))
    key.revoked_at = datetime.datetime.now(datetime.UTC)
    assert not scope.orgs_for(scope.KeyPrincipal(key), scope.VIEW).exists()
    assert scope.personal("started_by", scope.KeyPrincipal(key)).children == [("pk__in", [])]


@pytest.mark.django_db
def test_every_endpoint_answers_a_key_of_the_unit_above_and_hides_the_unit_from_another_branch(make_key, tmp_path):
    values = values_for("A1X", tmp_path)
    _, mine = make_key("A")
    _, theirs = make_key("B")
    own, foreign = key_client(mine), key_client(theirs)
    checked = 0
    for route, name, params in api_patterns():
        url = url_of(route, name, values)
        assert own.get(url).status_code == 200, url
        response = foreign.get(url)
        if OWNED_PARAMS & set(params):
            assert response.status_code == 404, f"{url}: {response.status_code}"
        else:
            assert response.status_code == 200, url
            assert "A1X" not in response.content.decode(), f"{url} lists a unit of the other branch"
        checked += 1
    assert checked >= 14
    # naming the foreign unit in a filter is a 404 (datasets) or an empty list (flags, like the page)
    assert foreign.get("/api/v1/datasets/?org=A1X").status_code == 404
    assert foreign.get("/api/v1/orgs/?parent=A1").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["b_auditor", "contact"])
def test_every_endpoint_hides_another_branch_from_a_user(client_for, persona, tmp_path):
    values = values_for("B1X" if persona == "contact" else "A1X", tmp_path)
    client = client_for(persona)
    for route, name, params in api_patterns():
        url = url_of(route, name, values)
        response = client.get(url)
        if OWNED_PARAMS & set(params):
            assert response.status_code == 404, f"{persona} reached {url}: {response.status_code}"
        else:
            assert response.status_code == 200 and values["code"] not in response.content.decode(), url


# endpoint name -> the key scopes that open it (every scope opens me/ and the units)
OPENED_BY = {"api-datasets": {"push", "read_flags"}, "api-dataset": {"push", "read_flags"},
             "api-runs": {"read_flags"}, "api-run": {"read_flags"}, "api-run-flags": {"read_flags"},
             "api-run-ranking": {"read_flags"}, "api-risk": {"read_flags"},
             "api-projects": {"read_projects"}, "api-project": {"read_projects"}, "api-project-findings": {"read_projects"},
             "api-knowledge-search": {"read_knowledge"}}


@pytest.mark.django_db
def test_a_key_without_the_scope_gets_403_in_chinese(make_key, tmp_path):
    values = values_for("A1X", tmp_path)
    names = {name for _, name, _ in api_patterns()}
    assert names - {"api-me", "api-orgs", "api-org"} == set(OPENED_BY), "declare which key scopes open each new endpoint"
    for key_scope in scope.KEY_SCOPES:
        client = key_client(make_key("A", [key_scope])[1])
        for route, name, _ in api_patterns():
            response = client.get(url_of(route, name, values))
            if name in OPENED_BY and key_scope not in OPENED_BY[name]:
                assert response.status_code == 403, f"{key_scope} {name}: {response.status_code}"
                assert "此 API 密钥没有调用该接口的权限" in response.json()["detail"]
            elif name in OPENED_BY:
                assert response.status_code == 200, f"{key_scope} {name}: {response.status_code}"
