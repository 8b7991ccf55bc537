"""经审干部名册 and training records: who keeps and reads them, the forms' refusals (negative
hours, an end before the start, an account of another unit), 不在岗 keeping the record, the
list's filters, sorting and export, and the hours table."""

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from jingshen.accounts.models import RoleCode
from jingshen.activity.models import ActivityLog
from jingshen.admin_center import services
from jingshen.admin_center.hours import hours_table
from jingshen.admin_center.models import StaffProfile, TrainingRecord
from jingshen.orgs import scope
from tests.conftest import make_user
from tests.test_access import audit_project


@pytest.fixture
def a_director(personas):
    return make_user("A", "a_director", RoleCode.DIRECTOR)


@pytest.fixture
def director_client(client, a_director):
    client.force_login(a_director)
    return client


def table(client, url: str, table_id: str = "staff") -> str:
    """The HTML of one table of a page (messages from earlier requests are elsewhere)."""
    page = client.get(url).content.decode()
    start = page.index(f'id="{table_id}"')
    return page[start:page.index("</table>", start)]


def staff(actor, code, name, staff_type="part_time", **kw):
    from jingshen.orgs.models import Org

    return services.create_staff(actor, org=Org.objects.get(code=code), name=name, staff_type=staff_type, **kw)


def training(actor, person, hours="8", start=datetime.date(2025, 3, 1), kind="central", **kw):
    return services.add_training(actor, staff=person, kind=kind, title="经审业务培训", start_date=start,
                                 end_date=kw.pop("end", start), hours=hours, **kw)


# --- who -----------------------------------------------------------------------------------------------


def test_roster_is_kept_by_admins_and_directors_of_the_subtree_and_read_by_staff(personas, a_director, tree):
    assert scope.can(a_director, scope.ROSTER, tree["A1X"]) and not scope.can(a_director, scope.ROSTER, tree["B1"])
    assert scope.can(personas["prov_admin"], scope.ROSTER, tree["B1X"])
    for name in ("a_auditor", "a_lead", "leader"):
        assert not scope.may(personas[name], scope.ROSTER), name
    assert scope.can(personas["a_auditor"], scope.VIEW_ROSTER, tree["A1X"])
    assert not scope.can(personas["a_auditor"], scope.VIEW_ROSTER, tree["B1"])
    assert not scope.may(personas["contact"], scope.VIEW_ROSTER)
    with pytest.raises(PermissionError):
        staff(a_director, "B1", "越权")
    assert not StaffProfile.objects.exists()


def test_pages_answer_404_to_those_without_the_action(client_for, a_director):
    person = staff(a_director, "A1", "王会计")
    contact = client_for("contact")
    assert contact.get("/manage/staff/").status_code == 404
    assert contact.get(f"/manage/staff/{person.pk}/").status_code == 404
    b = client_for("b_auditor")
    assert b.get("/manage/staff/").status_code == 200 and "王会计" not in b.get("/manage/staff/").content.decode()
    assert b.get(f"/manage/staff/{person.pk}/").status_code == 404
    # a reader sees the person but no form, and cannot post one
    auditor = client_for("a_auditor")
    page = auditor.get(f"/manage/staff/{person.pk}/").content.decode()
    assert "王会计" in page and 'id="staff-form"' not in page
    assert auditor.get("/manage/staff/new/").status_code == 404
    assert auditor.post(f"/manage/staff/{person.pk}/", {"org": "A1", "name": "改名", "staff_type": "committee"}).status_code == 404
    assert StaffProfile.objects.get().name == "王会计"


# --- roster --------------------------------------------------------------------------------------------


