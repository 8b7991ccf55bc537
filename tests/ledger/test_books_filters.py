"""查账's dataset list: the 年度 filter keeps every year as an option whichever year is chosen."""

import re

from jingshen.ledger.importers.vouchers import import_vouchers
from tests.ledger.conftest import line, write


def year_of(org: str, year: int) -> list:
    common = dict(org=org, year=str(year), period="3", date=f"{year}-03-05")
    return [line(line_no="1", code="50102", debit="100.00", **common), line(line_no="2", code="102", credit="100.00", **common)]


def year_options(html: str) -> list[str]:
    select = html.split('name="year"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="(\d+)"', select)


def test_choosing_a_year_keeps_the_other_years_offered(tree, client_for, tmp_path):
    import_vouchers(write(tmp_path / "2024.csv", year_of("A1X", 2024)))
    import_vouchers(write(tmp_path / "2025.csv", year_of("A1X", 2025)))
    import_vouchers(write(tmp_path / "a2.csv", year_of("A2", 2023)))
    client = client_for("a_auditor")
    assert year_options(client.get("/books/").content.decode()) == ["2025", "2024", "2023"]
    chosen = client.get("/books/?year=2025").content.decode()
    assert year_options(chosen) == ["2025", "2024", "2023"]
    assert '<option value="2025" selected>' in chosen
    assert chosen.count("<tr>") == 1 + 1  # header row and the one dataset of 2025
    # searching a unit offers that unit's years
    assert year_options(client.get("/books/?q=A1X&year=2024").content.decode()) == ["2025", "2024"]
    # a year outside the options (no data) stays selected, and the list says nothing matches
    empty = client.get("/books/?year=2030").content.decode()
    assert '<option value="2030" selected>' in empty and "没有符合条件的凭证数据" in empty


def test_hostile_year_and_search_do_not_break_the_list(tree, client_for):
    client = client_for("a_auditor")
    for query in ("year=abc", "year=99999999999999999999", "q=" + "<b>x</b>" * 50, "year=-1&page=0"):
        response = client.get(f"/books/?{query}")
        assert response.status_code == 200 and b"<b>x</b>" not in response.content
