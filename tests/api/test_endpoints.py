"""What the read endpoints answer: the same rows as the pages, for users and keys alike."""

import pytest

from jingshen.knowledge import signals
from jingshen.knowledge.models import Guide
from jingshen.screening.models import Flag
from tests.api.conftest import key_client
from tests.test_access import values_for


@pytest.mark.django_db
def test_flags_are_filtered_and_ordered_like_the_run_page(make_key, tmp_path):
    values = values_for("A1X", tmp_path)
    run = values["run_id"]
    base = Flag.objects.get(pk=values["flag_id"])
    for n, (severity, amount) in enumerate((("高", "5000.00"), ("低", "20.00")), start=2):
        Flag.objects.create(run=base.run, rule="JS-CASH-001", rule_name="大额现金支付", category="财务", severity=severity,
                            score=80, voucher_score=90 if severity == "高" else None, org=base.org, fiscal_year=2025, period=n,
                            voucher_type="记", voucher_no=n, amount=amount, message="测试")
    client = key_client(make_key("A", ["read_flags"])[1])
    everything = client.get(f"/api/v1/runs/{run}/flags/").json()
    assert everything["count"] == 3 and everything["results"][0]["severity"] == "高"  # the highest voucher score first
    assert [f["severity"] for f in client.get(f"/api/v1/runs/{run}/flags/?severity=低").json()["results"]] == ["低"]
    assert client.get(f"/api/v1/runs/{run}/flags/?amount_min=1000").json()["count"] == 1
    assert client.get(f"/api/v1/runs/{run}/flags/?org=B1X").json()["count"] == 0  # a foreign code filters to nothing
    response = client.get(f"/api/v1/runs/{run}/flags/?amount_min=NaN")
    assert response.status_code == 400 and response.json()["detail"].startswith("参数 amount_min：")


@pytest.mark.django_db
def test_datasets_list_the_latest_versions_on_request(make_key, tmp_path):
    from jingshen.ledger.importers.vouchers import import_vouchers
    from tests.ledger.conftest import voucher, write

    import_vouchers(write(tmp_path / "v1.csv", voucher(1, org="A1X")))
    import_vouchers(write(tmp_path / "v2.csv", voucher(2, org="A1X")))
    client = key_client(make_key("A", ["push"])[1])
    assert [d["version"] for d in client.get("/api/v1/datasets/?org=A1X").json()["results"]] == [2, 1]
    assert [d["version"] for d in client.get("/api/v1/datasets/?org=A1X&latest=true").json()["results"]] == [2]


@pytest.mark.django_db
def test_knowledge_search_returns_what_the_caller_may_read(make_key, tree, personas):
    for org, title, author in (("P", "购物卡发放操作指引", "prov_director"), ("B", "乙市购物卡指引", "b_auditor")):
        guide = Guide.objects.create(owner_org=tree[org], title=title, body="禁止发放购物卡。", author=personas[author])
        signals.content_changed.send(sender=Guide, instance=guide, deleted=False)  # what the services send: indexed
    titles = lambda client: {h["title"] for h in client.get("/api/v1/knowledge/search/?q=购物卡").json()["results"]}  # noqa: E731
    assert titles(key_client(make_key("A1", ["read_knowledge"])[1])) == {"购物卡发放操作指引"}
    assert titles(key_client(make_key("B1", ["read_knowledge"])[1])) == {"购物卡发放操作指引", "乙市购物卡指引"}
    response = key_client(make_key("A1", ["read_knowledge"])[1]).get("/api/v1/knowledge/search/?q=%20")
    assert response.status_code == 400 and response.json()["detail"].startswith("参数 q：")
    response = key_client(make_key("A1", ["read_knowledge"])[1]).get("/api/v1/knowledge/search/?q=购物卡&limit=201")
    assert response.status_code == 400
