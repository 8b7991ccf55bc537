"""The full risk ranking and the units never (or not lately) audited: scope, filters, sorting,
paging, XLSX, and hostile parameters (never a 500)."""

import io

import pytest
from openpyxl import load_workbook

from jingshen.activity.models import ActivityLog

pytestmark = pytest.mark.django_db

HOSTILE = ["", "x" * 10000, "-1", "0", "99999999999999999999", "NaN", "inf", "' OR 1=1 --", "<script>alert(1)</script>", "\x00",
           "%ff", "高风险"]


def rows_of(html: str, table: str) -> str:
    return html.split(f'id="{table}"')[1].split("</table>")[0]


def test_risk_ranking_filters_and_scope(client_for, portal_data):
    client = client_for("prov_director")
    table = rows_of(client.get("/portal/risk/").content.decode(), "risk-ranking")
    assert table.index("甲市一区电子公司工会委员会") < table.index("乙市一区医院工会委员会") < table.index("甲市二区总工会")
    high = rows_of(client.get("/portal/risk/?band=high").content.decode(), "risk-ranking")
    assert "甲市一区电子公司工会委员会" in high and "乙市一区医院工会委员会" not in high
    county = rows_of(client.get("/portal/risk/?level=county&sort=score").content.decode(), "risk-ranking")
    assert "甲市一区电子公司工会委员会" not in county and county.index("甲市一区总工会") < county.index("甲市二区总工会")
    assert "乙市一区医院" in rows_of(client.get("/portal/risk/?q=乙市").content.decode(), "risk-ranking")
    assert "甲市" not in rows_of(client.get("/portal/risk/?q=B1").content.decode(), "risk-ranking")
    # 乙's auditor sees only 乙's units
    b = rows_of(client_for("b_auditor").get("/portal/risk/").content.decode(), "risk-ranking")
    assert "乙市一区医院工会委员会" in b and "甲市" not in b


def test_risk_ranking_exports_xlsx_and_logs_it(client_for, portal_data):
    response = client_for("a_auditor").get("/portal/risk/?format=xlsx&sort=-score")
    assert response.status_code == 200 and "risk-ranking.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    header = values.index(next(r for r in values if r and r[0] == "排名"))
    body = [r for r in values[header + 1:] if r and r[0]]
    assert [r[2] for r in body] == ["甲市一区电子公司工会委员会", "甲市二区总工会", "甲市一区总工会"]
    assert body[0][5] == 75 and body[0][6] == "高风险"
    assert ActivityLog.objects.filter(action="download").exists()


def test_never_audited_page(client_for, portal_data):
    client = client_for("prov_director")
    table = rows_of(client.get("/portal/never-audited/").content.decode(), "never-audited")
    assert ">甲市一区总工会</a>" not in table  # audited two years ago (往期审计记录)
    assert "甲市二区总工会" in table and "乙市一区医院工会委员会" in table
    since = rows_of(client.get("/portal/never-audited/?since=1").content.decode(), "never-audited")
    assert ">甲市一区总工会</a>" in since  # not in the last year
    grassroots = rows_of(client.get("/portal/never-audited/?level=grassroots&sort=-name").content.decode(), "never-audited")
    assert "甲市二区总工会" not in grassroots and grassroots.index("甲市一区电子") < grassroots.index("乙市一区医院")  # by name, descending
    a = rows_of(client_for("a_auditor").get("/portal/never-audited/").content.decode(), "never-audited")
    assert "乙市" not in a and ">示范省总工会</a>" not in a and ">甲市总工会</a>" in a
    response = client.get("/portal/never-audited/?format=xlsx&kind=grassroots_union")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = {row[1] for row in sheet.iter_rows(values_only=True) if row and row[1]}
    assert {"甲市一区电子公司工会委员会", "乙市一区医院工会委员会"} <= names and "甲市二区总工会" not in names


@pytest.mark.parametrize("url,params", [
    ("/portal/risk/", ("level", "kind", "band", "q", "sort", "page", "format")),
    ("/portal/never-audited/", ("level", "kind", "q", "since", "sort", "page", "format")),
])
def test_hostile_parameters_never_break_the_lists(client_for, portal_data, url, params):
    client = client_for("prov_director")
    for value in HOSTILE:
        everything = client.get(url, {name: value for name in params})
        assert everything.status_code in (200, 302), value
        for name in params:
            response = client.get(url, {name: value})
            assert response.status_code in (200, 302), (name, value)
            if response.status_code == 200 and "html" in response["Content-Type"]:
                assert "<script>alert(1)</script>" not in response.content.decode()
