"""别名 (aliases) kept per unit: edited on the 单位管理 edit page, loaded by the optional 别名
column of the unit-tree import, refused when equal to another unit's code or name, logged."""

import pytest
from django.test import Client

from jingshen.accounts.models import RoleCode
from jingshen.activity.models import ActivityLog
from jingshen.orgs import services
from jingshen.orgs.models import Org, OrgAlias
from jingshen.tabular import TableError
from tests.conftest import HEADER, TREE, make_user, write_csv


@pytest.fixture
def a_admin(personas):
    return make_user("A", "a_admin", RoleCode.ADMIN)


@pytest.fixture
def admin_client(a_admin):
    client = Client()
    client.force_login(a_admin)
    return client


def aliases(code: str) -> list[str]:
    return sorted(OrgAlias.objects.filter(org__code=code).values_list("name", flat=True))


EDIT = {"name": "甲市一区总工会", "level": "county", "kind": "union_office", "parent": "A"}


def test_parse_aliases_splits_on_both_separators_and_drops_repeats():
    assert services.parse_aliases(" 一区工会、 甲一区总工会;一区工会；老一区\n\n") == ["一区工会", "甲一区总工会", "老一区"]
    assert services.parse_aliases("") == []


def test_aliases_edited_on_the_page_and_logged(admin_client):
    page = admin_client.get("/orgs/A1/edit/").content.decode()
    assert "别名" in page
    response = admin_client.post("/orgs/A1/edit/", EDIT | {"aliases": "一区工会、甲一区总工会"})
    assert response.status_code == 302
    assert aliases("A1") == ["一区工会", "甲一区总工会"]
    entry = ActivityLog.objects.get(action="orgs.update")
    assert entry.before["别名"] == "" and entry.after["别名"] == "一区工会、甲一区总工会"
    # shown on the edit page and the unit page; a second save replaces them
    assert "一区工会、甲一区总工会" in admin_client.get("/orgs/A1/edit/").content.decode()
    assert "甲一区总工会" in admin_client.get("/orgs/A1/").content.decode()
    admin_client.post("/orgs/A1/edit/", EDIT | {"aliases": "甲一区总工会; 原一区工会"})
    assert aliases("A1") == ["原一区工会", "甲一区总工会"]
    admin_client.post("/orgs/A1/edit/", EDIT | {"aliases": ""})
    assert aliases("A1") == []


@pytest.mark.parametrize("alias, other", [("甲市二区总工会", "甲市二区总工会（A2）"), ("A2", "甲市二区总工会（A2）"),
                                          ("甲市 二区总工会", "甲市二区总工会（A2）"), ("Ａ２", "甲市二区总工会（A2）"),
                                          ("乙市总工会", "乙市总工会（B）")])
def test_an_alias_equal_to_another_units_code_or_name_is_refused(admin_client, alias, other):
    logged = ActivityLog.objects.count()
    html = admin_client.post("/orgs/A1/edit/", EDIT | {"aliases": f"一区工会、{alias}"}, follow=True).content.decode()
    assert f"与单位「{other}」的编码或名称相同，不能作为别名。" in html
    assert aliases("A1") == [] and ActivityLog.objects.count() == logged


def test_the_units_own_name_is_not_kept_as_an_alias_and_two_units_may_share_one(a_admin, tree):
    services.update_org(a_admin, tree["A1"], name="甲市一区总工会", level="county", kind="union_office",
                        parent=tree["A"], aliases=["甲市一区总工会", "A1", "区总工会"])
    services.update_org(a_admin, tree["A2"], name="甲市二区总工会", level="county", kind="union_office",
                        parent=tree["A"], aliases=["区总工会"])
    assert aliases("A1") == aliases("A2") == ["区总工会"]


def test_too_many_or_too_long_aliases_are_refused(a_admin, tree):
    with pytest.raises(ValueError, match="最多 20 个别名"):
        services.update_org(a_admin, tree["A1"], name="甲市一区总工会", level="county", kind="union_office",
                            parent=tree["A"], aliases=[f"别名{i}" for i in range(21)])
    with pytest.raises(ValueError, match="超过 200 个字符"):
        services.update_org(a_admin, tree["A1"], name="甲市一区总工会", level="county", kind="union_office",
                            parent=tree["A"], aliases=["长" * 201])


def test_import_with_an_alias_column(tmp_path, tree):
    rows = [r + [""] for r in TREE]
    rows[2][-1] = "一区工会、甲一区总工会;老一区"
    rows[4][-1] = "二区工会"
    result = services.import_orgs(write_csv(tmp_path / "t.csv", rows, header=HEADER + ["别名"]))
    assert sorted(result.updated) == ["A1", "A2"]
    assert aliases("A1") == ["一区工会", "甲一区总工会", "老一区"] and aliases("A2") == ["二区工会"]
    # the same file again changes nothing; a file without the column leaves the aliases alone
    assert services.import_orgs(write_csv(tmp_path / "t.csv", rows, header=HEADER + ["别名"])).updated == []
    services.import_orgs(write_csv(tmp_path / "t2.csv", TREE))
    assert aliases("A1") == ["一区工会", "甲一区总工会", "老一区"]
    # with the column, an empty cell clears them
    rows[2][-1] = ""
    services.import_orgs(write_csv(tmp_path / "t.csv", rows, header=HEADER + ["别名"]))
    assert aliases("A1") == [] and aliases("A2") == ["二区工会"]


def test_import_refuses_an_alias_naming_another_unit_by_row_and_column(tmp_path, tree):
    rows = [r + [""] for r in TREE]
    rows[2][-1] = "一区工会、乙市一区总工会"
    # a unit renamed in the same file counts with its new name
    rows.append(["A3", "甲市三区总工会", "A", "县", "工会机关", "", ""])
    rows[4][-1] = "甲市三区总工会"
    with pytest.raises(TableError) as caught:
        services.import_orgs(write_csv(tmp_path / "t.csv", rows, header=HEADER + ["别名"]), display="单位.csv")
    messages = [str(e) for e in caught.value.errors]
    assert any("第 4 行「别名」列" in m and "乙市一区总工会（B1）" in m for m in messages)
    assert any("第 6 行「别名」列" in m and "甲市三区总工会（A3）" in m for m in messages)
    assert OrgAlias.objects.count() == 0 and not Org.objects.filter(code="A3").exists()


def test_export_carries_the_aliases(admin_client, a_admin, tree):
    import io

    from openpyxl import load_workbook

    services.update_org(a_admin, tree["A1"], name="甲市一区总工会", level="county", kind="union_office",
                        parent=tree["A"], aliases=["一区工会", "老一区"])
    response = admin_client.get("/orgs/?format=xlsx")
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows()]
    assert rows[2][-1] == "别名" and [r[-1] for r in rows[3:] if r[0] == "A1"] == ["一区工会、老一区"]
