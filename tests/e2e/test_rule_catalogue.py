"""The rule catalogue in a real browser: every parameter table fits the page in readable
columns (app.css, no inline styles), and a link to a rule shows its title below the header."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("persona", ["prov_director", "a_auditor"])
def test_parameter_tables_have_readable_columns(page, live_server, personas, artifacts, persona):
    log_in(page, live_server, persona)
    page.goto(live_server.url + "/screening/rules/#JS-FEST-001")
    section = page.locator("#JS-FEST-001")
    expect(section.locator(".kw").first).to_have_text("「元旦」")
    header = page.locator("header").first.bounding_box()
    assert section.locator("h2").bounding_box()["y"] >= header["y"] + header["height"] - 1  # not under the header
    section.screenshot(path=str(artifacts / f"screening-rule-catalogue-{persona}.png"))
    tables = page.evaluate("""() => [...document.querySelectorAll('table.params')].map(t => ({
        rule: t.closest('section').id, overflow: t.scrollWidth - t.parentElement.clientWidth,
        shares: [...t.rows[0].cells].map(c => c.getBoundingClientRect().width / t.getBoundingClientRect().width)}))""")
    assert len(tables) > 30
    columns = 6 if persona == "prov_director" else 5
    for t in tables:
        assert t["overflow"] <= 1, t  # keyword lists and patterns wrap inside their column
        assert len(t["shares"]) == columns
        name, default, range_, source, value = t["shares"][:5]
        assert name >= 0.14 and default >= 0.18 and source >= 0.18 and 0.05 <= range_ <= 0.1, t
    first = [round(s, 3) for s in tables[0]["shares"]]
    assert all([round(s, 3) for s in t["shares"]] == first for t in tables)  # the same in every rule
    # no inline style in the page as served (a script may leave an empty style="" behind)
    assert page.evaluate("document.querySelectorAll('main [style]:not([style=\"\"])').length") == 0
