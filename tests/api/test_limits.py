"""Throttling per key and per user (429 in Chinese), the request size limit, and one activity
log entry per bulk read."""

import pytest
from django.core.cache import cache

from jingshen.activity.models import ActivityLog, Source
from tests.api.conftest import key_client
from tests.test_access import values_for


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"key": "3/min", "user": "2/min", "anon": "1/min"}}
    cache.clear()


@pytest.mark.django_db
def test_each_key_and_each_user_is_throttled_with_a_chinese_429(make_key, client_for, low_rates):
    _, first = make_key("A")
    _, second = make_key("A")
    client = key_client(first)
    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/api/v1/orgs/")
    assert response.status_code == 429 and response.json()["detail"].startswith("请求过于频繁，已超过调用频率限制，请在 ")
    assert response.json()["detail"].endswith(" 秒后重试。") and int(response["Retry-After"]) > 0
    assert key_client(second).get("/api/v1/me/").status_code == 200  # per key, not per unit
    user = client_for("a_auditor")
    assert [user.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]
    assert client_for("b_auditor").get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_a_request_over_the_size_limit_answers_413(make_key, settings):
    settings.API_MAX_REQUEST_BYTES = 1024 * 1024
    _, secret = make_key("A")
    response = key_client(secret).post("/api/v1/me/", data="x" * (1024 * 1024 + 1), content_type="application/json")
    assert response.status_code == 413 and "请求内容过大" in response.json()["detail"]
    # within the limit the endpoint answers as usual (me/ takes no POST: 405)
    assert key_client(secret).post("/api/v1/me/", data="{}", content_type="application/json").status_code == 405


@pytest.mark.django_db
def test_a_bulk_read_is_one_activity_entry_whatever_its_rows(make_key, client_for, tmp_path):
    values = values_for("A1X", tmp_path)
    key, secret = make_key("A", ["read_flags"])
    before = ActivityLog.objects.count()
    response = key_client(secret).get(f"/api/v1/runs/{values['run_id']}/flags/?severity=中&limit=5")
    assert response.status_code == 200 and response.json()["count"] >= 1
    entries = list(ActivityLog.objects.filter(seq__gt=before))
    assert len(entries) == 1
    entry = entries[0]
    assert entry.action == "api.read" and entry.source == Source.API and entry.actor is None and entry.org.code == "A"
    assert entry.details["via_key"] == {"id": key.pk, "name": key.name, "prefix": key.prefix}
    assert entry.details["params"] == {"severity": "中"} and entry.details["run"] == int(values["run_id"])
    assert entry.summary.startswith(f"API 密钥「{key.name}」通过接口读取疑点清单 ")
    # a user's list call is logged with the user as actor; single objects and me/ are not bulk reads
    user = client_for("a_auditor")
    before = ActivityLog.objects.count()
    user.get("/api/v1/datasets/")
    user.get(f"/api/v1/datasets/{values['dataset_id']}/")
    user.get("/api/v1/me/")
    entries = list(ActivityLog.objects.filter(seq__gt=before))
    assert [(e.action, e.actor.username, e.details["endpoint"]) for e in entries] == [("api.read", "a_auditor", "/api/v1/datasets/")]
    # a refused call reads nothing and logs nothing
    before = ActivityLog.objects.count()
    assert key_client(secret).get("/api/v1/datasets/?year=abc").status_code == 400
    assert ActivityLog.objects.count() == before
