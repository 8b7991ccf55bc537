"""The left menu marks the section of every page: each page of the URL configuration, opened
as a user who may see every section, highlights exactly the section its path belongs to."""

import re

import pytest

from jingshen.accounts.models import RoleCode
from tests.conftest import make_user
from tests.test_access import POST_ONLY, PUBLIC, all_patterns, fill, values_for

# The section each path prefix belongs to, from the user's point of view (the menu's own
# mapping is by URL namespace, portal/context_processors.py).
PREFIXES = [
    ("/orgs/A1X/children/", "portal"), ("/orgs/A1X/edit/", "admin"), ("/orgs/A1X/new/", "admin"),
    ("/orgs/A1X/import/", "admin"), ("/orgs/A1X/", "portal"), ("/orgs/", "admin"), ("/accounts/users/", "admin"), ("/accounts/", "portal"),
    ("/collect/", "collect"), ("/finance/", "collect"), ("/books/", "ledger"), ("/screening/", "screening"), ("/audits/", "audits"),
    ("/knowledge/", "knowledge"), ("/manage/", "admin"), ("/activity/", "activity"), ("/", "portal"),
]
TITLES = {"portal": "门户", "collect": "数据采集", "ledger": "查账", "screening": "疑点筛查", "audits": "审计作业",
          "knowledge": "知识库", "admin": "综合管理", "activity": "操作日志"}


def expected(url: str) -> str:
    return next(section for prefix, section in PREFIXES if url.startswith(prefix))


def active_titles(html: str) -> list[str]:
    nav = html.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<li class="active">\s*<a href="[^"]*">([^<]+)</a>', nav)


@pytest.mark.django_db
def test_every_page_highlights_its_own_section(client, personas, tmp_path):
    client.force_login(make_user("A", "a_all", RoleCode.DIRECTOR, RoleCode.ADMIN))
    values = values_for("A1X", tmp_path)
    seen = set()
    for route, name, params in all_patterns():
        if name in PUBLIC | POST_ONLY or route.startswith("api/"):
            continue
        url = fill(route, values)
        response = client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html") \
                or '<nav class="sidebar"' not in response.content.decode():
            continue  # downloads and htmx fragments have no menu
        section = expected(url)
        assert active_titles(response.content.decode()) == [TITLES[section]], url
        seen.add(section)
    assert seen == set(TITLES)  # every section was checked on at least one page


@pytest.mark.django_db
def test_the_books_pages_highlight_chazhang(client_for, tmp_path):
    values = values_for("A1X", tmp_path)
    client = client_for("a_auditor")
    for url in ("/books/", f"/books/{values['dataset_id']}/balances/", f"/books/{values['dataset_id']}/journal/"):
        assert active_titles(client.get(url).content.decode()) == ["查账"], url
