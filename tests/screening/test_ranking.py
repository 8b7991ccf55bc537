"""The unit risk ranking on a run's page: every unit the user may see (no silent cut), paged
with the count, sorted, filtered by level, kind, band and text (``rank_`` parameters, which
leave the flag list's filters alone), exported to XLSX with the same filters."""

import io
import re
from decimal import Decimal

import openpyxl
import pytest

from jingshen.orgs.models import Org
from jingshen.screening import views
from jingshen.screening.models import ScreeningRun
from jingshen.screening.scoring import band
from tests.screening.test_pages import books  # noqa: F401 (fixture)

SCORES = {"P": 12.0, "A": 71.5, "A1": 45.0, "A1X": 88.0, "A2": 30.0, "B": 59.9, "B1": 5.0, "B1X": 64.0}


@pytest.fixture
def run(books, client_for, monkeypatch):  # noqa: F811
    client_for("prov_director").post("/screening/", {"year": "2025", "org": "P"})
    run = ScreeningRun.objects.get()
    # a ranking over every unit of the tree, as the runner stores it (highest score first)
    orgs = sorted(Org.objects.all(), key=lambda o: -SCORES[o.code])
    run.ranking = [{"org_id": o.pk, "org_code": o.code, "org_name": o.name, "score": SCORES[o.code], "flags": n + 1, "high": n % 3,
                    "vouchers": 10 - n, "amount": f"{1000 * (n + 1)}.50", "findings": 0} for n, o in enumerate(orgs)]
    run.save(update_fields=["ranking"])
    monkeypatch.setattr(views, "RANK_PER_PAGE", 3)
    return run


def ranked(html: str) -> list[str]:
    table = html.split('id="ranking"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<span class="code small">([^<]+)</span>', table)


def test_bands():
    assert band(60) == ("high", "高风险") and band(59.9) == ("medium", "中风险") and band(30) == ("medium", "中风险")
    assert band(29.9) == ("low", "低风险") and band(0) == ("low", "低风险")


def test_every_unit_is_listed_page_by_page_with_the_count(run, client_for):
    client = client_for("prov_director")
    first = client.get(f"/screening/runs/{run.pk}/").content.decode()
    assert "共 8 个单位，第 1–3 个" in first and "第 1 / 3 页" in first
    seen = []
    for n in (1, 2, 3):
        seen += ranked(client.get(f"/screening/runs/{run.pk}/?rank_page={n}").content.decode())
    assert seen == ["A1X", "A", "B1X", "B", "A1", "A2", "P", "B1"]


def test_only_units_in_scope_are_ranked(run, client_for):
    html = client_for("b_auditor").get(f"/screening/runs/{run.pk}/").content.decode()
    assert "共 3 个单位" in html and ranked(html) == ["B1X", "B", "B1"]


def test_filters_and_sorting(run, client_for):
    client = client_for("prov_director")
    url = f"/screening/runs/{run.pk}/"
    assert ranked(client.get(url + "?rank_level=grassroots").content.decode()) == ["A1X", "B1X"]
    assert ranked(client.get(url + "?rank_band=medium").content.decode()) == ["B", "A1", "A2"]
    assert ranked(client.get(url + "?rank_band=high&rank_kind=union_office").content.decode()) == ["A"]
    assert ranked(client.get(url + "?rank_q=乙市").content.decode()) == ["B1X", "B", "B1"]
    html = client.get(url + "?rank_sort=org_code").content.decode()
    assert ranked(html) == ["A", "A1", "A1X"] and "<td class=\"num\">2</td>" in html  # keeps its rank by score
    assert ranked(client.get(url + "?rank_sort=score&rank_page=1").content.decode()) == ["B1", "P", "A2"]
    # the flag list's filters and the ranking's do not interfere
    both = client.get(url + "?rank_level=grassroots&rule=JS-CASH-001").content.decode()
    assert ranked(both) == ["A1X", "B1X"] and "2,600.00" in both and "18,000.00" not in both.split('id="flags"')[1]
    page2 = re.search(r'<a href="([^"]+)">下一页</a>', client.get(url + "?rule=JS-CASH-001").content.decode()).group(1)
    assert "rule=JS-CASH-001" in page2.replace("&amp;", "&") and "rank_page=2" in page2


def test_the_ranking_exports_with_its_filters(run, client_for):
    client = client_for("prov_director")
    response = client.get(f"/screening/runs/{run.pk}/?format=xlsx&table=ranking&rank_band=high")
    assert response.status_code == 200 and "ranking" in response["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [r for r in ws.iter_rows(values_only=True)]
    assert "风险档次：高风险" in rows[1][0]
    assert rows[2][:3] == ("排名", "单位编码", "单位名称")
    body = rows[3:]
    assert [r[1] for r in body] == ["A1X", "A", "B1X"] and body[0][6] == "高风险"
    assert Decimal(str(body[0][10])) == Decimal("1000.50")  # an amount, kept a number
    # the flag list is still what a plain export gives
    flags = client.get(f"/screening/runs/{run.pk}/?format=xlsx")
    assert "flags" in flags["Content-Disposition"]


def test_hostile_ranking_parameters_answer_the_page(run, client_for):
    client = client_for("prov_director")
    for query in ("rank_page=0", "rank_page=99999999999999999999", "rank_level=moon", "rank_band=<script>x</script>",
                  "rank_sort=__class__", "rank_q=" + "<b>" * 200, "rank_kind=%00", "table=flags&format=xlsx",
                  "table=ranking&format=xlsx&rank_page=abc"):
        response = client.get(f"/screening/runs/{run.pk}/?{query}")
        assert response.status_code in (200, 302), query
        assert b"<script>x" not in response.content and b"<b><b>" not in response.content, query
