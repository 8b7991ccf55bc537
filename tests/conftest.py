"""Shared fixtures: a small unit tree with two sibling branches, and personas in each
branch and role (the access model is tested against these everywhere)."""

import csv
from pathlib import Path

import pytest
from django.test import Client

from jingshen.accounts.models import RoleCode
from jingshen.accounts.services import create_user
from jingshen.orgs.models import Org
from jingshen.orgs.services import import_orgs

PASSWORD = "Audit2026pass"

# 省 P ─┬─ 市 A ─┬─ 县 A1 ── 基层 A1X
#       │        └─ 县 A2
#       └─ 市 B ─── 县 B1 ── 基层 B1X
TREE = [
    ["P", "示范省总工会", "", "省", "工会机关", ""],
    ["A", "甲市总工会", "P", "市", "工会机关", ""],
    ["A1", "甲市一区总工会", "A", "县", "工会机关", ""],
    ["A1X", "甲市一区电子公司工会委员会", "A1", "基层", "基层工会", "120"],
    ["A2", "甲市二区总工会", "A", "县", "工会机关", ""],
    ["B", "乙市总工会", "P", "市", "工会机关", ""],
    ["B1", "乙市一区总工会", "B", "县", "工会机关", ""],
    ["B1X", "乙市一区医院工会委员会", "B1", "基层", "基层工会", "300"],
]
HEADER = ["单位编码", "单位名称", "上级单位编码", "层级", "单位性质", "会员人数"]


def write_csv(path: Path, rows, header=HEADER, encoding="utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def tree(db, tmp_path):
    import_orgs(write_csv(tmp_path / "tree.csv", TREE))
    return {o.code: o for o in Org.objects.all()}


def make_user(code: str, username: str, *roles: str):
    return create_user(org=Org.objects.get(code=code), username=username, password=PASSWORD, roles=list(roles))


@pytest.fixture
def personas(tree):
    return {
        "prov_director": make_user("P", "prov_director", RoleCode.DIRECTOR),
        "prov_admin": make_user("P", "prov_admin", RoleCode.ADMIN),
        "leader": make_user("P", "leader", RoleCode.LEADER),
        "a_auditor": make_user("A", "a_auditor", RoleCode.AUDITOR),
        "a_lead": make_user("A", "a_lead", RoleCode.TEAM_LEAD),
        "b_auditor": make_user("B", "b_auditor", RoleCode.AUDITOR),
        "a1_auditor": make_user("A1", "a1_auditor", RoleCode.AUDITOR),
        "contact": make_user("A1X", "contact", RoleCode.AUDITEE_CONTACT),
    }


@pytest.fixture
def client_for(personas):
    """client_for('a_auditor') -> a logged-in test client for that persona."""

    def make(name: str) -> Client:
        client = Client()
        client.force_login(personas[name])
        return client

    return make


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Tests render templates without running collectstatic first.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is the production hasher (tested in tests/accounts); tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_home(settings, tmp_path):
    # Each test gets its own JINGSHEN_HOME for files (datasets, uploads): the database is
    # rolled back after a test, files are not.
    settings.HOME = tmp_path / "jingshen-home"
    settings.HOME.mkdir()
    settings.MEDIA_ROOT = settings.HOME / "files"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    # Background tasks run inline in tests; tests/ledger/test_collect.py also drives the real
    # database queue with its worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _api_throttle(settings):
    # The API throttles per key and per user (api/throttling.py). Tests that walk every URL call
    # it far more often than anyone would: generous limits here, and a fresh count per test
    # (tests/api/test_limits.py sets low ones to see the 429).
    from django.core.cache import cache

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"key": "100000/min", "user": "100000/min", "anon": "100000/min"}}
    cache.clear()