def test_create_edit_and_link_an_account_of_the_same_unit_only(director_client, a_director, personas):
    response = director_client.post("/manage/staff/new/", {"org": "A1", "name": "李审计", "staff_type": "full_time",
                                                           "position": "经审办主任", "username": "a_auditor"})
    assert response.status_code == 200  # a_auditor belongs to 甲市, not 甲市一区
    assert "没有用户名为「a_auditor」的登录账号" in response.content.decode() and not StaffProfile.objects.exists()
    response = director_client.post("/manage/staff/new/", {"org": "A1", "name": "李审计", "staff_type": "full_time",
                                                           "position": "经审办主任", "username": "a1_auditor"})
    person = StaffProfile.objects.get()
    assert response.status_code == 302 and person.user == personas["a1_auditor"] and person.position == "经审办主任"
    entry = ActivityLog.objects.get(action="admin_center.staff_create")
    assert entry.actor == a_director and entry.after["登录账号"] == "a1_auditor"
    # the same account cannot be linked to a second person
    with pytest.raises(ValueError, match="已关联经审干部「李审计」"):
        staff(a_director, "A1", "另一人", user=personas["a1_auditor"])
    director_client.post(f"/manage/staff/{person.pk}/", {"org": "A1", "name": "李审计", "staff_type": "committee",
                                                         "position": "经审委员", "username": "a1_auditor"})
    person.refresh_from_db()
    assert person.staff_type == "committee"
    change = ActivityLog.objects.get(action="admin_center.staff_update")
    assert change.before == {"类别": "专职", "职务": "经审办主任"} and change.after == {"类别": "经审委员", "职务": "经审委员"}


def test_a_unit_outside_the_roster_scope_is_404_and_writes_nothing(director_client):
    response = director_client.post("/manage/staff/new/", {"org": "B1", "name": "越权", "staff_type": "part_time"})
    assert response.status_code == 404 and not StaffProfile.objects.exists()


