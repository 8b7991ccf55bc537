"""报送计划: each unit's reporting schedule, the periodic check that records the periods not
reported on time (未按时报送) once and marks them 已补报 when the data arrives, the scheduler that
runs it from the worker, and the pages, to-dos and command."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jingshen.activity.models import ActivityLog
from jingshen.collection import scheduler
from jingshen.collection.due import due_date, due_periods
from jingshen.collection.models import Frequency, LateReport, ReportingSchedule, SchedulerRun
from jingshen.collection.services import run_due, set_schedule
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.portal.dashboard import todos
from tests.ledger.conftest import voucher, write

D = datetime.date


def test_due_dates():
    monthly = ReportingSchedule(frequency=Frequency.MONTHLY, due_day=10, lag_months=1, starts_on=D(2025, 1, 1))
    assert due_date(monthly, 2025, 1) == D(2025, 2, 10) and due_date(monthly, 2025, 12) == D(2026, 1, 10)
    # data is late the day after its due day
    assert [(y, m) for y, m, _ in due_periods(monthly, D(2025, 4, 10))] == [(2025, 1), (2025, 2)]
    assert [(y, m) for y, m, _ in due_periods(monthly, D(2025, 4, 11))] == [(2025, 1), (2025, 2), (2025, 3)]
    quarterly = ReportingSchedule(frequency=Frequency.QUARTERLY, due_day=15, lag_months=1, starts_on=D(2025, 5, 1))
    assert [(y, m) for y, m, _ in due_periods(quarterly, D(2026, 1, 15))] == [(2025, 6), (2025, 9)]  # Q1 ended before the start, Q4 due today
    yearly = ReportingSchedule(frequency=Frequency.YEARLY, due_day=28, lag_months=3, starts_on=D(2024, 1, 1))
    assert [(y, m, d) for y, m, d in due_periods(yearly, D(2026, 4, 1))] == [(2024, 12, D(2025, 3, 28)), (2025, 12, D(2026, 3, 28))]


def test_late_periods_are_recorded_once_and_resolved_when_the_data_arrives(tmp_path, tree, personas):
    contact = personas["contact"]
    set_schedule(personas["prov_admin"], org=tree["A1X"], starts_on=D(2025, 1, 1), contact=contact)
    # January and February are in, March is not
    import_vouchers(write(tmp_path / "1.csv", voucher(1, date="2025-01-09") + voucher(2, date="2025-02-09")))
    result = run_due(D(2025, 4, 11))
    assert (result.checked, result.late, result.resolved, result.outstanding) == (1, 1, 0, 1)
    assert [(r.org.code, r.fiscal_year, r.period, r.due_date) for r in LateReport.objects.all()] == [("A1X", 2025, 3, D(2025, 4, 10))]
    assert run_due(D(2025, 4, 11)).late == 0 and LateReport.objects.count() == 1  # idempotent
    logged = ActivityLog.objects.filter(action="collection.run_due").count()
    assert logged == 1  # a run that changes nothing is not logged
    # the contact sees it among their to-dos; the administrator above, a count of late units
    mine = [t for t in todos(contact, D(2025, 4, 11)) if t.kind == "数据未按时报送"]
    assert [t.title for t in mine] == ["甲市一区电子公司工会委员会 2025 年 3 月凭证"] and mine[0].late
    theirs = [t for t in todos(personas["prov_admin"], D(2025, 4, 11)) if t.kind == "未按时报送"]
    assert [t.title for t in theirs] == ["1 个单位的凭证数据未按时报送"]
    # a new version of the year with March resolves it
    import_vouchers(write(tmp_path / "2.csv", voucher(1, date="2025-01-09") + voucher(2, date="2025-02-09")
                          + voucher(3, date="2025-03-09")))
    result = run_due(D(2025, 4, 12))
    assert (result.late, result.resolved, result.outstanding) == (0, 1, 0)
    assert LateReport.objects.get().resolved_at is not None
    assert not [t for t in todos(contact, D(2025, 4, 12)) if t.kind == "数据未按时报送"]


def test_a_unit_with_no_data_at_all_is_late_for_every_period(tree, personas):
    set_schedule(None, org=tree["A1X"], frequency=Frequency.QUARTERLY, due_day=20, starts_on=D(2025, 1, 1))
    assert run_due(D(2025, 11, 1)).late == 3  # Q1, Q2, Q3
    assert run_due(D(2025, 11, 1)).late == 0


def test_setting_schedules_in_scope(tree, personas):
    n = set_schedule(personas["prov_admin"], org=tree["A"], below=True, due_day=15)
    assert n == 4 and set(ReportingSchedule.objects.values_list("org__code", flat=True)) == {"A", "A1", "A1X", "A2"}
    assert ActivityLog.objects.filter(action="collection.schedule").count() == 1  # one entry for the lot
    with pytest.raises(PermissionError):
        set_schedule(personas["a_auditor"], org=tree["A1"])  # an auditor chases no data
    with pytest.raises(ValueError, match="截止日应在 1 日至 28 日之间"):
        set_schedule(personas["prov_admin"], org=tree["A1"], due_day=31)
    with pytest.raises(ValueError, match="报送联系人须为"):
        set_schedule(personas["prov_admin"], org=tree["A1"], contact=personas["contact"])  # contact of another unit


def test_the_pages(client_for, tree, personas):
    admin = client_for("prov_admin")
    page = admin.get("/collect/schedules/").content.decode()
    assert "还没有报送计划" in page and 'id="schedule-form"' in page
    response = admin.post("/collect/schedules/set/", {"org": "A1X", "frequency": "monthly", "lag_months": "1", "due_day": "10",
                                                      "starts_on": "2025-01-01", "contact": "contact", "active": "on"})
    assert response.status_code == 302
    schedule = ReportingSchedule.objects.get(org__code="A1X")
    assert (schedule.contact.username, schedule.due_day, schedule.updated_by.username) == ("contact", 10, "prov_admin")
    run_due(D(2025, 3, 1))
    listed = admin.get("/collect/schedules/").content.decode()
    assert "期末后第 1 个月 10 日前" in listed and "1 期" in listed
    late = admin.get("/collect/schedules/late/").content.decode()
    assert "2025 年 1 月凭证" in late and "未报送" in late
    assert "2025 年 1 月凭证" not in client_for("b_auditor").get("/collect/schedules/late/").content.decode()
    # bad input: a day past 28, a contact of another unit, a unit outside the scope
    bad = admin.post("/collect/schedules/set/", {"org": "A1X", "frequency": "monthly", "lag_months": "1", "due_day": "31"})
    assert bad.status_code == 200 and "截止日应在 1 日至 28 日之间" in bad.content.decode()
    bad = admin.post("/collect/schedules/set/", {"org": "A1", "frequency": "monthly", "lag_months": "1", "due_day": "5",
                                                 "contact": "contact"})
    assert "没有用户名为“contact”的在用账号" in bad.content.decode()
    assert not ReportingSchedule.objects.filter(org__code="A1").exists()
    a_admin = client_for("a_auditor")
    assert a_admin.post("/collect/schedules/set/", {"org": "A1X", "frequency": "monthly", "lag_months": "1",
                                                    "due_day": "10"}).status_code == 404
    assert 'id="schedule-form"' not in a_admin.get("/collect/schedules/").content.decode()
    for query in ("status=nonsense", "org=%27--", "page=-1"):
        assert admin.get(f"/collect/schedules/late/?{query}").status_code == 200


def test_the_commands(tree, personas):
    out = StringIO()
    call_command("collect_schedule", "--org", "A", "--below", "--frequency", "quarter", "--due-day", "20", "--starts",
                 "2025-01-01", stdout=out)
    assert "已设置 4 个单位的报送计划" in out.getvalue()
    out = StringIO()
    call_command("collect_run_due", "--date", "2025-05-01", stdout=out)
    assert "新发现未按时报送 4 期" in out.getvalue()
    with pytest.raises(CommandError, match="日期「2025-13-01」无效"):
        call_command("collect_run_due", "--date", "2025-13-01")
    with pytest.raises(CommandError, match="不在您设置报送计划的范围内"):
        call_command("collect_schedule", "--org", "B1", "--by", "a_auditor")


def test_the_scheduler_enqueues_a_due_job_once_per_interval(tree, monkeypatch):
    ran = []
    monkeypatch.setattr(scheduler, "jobs", lambda: {"collect.run_due": (datetime.timedelta(hours=1),
                                                                        type("T", (), {"enqueue": lambda self: ran.append(1)})())})
    now = datetime.datetime(2025, 4, 11, 9, 0, tzinfo=datetime.UTC)
    assert scheduler.tick(now) == ["collect.run_due"]
    assert scheduler.tick(now + datetime.timedelta(minutes=59)) == []  # another worker, or a restart, within the hour
    assert scheduler.tick(now + datetime.timedelta(hours=1)) == ["collect.run_due"]
    assert len(ran) == 2 and SchedulerRun.objects.get().last_started_at == now + datetime.timedelta(hours=1)


def test_the_real_job_runs_the_check(tree, personas):
    set_schedule(None, org=tree["A1X"], starts_on=D(2020, 1, 1))
    scheduler.tick()  # tasks run at once in tests
    assert LateReport.objects.filter(org=tree["A1X"]).exists()
