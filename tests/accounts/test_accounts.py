"""Login, throttling, password policy and the users command."""

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client, override_settings

from jingshen import settings as project_settings
from jingshen.accounts.models import User
from jingshen.activity.models import ActivityLog
from jingshen.cli import main
from tests.conftest import PASSWORD


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_page_is_chinese(client, db):
    html = client.get("/accounts/login/").content.decode()
    assert "智慧经审平台" in html and "用户名" in html and "密码" in html and "登录" in html


def test_login_and_logout(personas):
    client = Client()
    response = login(client, "a_auditor", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert "甲市总工会" in client.get("/").content.decode()
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_message_is_chinese(personas):
    response = login(Client(), "a_auditor", "wrong-password-1")
    assert response.status_code == 200
    assert "用户名或密码不正确。" in response.content.decode()


def test_login_is_throttled_after_five_failures(personas):
    client = Client()
    for _ in range(5):
        login(client, "b_auditor", "wrong-password-1")
    response = login(client, "b_auditor", PASSWORD)  # even the right password is refused now
    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode()
    # another account from the same address is not locked
    assert login(Client(), "a_auditor", PASSWORD).status_code == 302


def test_production_hasher_is_argon2(personas):
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=project_settings.PASSWORD_HASHERS):
        user = personas["a_auditor"]
        user.set_password(PASSWORD)
        assert identify_hasher(user.password).algorithm == "argon2"


def test_session_and_csrf_cookies_are_hardened():
    assert project_settings.SESSION_COOKIE_HTTPONLY and project_settings.CSRF_COOKIE_HTTPONLY
    assert project_settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert project_settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert project_settings.X_FRAME_OPTIONS == "DENY"


@pytest.mark.parametrize(
    "password,message",
    [
        ("abc12", "密码长度太短"),
        ("1234567890123", "密码只包含数字"),
        ("onlyletterspassword", "密码必须同时包含字母和数字"),
        ("password123", "这个密码太常见了"),
    ],
)
def test_users_create_enforces_password_policy(tree, tmp_path, capsys, password, message):
    secret = tmp_path / "pw.txt"
    secret.write_text(password + "\n", encoding="utf-8")
    code = main(["users", "create", "--org", "A", "--role", "审计员", "--username", "zhang", "--password-file", str(secret)])
    err = capsys.readouterr().err
    assert code == 1
    assert message in err
    assert not User.objects.filter(username="zhang").exists()


def test_users_create_with_password_file(tree, tmp_path, capsys):
    secret = tmp_path / "pw.txt"
    secret.write_text("Zhang2026audit\n", encoding="utf-8")
    code = main(
        ["users", "create", "--org", "A", "--role", "审计员,审计组长", "--username", "zhang", "--name", "张三", "--password-file", str(secret)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "已创建用户 zhang（甲市总工会，审计员、审计组长）" in out
    user = User.objects.get(username="zhang")
    assert user.check_password("Zhang2026audit") and user.org.code == "A"
    assert user.role_codes == {"auditor", "team_lead"}
    assert ActivityLog.objects.filter(action="accounts.create_user", object_id=str(user.pk)).exists()
    main(["users", "list", "--org", "A"])
    assert "zhang\t张三\t甲市总工会（A）\t审计员、审计组长" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args,message",
    [
        (["--org", "NOPE", "--role", "审计员"], "单位编码「NOPE」不存在"),
        (["--org", "A", "--role", "会计"], "未知角色「会计」"),
    ],
)
def test_users_create_bad_arguments(tree, tmp_path, capsys, args, message):
    secret = tmp_path / "pw.txt"
    secret.write_text("Zhang2026audit", encoding="utf-8")
    code = main(["users", "create", *args, "--username", "zhang", "--password-file", str(secret)])
    assert code == 1
    assert message in capsys.readouterr().err


def test_duplicate_username_is_refused(personas, tmp_path, capsys):
    secret = tmp_path / "pw.txt"
    secret.write_text("Zhang2026audit", encoding="utf-8")
    code = main(["users", "create", "--org", "A", "--role", "审计员", "--username", "a_auditor", "--password-file", str(secret)])
    assert code == 1 and "用户名「a_auditor」已存在" in capsys.readouterr().err
