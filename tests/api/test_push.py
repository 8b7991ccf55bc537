"""Push endpoints (联网采集): a finance system sends vouchers, balances, a budget or an asset
register as rows of the import template. Merged into the latest voucher version, idempotent by
batch id, refused whole with per-row errors in the importers' words, and scoped like the pages."""

import json
import threading

import duckdb
import pytest

from jingshen.accounts.models import RoleCode
from jingshen.activity.models import ActivityLog
from jingshen.api.models import PushBatch
from jingshen.finance.models import AssetRegister, Budget
from jingshen.ledger import store
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset
from tests.api.conftest import key_client
from tests.conftest import make_user
from tests.finance.test_assets import CARDS
from tests.finance.test_assets import HEADER as CARD_HEADER
from tests.finance.test_budget_import import HEADER as BUDGET_HEADER
from tests.finance.test_budget_import import PUBLISHED
from tests.ledger.conftest import voucher, write


def lines(no: int, date: str, amount: str = "1200.00") -> list[dict]:
    """One voucher as pushed rows: a debit to 文体活动费 and a credit to 银行存款."""
    common = {"凭证日期": date, "凭证字": "记", "凭证号": str(no), "摘要": "职工篮球赛场地费"}
    return [{**common, "分录号": 1, "科目编码": "50102", "借方金额": amount},
            {**common, "分录号": 2, "科目编码": "102", "贷方金额": amount}]


def push(client, kind: str, batch_id: str, rows, org="A1X", **extra):
    body = {"batch_id": batch_id, "org": org, "rows": rows, **extra}
    return client.post(f"/api/v1/push/{kind}/", json.dumps(body, ensure_ascii=False), content_type="application/json")


def stored(dataset) -> list[tuple]:
    return duckdb.sql(f"SELECT period, voucher_no, debit::VARCHAR FROM {store.scan(dataset)} WHERE debit > 0 "
                      "ORDER BY period, voucher_no").fetchall()


@pytest.fixture
def pusher(make_key):
    return key_client(make_key("A1", ["push"])[1])


@pytest.mark.django_db
def test_a_month_pushed_in_march_keeps_january_and_a_corrected_voucher_is_reported(pusher):
    first = push(pusher, "vouchers", "2025-01", lines(1, "2025-01-05") + lines(2, "2025-01-20", "80.00"))
    assert first.status_code == 201, first.content.decode()
    body = first.json()
    assert body["duplicate"] is False and body["datasets"][0]["version"] == 1 and body["replaced"] == []
    second = push(pusher, "vouchers", "2025-03", lines(1, "2025-03-02", "500.00") + lines(2, "2025-01-20", "88.00"))
    assert second.status_code == 201
    body = second.json()
    assert body["datasets"][0] == {"id": body["datasets"][0]["id"], "org": "A1X", "fiscal_year": 2025, "kind": "vouchers",
                                   "version": 2, "rows": 6, "merged_from_version": 1}
    assert body["replaced"] == [{"org": "A1X", "fiscal_year": 2025, "period": 1, "voucher_type": "记", "voucher_no": 2}]
    assert "替换了已有的同号凭证" in body["summary"]
    latest = Dataset.objects.get(version=2)
    assert stored(latest) == [(1, 1, "1200.00"), (1, 2, "88.00"), (3, 1, "500.00")]
    assert latest.source_name == "接口推送批次 2025-03" and latest.imported_by is None
    entry = ActivityLog.objects.filter(action="api.push").latest("seq")
    assert entry.summary.startswith("API 密钥「A1 系统」推送") and entry.details["via_key"]["name"] == "A1 系统"
    assert entry.details["replaced"] == 1 and entry.actor is None


@pytest.mark.django_db
def test_the_same_batch_twice_gives_one_version_and_other_content_under_its_id_is_a_conflict(pusher):
    rows = lines(1, "2025-02-03")
    assert push(pusher, "vouchers", "b-1", rows).status_code == 201
    again = push(pusher, "vouchers", "b-1", rows)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["datasets"][0]["version"] == 1
    assert Dataset.objects.count() == 1 and PushBatch.objects.count() == 1
    other = push(pusher, "vouchers", "b-1", lines(1, "2025-02-03", "9.00"))
    assert other.status_code == 409 and "已用于内容不同的另一批数据" in other.json()["detail"]
    assert Dataset.objects.count() == 1


