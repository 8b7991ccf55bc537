"""Every URL of the platform, page or API, enforces login and the unit scope.

The test walks the URL configuration itself, so a new view is covered the day it is added:
a URL parameter this test does not know how to fill makes it fail, asking for an ownership
check of the new view."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from jingshen.portal.menu import SECTIONS

PUBLIC = {"login", "healthz"}  # reachable without logging in
POST_ONLY = {"logout"}


def all_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{p.namespace}:" if p.namespace else ""
            for route, name, params in all_patterns(p, prefix + str(p.pattern)):
                yield route, (ns + name if name else name), params
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.name, list(p.pattern.converters)


def fill(route: str, values: dict) -> str:
    import re

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route)


KNOWN_PARAMS = {"code", "section"}


def test_every_url_parameter_is_known():
    for route, name, params in all_patterns():
        unknown = set(params) - KNOWN_PARAMS
        assert not unknown, f"{name} ({route}) takes {unknown}: add its ownership case to tests/test_access.py"


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login_or_refused(client, tree):
    for route, name, _ in all_patterns():
        if name in PUBLIC:
            continue
        url = fill(route, {"code": "A1X", "section": SECTIONS[1].key})
        response = client.get(url)
        if url.startswith("/api/"):
            assert response.status_code in (401, 403), url
        else:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona,foreign",
    [("a_auditor", "B1X"), ("b_auditor", "A1"), ("a1_auditor", "A2"), ("contact", "A1"), ("a_auditor", "P")],
)
def test_no_view_reveals_a_unit_outside_scope(client_for, persona, foreign):
    client = client_for(persona)
    checked = 0
    for route, name, params in all_patterns():
        if "code" not in params:
            continue
        url = fill(route, {"code": foreign, "section": SECTIONS[1].key})
        response = client.get(url)
        assert response.status_code == 404, f"{persona} reached {url}: {response.status_code}"
        checked += 1
    assert checked >= 3  # the unit page, its tree fragment and the API detail, at least


@pytest.mark.django_db
def test_views_answer_for_units_in_scope(client_for, personas):
    client = client_for("a_auditor")
    for route, name, params in all_patterns():
        if name in PUBLIC | POST_ONLY or name == "api-schema":
            continue
        url = fill(route, {"code": "A1X", "section": SECTIONS[1].key})
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_lists_only_hold_units_in_scope(client_for):
    client = client_for("b_auditor")
    home = client.get("/").content.decode()
    assert "乙市总工会" in home and "甲市总工会" not in home
    api = client.get("/api/v1/orgs/").json()
    assert {o["code"] for o in api["results"]} == {"B", "B1", "B1X"}
    assert client.get("/api/v1/orgs/?parent=A").status_code == 404
