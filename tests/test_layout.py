"""Layout: one breadcrumb mechanism (jingshen/layout.py, base.html's ``breadcrumbs`` block) whose
crumbs link only to pages the user may open, on the deeper pages."""

import re

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory

from jingshen.accounts.models import RoleCode

from jingshen.portal.menu import sections_for
from tests.conftest import make_user
from tests.test_access import values_for


def trail(html: str) -> list[tuple[str | None, str]]:
    """The breadcrumb as (href or None, label) pairs."""
    nav = re.search(r'<nav class="breadcrumb" aria-label="当前位置">(.*?)</nav>', html, re.S)
    assert nav, "no breadcrumb"
    return [(href or None, label) for href, label in
            re.findall(r'<(?:a href="([^"]*)"|span(?: aria-current="page")?)>([^<]*)</(?:a|span)>', nav.group(1))]


def render(user, source: str) -> str:
    request = RequestFactory().get("/")
    request.user = user
    context = Context({"user": user, "request": request, "menu_sections": sections_for(user)})
    return Template("{% breadcrumbs %}" + source + "{% endbreadcrumbs %}").render(context)


@pytest.mark.django_db
def test_a_crumb_links_only_to_a_page_the_user_may_open(personas):
    crumbs = ('{% crumb "admin_center:index" %}综合管理{% endcrumb %}{% crumb "orgs:detail" "P" %}示范省总工会{% endcrumb %}'
              '{% crumb "user_list" %}用户管理{% endcrumb %}{% crumb "knowledge:index" %}知识库{% endcrumb %}{% crumb %}此页{% endcrumb %}')
    assert trail(render(personas["prov_admin"], crumbs)) == [
        ("/", "门户"), ("/manage/", "综合管理"), ("/orgs/P/", "示范省总工会"), ("/accounts/users/", "用户管理"),
        ("/knowledge/", "知识库"), (None, "此页")]
    assert trail(render(personas["contact"], crumbs)) == [
        ("/", "门户"), (None, "综合管理"), (None, "示范省总工会"), (None, "用户管理"), ("/knowledge/", "知识库"), (None, "此页")]
    html = render(personas["contact"], crumbs)
    assert html.endswith('<span aria-current="page">此页</span></nav>') and html.count("aria-current") == 1


@pytest.mark.django_db
def test_crumb_labels_are_escaped(personas):
    html = render(personas["a_auditor"], '{% crumb "knowledge:index" %}{{ evil }}{% endcrumb %}{% crumb %}{{ evil }}{% endcrumb %}'
                  .replace("{{ evil }}", "{{ '<script>x</script>' }}"))
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.django_db
def test_the_deeper_pages_have_their_trail(client_for, tmp_path):
    v = values_for("A1X", tmp_path)
    client = Client()
    client.force_login(make_user("A", "a_all", RoleCode.DIRECTOR, RoleCode.ADMIN))  # 甲市: sees A and below, not the province
    expected = {
        "/orgs/A1X/": ["门户", "甲市总工会", "甲市一区总工会", "甲市一区电子公司工会委员会"],
        f"/books/{v['dataset_id']}/balances/": ["门户", "查账", "甲市一区电子公司工会委员会", "2025 年第 1 版", "科目余额表"],
        f"/screening/runs/{v['run_id']}/": ["门户", "疑点筛查", "筛查 #{}（2025 年）".format(v["run_id"])],
        f"/screening/flags/{v['flag_id']}/": ["门户", "疑点筛查", f"筛查 #{v['run_id']}", "疑点"],
        f"/audits/{v['project_id']}/": ["门户", "审计作业", "测〔2026〕A1X号"],
        f"/audits/{v['project_id']}/workpapers/{v['wp_id']}/": None,
        f"/knowledge/regulations/{v['regulation_id']}/": None,
    }
    for url, labels in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        crumbs = trail(response.content.decode())
        assert crumbs[0] == ("/", "门户") and crumbs[-1][0] is None, url
        if labels:
            assert [label for _, label in crumbs] == labels, url
    unit = trail(client.get("/orgs/A1X/").content.decode())
    assert ("/orgs/A/", "甲市总工会") in unit and not any(label == "示范省总工会" for _, label in unit)
    # a unit contact: the trail of its own unit starts there (the units above are not its to open)
    contact = trail(client_for("contact").get("/orgs/A1X/").content.decode())
    assert contact == [("/", "门户"), (None, "甲市一区电子公司工会委员会")]


HREF = re.compile(r'href="(/[^"#]*)')


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["a1_auditor", "leader", "contact"])
def test_no_page_links_to_a_page_the_user_may_not_open(client_for, personas, persona, tmp_path):
    # every page a 审计员, a 领导查阅 and a 被审计单位联络人 can open, with data of the unit A1X:
    # each link on it (menu, breadcrumbs, buttons, table rows) opens for them too
    from tests.test_access import POST_ONLY, PUBLIC, all_patterns, fill

    values = values_for("A1X", tmp_path)
    client = client_for(persona)
    pages, links = [], {}
    for route, name, params in all_patterns():
        if name in PUBLIC | POST_ONLY or route.startswith("api/"):
            continue
        url = fill(route, values)
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            pages.append(url)
            for href in HREF.findall(response.content.decode()):
                links.setdefault(href.replace("&amp;", "&"), url)
    assert len(pages) > 10
    broken = {}
    for href, source in links.items():
        if href.startswith(("/static/", "/accounts/logout/")):
            continue
        status = client.get(href).status_code
        if status not in (200, 302):
            broken[href] = (status, source)
    assert not broken, f"{persona} is offered links it may not open: {broken}"


@pytest.mark.django_db
def test_empty_lists_say_what_to_do_next_for_the_role(client_for):
    pages = {p: {url: client_for(p).get(url).content.decode() for url in ("/books/", "/screening/", "/collect/", "/audits/")}
             for p in ("a1_auditor", "leader", "contact")}
    auditor, leader, contact = pages["a1_auditor"], pages["leader"], pages["contact"]
    assert '在<a href="/collect/">数据采集</a>中上传导入' in auditor["/books/"]
    assert "由有数据采集权限的人员" in leader["/books/"] and '<a href="/collect/">数据采集</a>中上传' not in leader["/books/"]
    assert "点击“开始筛查”发起第一次筛查" in auditor["/screening/"]
    assert "筛查由经审负责人、审计组长或审计员发起" in leader["/screening/"]
    assert "“上传并导入”开始第一次导入" in contact["/collect/"] and "“上传并导入”开始第一次导入" in auditor["/collect/"]
    assert "数据由本单位或上级单位有数据采集权限的人员" in leader["/collect/"]
    for html in (auditor["/audits/"], leader["/audits/"], contact["/audits/"]):
        assert "由经审负责人或审计组长立项" in html and 'href="/audits/new/"' not in html