@pytest.mark.django_db
def test_a_batch_with_a_bad_row_is_refused_whole_in_the_importers_words(pusher):
    rows = lines(1, "2025-02-03") + lines(2, "2025-02-31") + lines(3, "2025-02-04", "12.345")
    rows[5]["科目编码"] = "999999"
    before = ActivityLog.objects.filter(action="api.push_refused").count()
    response = push(pusher, "vouchers", "bad-1", rows)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "批次被拒绝，系统中的数据未做任何改动。"
    errors = {(e["row"], e["column"], e["message"][:12]) for e in body["errors"]}
    assert (3, "凭证日期", "无法识别的日期（支持 2") in errors and (4, "凭证日期", "无法识别的日期（支持 2") in errors
    assert (5, "借方金额", "金额最多保留两位小数。") in errors
    assert any(e["row"] == 6 and e["column"] == "科目编码" and "不在单位 A1X 的科目表中" in e["message"] for e in body["errors"])
    assert not Dataset.objects.exists() and not PushBatch.objects.exists()
    assert ActivityLog.objects.filter(action="api.push_refused").count() == before + 1
    # corrected, the same batch id is accepted
    fixed = lines(1, "2025-02-03") + lines(2, "2025-02-28") + lines(3, "2025-02-04", "12.34")
    assert push(pusher, "vouchers", "bad-1", fixed).status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("rows, column, message", [
    ([{"凭证日期": "2025-01-05", "科目编码": "102", "借方金额": "1", "密码": "x"}], "密码", "未知的字段"),
    ([{"凭证日期": ["2025-01-05"], "凭证号": "1", "科目编码": "102", "借方金额": "1"}], "凭证日期", "值应为文字或数字"),
    ([{"凭证日期": "", "凭证号": None}], None, "该行没有任何内容"),
    ([{"凭证日期": "2025-01-05", "凭证号": "1", "科目编码": "102", "借方金额": True}], "借方金额", "值应为文字或数字"),
])
def test_rows_that_are_not_template_rows_are_refused_by_name(pusher, rows, column, message):
    response = push(pusher, "vouchers", "shape-1", rows)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["row"] == 1 and error["column"] == column and error["message"].startswith(message)
    assert not Dataset.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body, named", [
    ({"batch_id": "含空格 的批次", "org": "A1X", "rows": [{"凭证号": "1"}]}, "batch_id"),
    ({"batch_id": "x", "org": "A1X", "rows": []}, "rows"),
    ({"batch_id": "x", "org": "A1X", "rows": "凭证"}, "rows"),
    ({"batch_id": "x", "org": "A1X", "rows": [1, 2]}, "rows"),
    ({"batch_id": "x", "org": "A1X", "fiscal_year": 3000, "rows": [{"凭证号": "1"}]}, "fiscal_year"),
    ({"org": "A1X", "rows": [{"凭证号": "1"}]}, "batch_id"),
])
def test_a_malformed_request_names_the_parameter(pusher, body, named):
    response = pusher.post("/api/v1/push/vouchers/", json.dumps(body, ensure_ascii=False), content_type="application/json")
    assert response.status_code == 400 and f"参数 {named}：" in response.json()["detail"]


@pytest.mark.django_db
def test_a_key_or_user_of_one_unit_can_neither_push_for_another_nor_without_the_scope(make_key, tree, client):
    rows = lines(1, "2025-01-05")
    outside = key_client(make_key("B", ["push"])[1])
    assert push(outside, "vouchers", "x-1", rows).status_code == 404  # A1X is not below B
    assert push(key_client(make_key("A1X", ["push"])[1]), "vouchers", "x-1", rows, org="A1").status_code == 404  # not upward
    reader = key_client(make_key("A", ["read_flags"])[1])
    response = push(reader, "vouchers", "x-1", rows)
    assert response.status_code == 403 and "推送数据" in response.json()["detail"]
    client.force_login(make_user("B", "b_auditor", RoleCode.AUDITOR))
    assert push(client, "vouchers", "x-1", rows).status_code == 404
    assert push(client, "vouchers", "x-1", rows, org="没有这个单位").status_code == 404
    assert not Dataset.objects.exists() and not PushBatch.objects.exists()


