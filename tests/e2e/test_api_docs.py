"""The API's documentation page draws Swagger UI from the platform's own static files under the
strict CSP, and an administrator's new key, copied from the page it is shown on, calls the API."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from jingshen.accounts.models import RoleCode
from tests.conftest import make_user
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_docs_draw_under_the_csp_and_a_new_key_calls_the_api(page, live_server, personas, artifacts):
    make_user("A", "a_admin", RoleCode.ADMIN)
    problems, remote = [], []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.on("request", lambda r: remote.append(r.url) if not r.url.startswith((live_server.url, "data:")) else None)
    page.add_init_script("document.addEventListener('securitypolicyviolation', function (e) {"
                         " console.error('CSP ' + e.violatedDirective + ' ' + e.blockedURI); });")
    log_in(page, live_server, "a_admin")
    page.goto(live_server.url + "/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("经审 API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() >= 14
    page.screenshot(path=str(artifacts / "api-docs.png"), full_page=False)

    page.goto(live_server.url + "/manage/")
    page.get_by_role("link", name="API 密钥").click()
    page.get_by_role("link", name="新建密钥").click()
    page.get_by_label("所属单位编码").fill("A1")
    page.get_by_label("名称").fill("区财务软件")
    page.get_by_label("读取疑点").check()
    page.get_by_role("button", name="创建密钥").click()
    expect(page.get_by_text("密钥只显示这一次")).to_be_visible()
    secret = page.locator("#secret").input_value()
    request = urllib.request.Request(live_server.url + "/api/v1/orgs/", headers={"Authorization": f"Bearer {secret}"})
    codes = {o["code"] for o in json.loads(urllib.request.urlopen(request).read())["results"]}
    assert codes == {"A1", "A1X"}
    page.goto(live_server.url + "/manage/api-keys/")
    expect(page.locator("#api-keys")).to_contain_text("区财务软件")
    assert secret not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="撤销").click()
    expect(page.locator("#api-keys")).to_contain_text("已撤销")
    request = urllib.request.Request(live_server.url + "/api/v1/me/", headers={"Authorization": f"Bearer {secret}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 401
    assert not problems, problems
    assert not remote, remote  # no CDN: every file came from the platform
