"""零报送: a unit with no transactions in a period declares it (本期无业务), and the period counts as
reported — its late record is resolved and the periodic check does not record it again."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jingshen.activity.models import ActivityLog
from jingshen.collection.models import Frequency, LateReport, NilReturn
from jingshen.collection.services import declare_nil, run_due, set_schedule
from jingshen.ledger.importers.vouchers import import_vouchers
from tests.ledger.conftest import voucher, write

D = datetime.date


@pytest.fixture
def scheduled(tmp_path, tree, personas):
    """A1X reports monthly from January 2025; January and February are in, March had no business."""
    set_schedule(personas["prov_admin"], org=tree["A1X"], starts_on=D(2025, 1, 1), contact=personas["contact"])
    import_vouchers(write(tmp_path / "1.csv", voucher(1, date="2025-01-09") + voucher(2, date="2025-02-09")))
    return tree["A1X"]


def test_a_declared_period_counts_as_reported(scheduled, personas):
    assert run_due(D(2025, 4, 11)).late == 1
    late = LateReport.objects.get()
    assert (late.fiscal_year, late.period, late.resolved_at) == (2025, 3, None)
    nil = declare_nil(personas["contact"], scheduled, 2025, 3, "三月无经济业务", today=D(2025, 4, 12))
    assert (nil.declared_by.username, nil.note) == ("contact", "三月无经济业务")
    assert LateReport.objects.get().resolved_at is not None  # resolved at once
    entry = ActivityLog.objects.get(action="collection.nil_return")
    assert entry.summary == "甲市一区电子公司工会委员会申报 2025 年 3 月本期无业务（零报送）" and entry.actor.username == "contact"
    result = run_due(D(2025, 4, 12))
    assert (result.late, result.outstanding) == (0, 0)


def test_a_period_declared_before_it_is_due_is_never_late(scheduled, personas):
    declare_nil(personas["a_auditor"], scheduled, 2025, 3, today=D(2025, 4, 2))
    declare_nil(personas["a_auditor"], scheduled, 2025, 4, today=D(2025, 5, 2))
    assert run_due(D(2025, 5, 11)).late == 0 and not LateReport.objects.exists()


def test_refusals(scheduled, personas, tree):
    contact = personas["contact"]
    with pytest.raises(ValueError, match="2025 年 2 月已有凭证分录"):
        declare_nil(contact, scheduled, 2025, 2, today=D(2025, 4, 12))
    with pytest.raises(ValueError, match="2025 年 4 月尚未结束"):
        declare_nil(contact, scheduled, 2025, 4, today=D(2025, 4, 30))
    with pytest.raises(ValueError, match="期间应在 1 至 12 月之间"):
        declare_nil(contact, scheduled, 2025, 13, today=D(2025, 4, 12))
    declare_nil(contact, scheduled, 2025, 3, today=D(2025, 4, 12))
    with pytest.raises(ValueError, match="已于 .* 申报本期无业务"):
        declare_nil(contact, scheduled, 2025, 3, today=D(2025, 4, 12))
    # a quarterly unit's periods are named by their last month, and a quarter with any line is not nil
    set_schedule(None, org=tree["A1X"], frequency=Frequency.QUARTERLY, starts_on=D(2025, 1, 1))
    with pytest.raises(ValueError, match="按季报送时，期间以期末月份表示（3、6、9、12 月）"):
        declare_nil(contact, scheduled, 2025, 5, today=D(2025, 8, 1))
    NilReturn.objects.all().delete()
    with pytest.raises(ValueError, match="2025 年 1、2 月已有凭证分录"):
        declare_nil(contact, scheduled, 2025, 3, today=D(2025, 8, 1))
    declare_nil(contact, scheduled, 2025, 6, today=D(2025, 8, 1))  # April to June had no line
    assert ActivityLog.objects.filter(action="collection.nil_return").latest("seq").summary.endswith("2025 年 4–6 月本期无业务（零报送）")


def test_only_the_units_importers_declare(scheduled, personas):
    for name in ("b_auditor", "leader"):
        with pytest.raises(PermissionError, match="不在您数据采集的范围内"):
            declare_nil(personas[name], scheduled, 2025, 3, today=D(2025, 4, 12))
    assert not NilReturn.objects.exists()


def test_the_button_on_the_late_list(scheduled, client_for):
    run_due(D(2025, 4, 11))
    contact = client_for("contact")
    page = contact.get("/collect/schedules/late/").content.decode()
    assert "申报本期无业务" in page and 'name="period" value="3"' in page
    assert "申报本期无业务</button>" not in client_for("leader").get("/collect/schedules/late/").content.decode()
    assert client_for("b_auditor").post("/collect/schedules/nil/", {"org": "A1X", "year": "2025", "period": "3"}).status_code == 404
    assert client_for("leader").post("/collect/schedules/nil/", {"org": "A1X", "year": "2025", "period": "3"}).status_code == 404
    refused = contact.post("/collect/schedules/nil/", {"org": "A1X", "year": "2025", "period": "2"}, follow=True)
    assert "2025 年 2 月已有凭证分录" in refused.content.decode()
    bad = contact.post("/collect/schedules/nil/", {"org": "A1X", "year": "x", "period": "99"}, follow=True)
    assert "申报信息不完整或无效" in bad.content.decode()
    done = contact.post("/collect/schedules/nil/", {"org": "A1X", "year": "2025", "period": "3", "note": "无业务"}, follow=True)
    assert "已申报甲市一区电子公司工会委员会 2025 年 3 月本期无业务" in done.content.decode()
    listed = contact.get("/collect/schedules/late/?status=all").content.decode()
    assert "已申报无业务" in listed and "申报本期无业务</button>" not in listed
    assert NilReturn.objects.get().note == "无业务"


def test_the_command(scheduled, personas):
    out = StringIO()
    call_command("collect_nil", "--org", "A1X", "--year", "2025", "--period", "3", "--by", "contact", stdout=out)
    assert "已申报甲市一区电子公司工会委员会 2025 年 3 月本期无业务" in out.getvalue()
    assert NilReturn.objects.get().declared_by.username == "contact"
    with pytest.raises(CommandError, match="不在您数据采集的范围内"):
        call_command("collect_nil", "--org", "A1X", "--year", "2025", "--period", "4", "--by", "b_auditor")
    with pytest.raises(CommandError, match="单位编码「ZZ」不存在"):
        call_command("collect_nil", "--org", "ZZ", "--year", "2025", "--period", "4")
