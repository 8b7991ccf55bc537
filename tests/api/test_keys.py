"""API keys: made by an administrator (page or command line), the secret shown once and stored
hashed, refused with 401 once revoked or expired, and never a way into the web pages."""

import datetime
import hashlib
import json

import pytest
from django.core.management import call_command
from django.test import Client

from jingshen.accounts.models import RoleCode
from jingshen.activity.models import ActivityLog
from jingshen.api.models import APIKey
from jingshen.api.services import create_key, revoke_key
from jingshen.orgs.services import OPERATOR
from tests.api.conftest import key_client
from tests.conftest import make_user


def _everything_stored(key: APIKey) -> str:
    row = APIKey.objects.filter(pk=key.pk).values().get()
    logs = list(ActivityLog.objects.values("summary", "details", "before", "after"))
    return json.dumps([row, logs], default=str, ensure_ascii=False)


@pytest.mark.django_db
def test_the_secret_is_returned_once_and_only_its_hash_is_stored(make_key):
    key, secret = make_key("A", ["read_flags"])
    assert secret.startswith("jsk_") and len(secret) >= 40 and secret.startswith(key.prefix)
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = _everything_stored(key)
    assert secret not in stored and secret[len(key.prefix):] not in stored
    entry = ActivityLog.objects.get(action="api.key_create")
    assert entry.org.code == "A" and key.prefix in entry.summary


@pytest.mark.django_db
def test_an_administrator_creates_a_key_on_the_page_and_sees_the_secret_only_then(client, personas, tree):
    admin = make_user("A", "a_admin", RoleCode.ADMIN)
    client.force_login(admin)
    assert "API 密钥" in client.get("/manage/").content.decode()
    response = client.post("/manage/api-keys/new/", {"org": "A1", "name": "财务软件", "scopes": ["push", "read_flags"]})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    key = APIKey.objects.get()
    page = response.content.decode()
    secret = page.split('id="secret" readonly size="60" value="')[1].split('"')[0]
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.org.code == "A1" and key.scopes == ["push", "read_flags"] and key.created_by == admin
    listing = client.get("/manage/api-keys/").content.decode()
    assert key.prefix in listing and secret not in listing and "推送数据、读取疑点" in listing
    assert key_client(secret).get("/api/v1/me/").json()["scopes"] == ["push", "read_flags"]


@pytest.mark.django_db
def test_the_page_refuses_units_and_keys_outside_the_administrators_scope(client, personas, tree, make_key):
    client.force_login(make_user("A", "a_admin", RoleCode.ADMIN))
    assert client.post("/manage/api-keys/new/", {"org": "B", "name": "越权", "scopes": ["read_flags"]}).status_code == 404
    response = client.post("/manage/api-keys/new/", {"org": "A", "name": "x", "scopes": ["bogus"]})
    assert response.status_code == 200 and "未知的权限" in response.content.decode()
    b_key, _ = make_key("B")
    assert client.post(f"/manage/api-keys/{b_key.pk}/revoke/").status_code == 404
    assert APIKey.objects.get(pk=b_key.pk).revoked_at is None
    assert b_key.prefix not in client.get("/manage/api-keys/").content.decode()
    # the page is an administrator's: an auditor does not get it
    client.force_login(personas["a_auditor"])
    assert client.get("/manage/api-keys/").status_code == 404
    assert client.post("/manage/api-keys/new/", {"org": "A", "name": "x", "scopes": ["push"]}).status_code == 404


@pytest.mark.django_db
def test_a_revoked_an_expired_and_an_unknown_key_get_401_in_chinese(make_key):
    key, secret = make_key("A")
    client = key_client(secret)
    assert client.get("/api/v1/me/").status_code == 200
    revoke_key(key, actor=OPERATOR)
    response = client.get("/api/v1/orgs/")
    assert response.status_code == 401 and response.json()["detail"] == "API 密钥已被撤销，请联系系统管理员重新创建。"
    assert response["WWW-Authenticate"].startswith("Bearer")
    old, old_secret = make_key("A", expires_on=datetime.date.today())
    assert key_client(old_secret).get("/api/v1/me/").status_code == 200  # the last day counts
    APIKey.objects.filter(pk=old.pk).update(expires_on=datetime.date.today() - datetime.timedelta(days=1))
    response = key_client(old_secret).get("/api/v1/me/")
    assert response.status_code == 401 and "过期" in response.json()["detail"]
    for bad in ("jsk_" + "x" * 43, "nonsense", secret + "x"):
        response = key_client(bad).get("/api/v1/me/")
        assert response.status_code == 401 and response.json()["detail"] == "API 密钥无效。", bad
    # the X-Api-Key header works as well as Authorization: Bearer
    _, other = make_key("A")
    assert Client(HTTP_X_API_KEY=other).get("/api/v1/me/").status_code == 200


@pytest.mark.django_db
def test_a_key_never_opens_a_web_page(make_key, client_for):
    _, secret = make_key("A")
    client = key_client(secret)
    for url in ("/", "/screening/", "/orgs/A/", "/manage/api-keys/", "/activity/", "/api/v1/docs/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    # a signed-in user reads the documentation, served from the platform itself
    page = client_for("a_auditor").get("/api/v1/docs/")
    assert page.status_code == 200 and "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page.content.decode()
    assert "<style" not in page.content.decode() and "<script>" not in page.content.decode()


@pytest.mark.django_db
def test_a_key_acts_as_itself_not_as_its_creator(make_key, personas, tree):
    key, secret = create_key(org=tree["A"], name="平台对接", scopes=["read_flags"], actor=make_user("A", "a_admin", RoleCode.ADMIN))
    me = key_client(secret).get("/api/v1/me/").json()
    assert me["username"] == f"key:{key.prefix}" and me["roles"] == [] and me["org"]["code"] == "A"


@pytest.mark.django_db
def test_the_command_line_creates_lists_and_revokes_keys(tree, capsys, personas):
    call_command("apikeys_create", "--org", "A", "--name", "上级平台", "--scope", "read_flags", "--scope", "read_projects",
                 "--expires", "2099-12-31")
    out = capsys.readouterr().out
    secret = out.strip().splitlines()[-1]
    key = APIKey.objects.get()
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest() and key.expires_on == datetime.date(2099, 12, 31)
    call_command("apikeys_list")
    listed = capsys.readouterr().out
    assert key.prefix in listed and secret not in listed and "读取疑点、读取审计项目" in listed and "有效" in listed
    call_command("apikeys_revoke", str(key.pk))
    assert "已撤销" in capsys.readouterr().out and APIKey.objects.get().revoked_at is not None
    # --by: the administrator's scope is checked
    make_user("A", "a_admin", RoleCode.ADMIN)
    with pytest.raises(Exception, match="不能为该单位创建"):
        call_command("apikeys_create", "--org", "B", "--name", "越权", "--scope", "push", "--by", "a_admin")
    with pytest.raises(Exception, match="未知的权限"):
        call_command("apikeys_create", "--org", "A", "--name", "x", "--scope", "everything")