@pytest.mark.django_db
def test_a_user_who_imports_for_the_unit_may_push_through_the_session(tree, client):
    client.force_login(make_user("A1", "a1_importer", RoleCode.AUDITOR))
    response = push(client, "vouchers", "session-1", lines(1, "2025-01-05"))
    assert response.status_code == 201, response.content.decode()
    dataset = Dataset.objects.get()
    assert dataset.imported_by.username == "a1_importer"
    assert ActivityLog.objects.filter(action="api.push", actor__username="a1_importer").count() == 1


@pytest.mark.django_db
def test_balances_budgets_and_asset_registers_are_pushed_as_whole_versions(pusher, tree):
    balances = [{"科目编码": "102", "期初余额": "1000.00", "本期借方": "500.00", "本期贷方": "200.00", "期末余额": "1300.00"}]
    response = push(pusher, "balances", "bal-2025", balances, fiscal_year=2025)
    assert response.status_code == 201, response.content.decode()
    assert Dataset.objects.get(kind="balances").rows == 1
    budget_rows = [dict(zip(BUDGET_HEADER, row)) for row in PUBLISHED]
    assert push(pusher, "budgets", "budget-2021", budget_rows).json()["errors"][0]["column"] == "fiscal_year"
    response = push(pusher, "budgets", "budget-2021", budget_rows, fiscal_year=2021)
    assert response.status_code == 201, response.content.decode()
    assert Budget.objects.get(org=tree["A1X"], fiscal_year=2021).lines.count() == len(PUBLISHED)
    cards = [dict(zip(CARD_HEADER, row)) for row in CARDS]
    response = push(pusher, "assets", "cards-1", cards)
    assert response.status_code == 201, response.content.decode()
    assert AssetRegister.objects.get(org=tree["A1X"]).assets.count() == len(CARDS)
    bad = [dict(card) for card in cards]
    bad[1]["原值"] = "-5"
    refused = push(pusher, "assets", "cards-2", bad)
    assert refused.status_code == 400 and refused.json()["errors"][0]["row"] == 2
    assert AssetRegister.objects.filter(org=tree["A1X"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_batch_pushed_while_a_file_of_the_same_year_is_imported_loses_no_lines(make_key, tree, tmp_path):
    """A file import of the whole year and a pushed month, at the same time: the last version
    holds both (the merge is redone on the file's version when that one is published first)."""
    client = key_client(make_key("A1", ["push"])[1])
    year_file = write(tmp_path / "全年.csv", [row for n in range(1, 41) for row in voucher(n, date=f"2025-01-{n % 28 + 1:02d}")])
    import_vouchers(write(tmp_path / "一月.csv", voucher(1, date="2025-01-05")))
    start = threading.Barrier(2, timeout=60)
    answers = []

    def file_import():
        from django.db import connection

        try:
            start.wait()
            import_vouchers(year_file)
        finally:
            connection.close()

    def pushed():
        from django.db import connection

        try:
            start.wait()
            answers.append(push(client, "vouchers", "april", lines(99, "2025-04-01")).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=file_import), threading.Thread(target=pushed)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert answers == [201]
    latest = Dataset.objects.filter(org=tree["A1X"], kind="vouchers").latest("version")
    numbers = {(p, n) for p, n, _ in stored(latest)}
    if latest.merged_from is not None:  # the push came last: the file's 40 vouchers and April's
        assert numbers == {(1, n) for n in range(1, 41)} | {(4, 99)}
    else:  # the file came last: it is the whole year, as a file import says
        assert numbers == {(1, n) for n in range(1, 41)}
        pushed_version = Dataset.objects.get(org=tree["A1X"], kind="vouchers", merged_from__isnull=False)
        assert (4, 99) in {(p, n) for p, n, _ in stored(pushed_version)}
