"""资产对账's fixed-asset against fixed-fund check, switched off per unit by those who hold
CONFIGURE on it (logged); while off the line is left out and the page says who switched it off."""

import pytest
from django.test import Client
from django.utils import timezone

from jingshen.accounts.models import RoleCode
from jingshen.activity.models import ActivityLog
from jingshen.finance.models import ReconcileSetting
from jingshen.finance.reconcile import reconcile_assets
from jingshen.finance.services import import_assets, set_fixed_fund_check
from tests.conftest import make_user
from tests.finance.test_assets import CARDS, ledger_2021, register_file


@pytest.fixture
def books(tmp_path, tree):
    import_assets(register_file(tmp_path, CARDS), org=tree["A1X"])
    ledger_2021(tmp_path)


@pytest.fixture
def unit_director(personas):
    return make_user("A1X", "a1x_director", RoleCode.DIRECTOR)


def labels(result):
    return [(c.left_label, c.right_label) for c in result.comparisons]


def test_switched_off_and_on_by_the_unit_logged(books, tree, unit_director):
    assert ("固定资产科目年末余额", "固定基金科目年末余额") in labels(reconcile_assets(tree["A1X"], 2021))
    set_fixed_fund_check(unit_director, tree["A1X"], False)
    result = reconcile_assets(tree["A1X"], 2021)
    assert not result.fixed_fund_check and len(result.comparisons) == 3
    assert ("固定资产科目年末余额", "固定基金科目年末余额") not in labels(result)
    entry = ActivityLog.objects.get(action="finance.fixed_fund_check")
    assert entry.actor == unit_director and entry.before == {"fixed_fund_check": True} and entry.after == {"fixed_fund_check": False}
    set_fixed_fund_check(unit_director, tree["A1X"], False)  # no change, nothing logged
    assert ActivityLog.objects.filter(action="finance.fixed_fund_check").count() == 1
    set_fixed_fund_check(unit_director, tree["A1X"], True)
    assert len(reconcile_assets(tree["A1X"], 2021).comparisons) == 4
    # another unit is not affected by the switch of this one
    assert reconcile_assets(tree["A2"], 2021).fixed_fund_check


def test_only_configure_on_the_unit_may_set_it(books, tree, personas, unit_director):
    for name in ("a_auditor", "prov_director", "contact", "a1_auditor"):
        with pytest.raises(PermissionError):
            set_fixed_fund_check(personas[name], tree["A1X"], False)
        client = Client()
        client.force_login(personas[name])
        assert client.post("/finance/assets/reconcile/fixed-fund/", {"org": "A1X", "year": "2021"}).status_code == 404
    assert not ReconcileSetting.objects.exists()


def test_the_page_switches_it_and_says_who_and_when(books, tree, personas, unit_director):
    client = Client()
    client.force_login(unit_director)
    page = client.get("/finance/assets/reconcile/?org=A1X&year=2021").content.decode()
    assert "关闭本单位的固定基金核对" in page and "固定基金科目年末余额" in page
    response = client.post("/finance/assets/reconcile/fixed-fund/", {"org": "A1X", "year": "2021"})
    assert response.status_code == 302 and response.url == "/finance/assets/reconcile/?org=A1X&year=2021"
    # an auditor of the county sees that it is off, by whom, and no switch
    viewer = Client()
    viewer.force_login(personas["a1_auditor"])
    page = viewer.get("/finance/assets/reconcile/?org=A1X&year=2021").content.decode()
    setting = ReconcileSetting.objects.get(org=tree["A1X"])
    assert "“固定资产与固定基金”核对已关闭（a1x_director于" in page and timezone.localtime(setting.set_at).strftime("%Y-%m-%d") in page
    assert "固定基金科目年末余额" not in page and "开启本单位的固定基金核对" not in page
    client.post("/finance/assets/reconcile/fixed-fund/", {"org": "A1X", "year": "2021", "enabled": "on"})
    assert ReconcileSetting.objects.get(org=tree["A1X"]).fixed_fund_check
    assert "固定基金科目年末余额" in viewer.get("/finance/assets/reconcile/?org=A1X&year=2021").content.decode()
