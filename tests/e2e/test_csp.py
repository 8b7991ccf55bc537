"""The strict Content-Security-Policy breaks nothing: the main pages, opened in Chromium, report
no CSP violation and no script error, the ranking chart draws and the rule toggles work."""

import pytest

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_main_pages_have_no_csp_violation(page, live_server, personas, artifacts, tmp_path):
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.ledger.models import Dataset
    from jingshen.screening.services import run_screening
    from tests.ledger.conftest import write
    from tests.screening.conftest import entry

    rows = entry(1, "2025-01-20", "50104", "102", "18000.00", "购买慰问购物卡", "银泰百货")
    rows += entry(2, "2025-02-11", "50104", "101", "2600.00", "发放慰问金")
    import_vouchers(write(tmp_path / "v.csv", rows))
    ds = Dataset.objects.get(kind="vouchers")
    run = run_screening(year=2025, org=personas["a_auditor"].org)
    flag = run.flags.order_by("-score").first()
    problems = []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.add_init_script("document.addEventListener('securitypolicyviolation', function (e) {"
                         " console.error('CSP ' + e.violatedDirective + ' ' + e.blockedURI); });")
    log_in(page, live_server, "a_auditor")
    for path in ["/", "/collect/", f"/collect/datasets/{ds.pk}/", "/books/", f"/books/{ds.pk}/balances/",
                 f"/books/{ds.pk}/ledger/102/", f"/books/{ds.pk}/voucher/1/记/1/", f"/books/{ds.pk}/journal/",
                 "/screening/", f"/screening/runs/{run.pk}/?amount_min=NaN", f"/screening/flags/{flag.pk}/",
                 "/screening/rules/", "/screening/custom/"]:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        if path.startswith("/screening/runs/"):
            assert page.locator("#ranking-chart svg").count() == 1  # ECharts drew under the CSP
            page.wait_for_timeout(1000)
            page.screenshot(path=str(artifacts / "csp-run.png"), full_page=True)
    page.goto(live_server.url + "/screening/")
    page.get_by_text("选择规则").click()
    page.get_by_role("button", name="全不选").click()  # static/jingshen/screening.js, not inline script
    assert page.locator("input[name=rules]:checked").count() == 0
    page.get_by_role("button", name="全选").click()
    assert page.locator("input[name=rules]:checked").count() > 10
    assert not problems, problems
