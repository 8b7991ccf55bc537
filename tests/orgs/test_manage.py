"""单位管理 (综合管理): an administrator lists, edits, moves, creates and imports the units of
their MANAGE scope; every write goes through orgs/services.py, which rebuilds the tree paths."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from jingshen.accounts.models import RoleCode
from jingshen.activity.models import ActivityLog
from jingshen.orgs import scope, services
from jingshen.orgs.models import Org
from tests.conftest import HEADER, make_user, write_csv


@pytest.fixture
def a_admin(personas):
    return make_user("A", "a_admin", RoleCode.ADMIN)


@pytest.fixture
def admin_client(a_admin):
    client = Client()
    client.force_login(a_admin)
    return client


def units() -> list:
    return sorted(Org.objects.values_list("code", "name", "parent_id", "path", "depth", "level", "kind", "member_count"))


def csv_upload(rows, name="单位.csv") -> SimpleUploadedFile:
    lines = [",".join(HEADER)] + [",".join(r) for r in rows]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode("utf-8-sig"))


# --- list ----------------------------------------------------------------------------------------------


def test_list_and_search_stay_in_the_scope(admin_client):
    html = admin_client.get("/orgs/").content.decode()
    for code in ("A", "A1", "A1X", "A2"):
        assert f'href="/orgs/{code}/edit/"' in html, code
    for code in ("P", "B", "B1", "B1X"):
        assert f"/orgs/{code}/" not in html, code
    assert 'href="/orgs/A/import/"' in html and 'href="/orgs/A/new/"' in html
    found = admin_client.get("/orgs/?q=二区").content.decode()
    assert 'href="/orgs/A2/edit/"' in found and 'href="/orgs/A1/edit/"' not in found
    assert 'href="/orgs/A1X/edit/"' in admin_client.get("/orgs/?level=grassroots").content.decode()
    assert "乙市" not in admin_client.get("/orgs/?q=乙市").content.decode().split('id="orgs"')[1]


def test_list_exports_the_import_template_columns(admin_client):
    from openpyxl import load_workbook

    response = admin_client.get("/orgs/?format=xlsx")
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows()]
    assert rows[2] == HEADER + ["别名"]
    assert [r[0] for r in rows[3:]] == ["A", "A1", "A1X", "A2"]


def test_pages_are_404_for_those_who_manage_nothing(client_for):
    client = client_for("prov_director")
    for url in ("/orgs/", "/orgs/A/edit/", "/orgs/A/new/", "/orgs/A/import/"):
        assert client.get(url).status_code == 404, url


# --- edit and move -------------------------------------------------------------------------------------


def test_edit_a_unit_logged_with_before_and_after(admin_client):
    response = admin_client.post("/orgs/A1X/edit/", {"name": "甲市一区电子集团工会", "level": "grassroots",
                                                     "kind": "enterprise", "member_count": "150", "parent": "A1"})
    assert response.status_code == 302 and response["Location"] == "/orgs/A1X/"
    org = Org.objects.get(code="A1X")
    assert (org.name, org.kind, org.member_count) == ("甲市一区电子集团工会", "enterprise", 150)
    entry = ActivityLog.objects.get(action="orgs.update")
    assert entry.before["单位名称"] == "甲市一区电子公司工会委员会" and entry.after["会员人数"] == 150
    assert entry.before["单位性质"] == "基层工会" and entry.after["单位性质"] == "企业"


def test_a_move_rebuilds_the_paths_of_the_whole_branch(admin_client, a_admin, personas):
    response = admin_client.post("/orgs/A1/edit/", {"name": "甲市一区总工会", "level": "county", "kind": "union_office",
                                                    "parent": "A2"})
    assert response.status_code == 302
    a1, a2, a1x = (Org.objects.get(code=c) for c in ("A1", "A2", "A1X"))
    assert a1.parent == a2 and a1.path == f"{a2.path}{a1.pk}/" and a1.depth == 3
    assert a1x.path == f"{a1.path}{a1x.pk}/" and a1x.depth == 4  # the unit below moved with it
    from jingshen.accounts.models import User

    a1_auditor = User.objects.get(username="a1_auditor")
    assert set(scope.orgs_for(a1_auditor).values_list("code", flat=True)) == {"A1", "A1X"}  # scope follows the paths
    entry = ActivityLog.objects.get(action="orgs.update")
    assert entry.before["上级单位"] == "甲市总工会（A）" and entry.after["上级单位"] == "甲市二区总工会（A2）"
    assert "移至 甲市二区总工会" in entry.summary


def test_a_move_never_makes_a_cycle(admin_client, a_admin, tree):
    before = units()
    # below itself: not offered, and refused by the service
    form = admin_client.get("/orgs/A1/edit/").content.decode()
    assert 'value="A1X"' not in form and 'value="A2"' in form
    response = admin_client.post("/orgs/A1/edit/", {"name": "甲市一区总工会", "level": "county", "kind": "union_office",
                                                    "parent": "A1X"})
    assert "所选上级单位不在您的管理范围内，或是本单位自己及其下级单位。" in response.content.decode()
    with pytest.raises(ValueError, match="形成循环"):
        services.update_org(a_admin, tree["A1"], name="甲市一区总工会", level="county", kind="union_office",
                            parent=tree["A1X"])
    with pytest.raises(ValueError, match="形成循环"):
        services.update_org(a_admin, tree["A1"], name="甲市一区总工会", level="county", kind="union_office",
                            parent=tree["A1"])
    assert units() == before


def test_a_move_outside_the_scope_is_refused(admin_client, a_admin, tree):
    before = units()
    response = admin_client.post("/orgs/A1/edit/", {"name": "甲市一区总工会", "level": "county", "kind": "union_office",
                                                    "parent": "B"})
    assert "所选上级单位不在您的管理范围内" in response.content.decode()
    with pytest.raises(PermissionError):
        services.update_org(a_admin, tree["A1"], name="x", level="county", kind="union_office", parent=tree["B"])
    # the top of the scope keeps its parent: it is offered unchanged, and nothing else
    form = admin_client.get("/orgs/A/edit/").content.decode()
    assert "示范省总工会（P，不变）" in form and 'value="B"' not in form
    assert admin_client.post("/orgs/A/edit/", {"name": "甲市总工会（新）", "level": "city", "kind": "union_office",
                                               "parent": "P"}).status_code == 302
    assert Org.objects.get(code="A").name == "甲市总工会（新）"
    with pytest.raises(PermissionError):
        services.update_org(a_admin, tree["B1"], name="x", level="county", kind="union_office", parent=tree["B"])
    assert [u for u in units() if u[0] != "A"] == [u for u in before if u[0] != "A"]


@pytest.mark.parametrize("field,value,message", [
    ("name", "", "请填写单位名称。"),
    ("level", "planet", "层级无效"),
    ("member_count", "-1", "会员人数应为不小于 0 的整数。"),
    ("member_count", "十", "会员人数应为不小于 0 的整数。"),
])
def test_bad_values_are_refused_in_chinese(admin_client, field, value, message):
    before = units()
    data = {"name": "甲市二区总工会", "level": "county", "kind": "union_office", "parent": "A", field: value}
    assert message in admin_client.post("/orgs/A2/edit/", data).content.decode()
    assert units() == before


# --- create --------------------------------------------------------------------------------------------


def test_create_a_unit_under_one_in_scope(admin_client, tree):
    response = admin_client.post("/orgs/A2/new/", {"code": "A2X", "name": "甲市二区机械厂工会", "level": "grassroots",
                                                   "kind": "grassroots_union", "member_count": "80"})
    assert response.status_code == 302 and response["Location"] == "/orgs/A2X/"
    org = Org.objects.get(code="A2X")
    assert org.parent == tree["A2"] and org.path == f"{tree['A2'].path}{org.pk}/" and org.depth == 3
    assert ActivityLog.objects.get(action="orgs.create").after["上级单位"] == "甲市二区总工会（A2）"
    before = units()
    duplicate = admin_client.post("/orgs/A2/new/", {"code": "B1X", "name": "重复", "level": "grassroots",
                                                    "kind": "grassroots_union"})
    assert "单位编码「B1X」已存在。" in duplicate.content.decode()
    assert admin_client.post("/orgs/B1/new/", {"code": "B1Y", "name": "越权", "level": "grassroots",
                                               "kind": "grassroots_union"}).status_code == 404
    assert units() == before


# --- import from the page ------------------------------------------------------------------------------


def test_import_from_the_page_uses_the_cli_service(admin_client):
    page = admin_client.get("/orgs/A/import/").content.decode()
    assert "jingshen import orgs" in page and 'enctype="multipart/form-data"' in page
    upload = csv_upload([["A2X", "甲市二区机械厂工会", "A2", "基层", "基层工会", "80"],
                         ["A2Y", "甲市二区纺织厂工会", "A2X", "基层", "基层工会", ""],
                         ["A1X", "甲市一区电子公司工会委员会", "A1", "基层", "基层工会", "125"]])
    response = admin_client.post("/orgs/A/import/", {"file": upload}, follow=True)
    assert "导入完成：新增 2 个单位，更新 1 个，未变 0 个。" in response.content.decode()
    assert Org.objects.get(code="A2Y").path.startswith(Org.objects.get(code="A2X").path)
    assert Org.objects.get(code="A1X").member_count == 125
    entry = ActivityLog.objects.get(action="orgs.import", actor__username="a_admin")
    assert "单位.csv" in entry.summary and entry.details["created"] == ["A2X", "A2Y"]


def test_import_errors_name_file_row_and_column_and_change_nothing(admin_client):
    before, logged = units(), ActivityLog.objects.count()
    upload = csv_upload([["A2X", "甲市二区机械厂工会", "A2", "基层", "基层工会", "80"],
                         ["A2Y", "", "A2", "星球", "基层工会", "-5"]], name="下级单位.csv")
    html = admin_client.post("/orgs/A/import/", {"file": upload}).content.decode()
    assert "文件被拒绝，系统中的数据未做任何改动。" in html
    assert "文件「下级单位.csv」第 3 行「单位名称」列" in html
    assert "文件「下级单位.csv」第 3 行「层级」列" in html and "未知的层级" in html
    assert "文件「下级单位.csv」第 3 行「会员人数」列" in html
    assert units() == before and ActivityLog.objects.count() == logged


def test_xlsx_import_from_the_page(admin_client):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["A2X", "甲市二区机械厂工会", "A2", "基层", "基层工会", 80])
    data = io.BytesIO()
    book.save(data)
    upload = SimpleUploadedFile("单位.xlsx", data.getvalue())
    assert admin_client.post("/orgs/A/import/", {"file": upload}).status_code == 302
    assert Org.objects.get(code="A2X").parent.code == "A2"


@pytest.mark.parametrize("row,column,message", [
    (["B1Y", "乙市一区新厂工会", "B1", "基层", "基层工会", ""], "上级单位编码", "上级单位不在「甲市总工会」之下"),
    (["B1X", "乙市一区医院工会委员会", "A1", "基层", "基层工会", "300"], "单位编码", "已被「甲市总工会」以外的单位使用"),
    (["NEWTOP", "新的最高层级", "", "省", "工会机关", ""], "上级单位编码", "导入的单位须位于「甲市总工会」之下"),
    (["A", "甲市总工会", "B", "市", "工会机关", ""], "上级单位编码", "不能在此修改它的上级单位"),
])
def test_the_page_import_stays_inside_the_administrators_scope(admin_client, row, column, message):
    before, logged = units(), ActivityLog.objects.count()
    upload = csv_upload([["A2X", "甲市二区机械厂工会", "A2", "基层", "基层工会", "80"], row])
    html = admin_client.post("/orgs/A/import/", {"file": upload}).content.decode()
    assert f"文件「单位.csv」第 3 行「{column}」列" in html and message in html
    assert units() == before and ActivityLog.objects.count() == logged


def test_the_scope_restriction_is_in_the_service_and_the_cli_has_none(a_admin, tree, tmp_path):
    path = write_csv(tmp_path / "b.csv", [["B1Y", "乙市一区新厂工会", "B1", "基层", "基层工会", ""]])
    with pytest.raises(PermissionError):
        services.import_orgs(path, actor=a_admin, within=tree["B"])  # a unit outside the scope
    from jingshen.tabular import TableError

    with pytest.raises(TableError):
        services.import_orgs(path, actor=a_admin, within=tree["A"])
    assert not Org.objects.filter(code="B1Y").exists()
    services.import_orgs(path)  # jingshen import orgs: the operator's tool, anywhere in the tree
    assert Org.objects.get(code="B1Y").parent.code == "B1"


def test_a_foreign_unit_is_404_on_every_page(admin_client):
    before = units()
    for url in ("/orgs/B1/edit/", "/orgs/B1/new/", "/orgs/B1/import/", "/orgs/P/edit/"):
        assert admin_client.get(url).status_code == 404, url
    assert admin_client.post("/orgs/B1/import/", {"file": csv_upload([["B1Y", "越权", "B1", "基层", "基层工会", ""]])}
                             ).status_code == 404
    assert admin_client.post("/orgs/B1/edit/", {"name": "越权", "level": "county", "kind": "union_office",
                                                "parent": "B"}).status_code == 404
    assert units() == before


def test_an_oversized_file_is_refused_before_it_is_read(admin_client, monkeypatch):
    from jingshen.orgs import forms

    monkeypatch.setattr(forms, "MAX_IMPORT_MB", 0)
    before = units()
    html = admin_client.post("/orgs/A/import/", {"file": csv_upload([["A2X", "甲市二区机械厂工会", "A2", "基层", "基层工会", ""]])}
                             ).content.decode()
    assert "文件超过 0 MB" in html and units() == before