def test_marking_not_in_post_keeps_the_record_and_its_training(director_client, a_director):
    person = staff(a_director, "A1", "赵专职", "full_time")
    training(a_director, person)
    response = director_client.post(f"/manage/staff/{person.pk}/active/", {"active": "0", "note": "调离"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.active and person.trainings.count() == 1
    assert ActivityLog.objects.filter(action="admin_center.staff_active", summary__contains="不在岗：调离").exists()
    assert "赵专职" not in table(director_client, "/manage/staff/")  # the list shows those 在岗 by default
    assert "赵专职" in table(director_client, "/manage/staff/?active=0")
    assert "赵专职" in table(director_client, "/manage/staff/?active=all")
    director_client.post(f"/manage/staff/{person.pk}/active/", {"active": "1"})
    person.refresh_from_db()
    assert person.active


def test_list_filters_sorts_pages_and_exports(director_client, a_director):
    staff(a_director, "A", "甲一", "committee")
    staff(a_director, "A1", "乙二", "full_time")
    staff(a_director, "A1X", "丙三", "part_time")
    page = table(director_client, "/manage/staff/?org=A1")
    assert "乙二" in page and "丙三" in page and "甲一" not in page  # a unit and those below it
    page = table(director_client, "/manage/staff/?staff_type=committee")
    assert "甲一" in page and "乙二" not in page
    page = table(director_client, "/manage/staff/?sort=-type")  # part_time, full_time, committee
    assert page.index("丙三") < page.index("乙二") < page.index("甲一")
    page = table(director_client, "/manage/staff/?sort=org")  # the tree: 甲市, 甲市一区, its grassroots unit
    assert page.index("甲一") < page.index("乙二") < page.index("丙三")
    page = director_client.get("/manage/staff/?org=B1").content.decode()
    assert "不存在或不在您的权限范围内，已忽略该条件" in page
    response = director_client.get("/manage/staff/?format=xlsx&org=A1")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c for c in r] for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert [r[2] for r in rows] == ["乙二", "丙三"] and rows[0][3] == "专职"
    assert ActivityLog.objects.filter(action="download", summary__contains="经审干部名册").exists()
    for n in range(55):
        staff(a_director, "A2", f"成员{n:02d}")
    assert "第 1 / 2 页" in director_client.get("/manage/staff/").content.decode()


# --- training ------------------------------------------------------------------------------------------


def post_training(client, person, **changes):
    data = {"staff": str(person.pk), "kind": "central", "title": "经审业务培训", "start_date": "2025-03-01",
            "end_date": "2025-03-03", "hours": "16"} | changes
    return client.post("/manage/training/new/", data)


def test_negative_hours_are_refused_on_the_form_and_nothing_is_written(director_client, a_director):
    person = staff(a_director, "A1", "钱兼职")
    before = ActivityLog.objects.count()
    response = post_training(director_client, person, hours="-4")
    assert response.status_code == 200
    assert "学时不能为负数。" in response.content.decode()
    assert not TrainingRecord.objects.exists() and ActivityLog.objects.count() == before
    with pytest.raises(ValueError, match="学时不能为负数"):  # the service refuses it too
        training(a_director, person, hours="-0.5")
    assert not TrainingRecord.objects.exists()


def test_an_end_before_the_start_is_refused(director_client, a_director):
    person = staff(a_director, "A1", "孙兼职")
    response = post_training(director_client, person, start_date="2025-03-03", end_date="2025-03-01")
    assert response.status_code == 200 and "结束日期不能早于开始日期。" in response.content.decode()
    assert not TrainingRecord.objects.exists()
    with pytest.raises(ValueError, match="结束日期不能早于开始日期"):
        training(a_director, person, start=datetime.date(2025, 3, 3), end=datetime.date(2025, 3, 1))
    for bad in ("NaN", "abc", "1e9", "0.25"):
        response = post_training(director_client, person, hours=bad)
        assert response.status_code == 200 and not TrainingRecord.objects.exists(), bad


def test_learning_by_auditing_names_its_project_and_delete_is_logged(director_client, a_director, tree):
    person = staff(a_director, "A", "周主审")
    project = audit_project(tree["A1"])  # by 甲市's 经审会, which a_director sees
    response = post_training(director_client, person, kind="central", project=str(project.pk))
    assert "只有以审代训和交叉互审可以关联审计项目" in response.content.decode() and not TrainingRecord.objects.exists()
    response = post_training(director_client, person, kind="learning_by_auditing", project=str(project.pk))
    assert response.status_code == 302
    record = TrainingRecord.objects.get()
    assert record.project == project and record.hours == Decimal("16") and record.created_by == a_director
    assert f"/manage/training/{record.pk}/delete/" in director_client.get(f"/manage/staff/{person.pk}/").content.decode()
    assert director_client.post(f"/manage/training/{record.pk}/delete/").status_code == 302
    assert not TrainingRecord.objects.exists()
    entry = ActivityLog.objects.get(action="admin_center.training_delete")
    assert entry.before["学时"] == "16.0" and entry.before["审计项目"] == project.code and entry.actor == a_director


def test_hours_per_person_per_year_and_per_kind_in_a_year(director_client, a_director):
    wu, zheng = staff(a_director, "A1", "吴一"), staff(a_director, "A1X", "郑二")
    training(a_director, wu, "8", datetime.date(2024, 5, 1))
    training(a_director, wu, "4.5", datetime.date(2025, 5, 1))
    training(a_director, wu, "12", datetime.date(2025, 9, 1), kind="rotation")
    training(a_director, zheng, "6", datetime.date(2025, 1, 10), kind="cross_audit")
    table = hours_table(StaffProfile.objects.all())
    assert [c for c, _ in table.columns] == ["2024", "2025"]
    cells = {r.staff.name: r.cells for r in table.rows}
    assert cells == {"吴一": [Decimal("8"), Decimal("16.5")], "郑二": [Decimal("0"), Decimal("6")]}
    assert table.grand_total == Decimal("30.5")
    by_kind = hours_table(StaffProfile.objects.all(), 2025)
    assert [c for c, _ in by_kind.columns] == ["central", "learning_by_auditing", "rotation", "cross_audit"]
    assert {r.staff.name: r.cells for r in by_kind.rows}["吴一"] == [Decimal("4.5"), 0, Decimal("12"), 0]
    page = director_client.get("/manage/training/hours/?year=2025").content.decode()
    assert "轮岗交流" in page and "16.5" in page
    response = director_client.get("/manage/training/hours/?format=xlsx")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert rows[2] == ("单位", "姓名", "类别", "2024 年（学时）", "2025 年（学时）", "合计（学时）")
    assert rows[-1][0] == "合计" and float(rows[-1][-1]) == 30.5
