"""Custom rules written on the page: refused when unsafe, tried on one dataset, saved, and
run for the author's unit and the units below it."""

from decimal import Decimal

import pytest

from jingshen.accounts.models import RoleCode
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset
from jingshen.screening import custom, services
from jingshen.screening.models import CustomRule
from jingshen.screening.services import run_screening
from tests.conftest import make_user
from tests.ledger.conftest import write
from tests.screening.conftest import entry

GOOD = ("SELECT l.org, l.fiscal_year, l.period, l.voucher_type, l.voucher_no, l.line_no, l.amount, l.summary "
        "FROM lines l JOIN accounts a ON a.org = l.org AND a.code = l.account_code "
        "WHERE a.category = 'expense' AND l.debit > 0 AND l.summary LIKE '%咨询%'")


@pytest.mark.parametrize("sql,message", [
    ("SELECT * FROM read_csv('/etc/passwd')", "不能使用函数 read_csv"),
    ("SELECT read_text('/etc/passwd') AS x, * FROM lines", "不能使用函数"),
    ("SELECT * FROM 'secret.parquet'", "名称「secret.parquet」含有路径字符"),
    ("COPY lines TO '/tmp/x.csv'", "只允许 SELECT 查询"),
    ("SELECT 1; DROP TABLE lines", "只能写一条 SELECT 查询"),
    ("SELECT * FROM django_session", "不能查询表「django_session」"),
    ("SELECT * FROM lines WHERE dayofweek(date) = 0", "请不要用星期函数"),
    ("SELECT FROM WHERE", "SQL 语法错误"),
    ("", "请填写规则的 SQL"),
])
def test_unsafe_or_broken_sql_is_refused(sql, message):
    with pytest.raises(ValueError, match=message):
        custom.check_sql(sql)


def test_a_query_with_its_own_ctes_is_allowed():
    sql = "WITH big AS (SELECT * FROM lines WHERE abs_amount > 1000) SELECT b.* FROM big b JOIN calendar c ON c.date = b.date"
    assert custom.check_sql(sql) == sql


# A keyword rule the fast way: the pattern is matched once per distinct 摘要 and payee (texts).
BY_TEXTS = ("WITH hits AS (SELECT summary, counterparty FROM texts WHERE regexp_matches(summary, '咨询')) "
            "SELECT l.org, l.fiscal_year, l.period, l.voucher_type, l.voucher_no, l.line_no, l.amount, h.summary "
            "FROM lines l JOIN hits h ON h.summary = l.summary AND h.counterparty = l.counterparty WHERE l.debit > 0")


@pytest.fixture
def data(tree, tmp_path):
    rows = entry(1, "2025-05-06", "50305", "102", "6000.00", "支付管理咨询费", "某咨询公司")
    rows += entry(1, "2025-05-06", "50305", "102", "6000.00", "支付管理咨询费", "某咨询公司", org="B1X")
    import_vouchers(write(tmp_path / "v.csv", rows))
    return Dataset.objects.get(org__code="A1X")


def test_dry_run_checks_the_columns_and_previews_the_explanation(data):
    result = custom.dry_run(GOOD, data, "可疑咨询费：{summary}，{amount} 元")
    assert result["missing"] == [] and len(result["rows"]) == 1
    assert result["preview"] == "可疑咨询费：支付管理咨询费，6,000.00 元"
    assert custom.dry_run(BY_TEXTS, data)["rows"] == result["rows"]  # the derived table is built for the dry run too
    assert custom.dry_run(GOOD + " -- 咨询费", data)["rows"] == result["rows"]  # a trailing comment stays inside the wrapper
    result = custom.dry_run("SELECT org, amount FROM lines", data)
    assert "fiscal_year" in result["missing"]
    with pytest.raises(ValueError, match="试运行出错"):
        custom.dry_run("SELECT org, nosuchcolumn FROM lines", data)


def test_saved_rule_runs_for_the_authors_subtree_only(data, personas, client_for):
    lead = make_user("A", "a_director2", RoleCode.DIRECTOR)
    saved = services.save_custom_rule(lead, None, name="管理咨询费", category="财务", level="line", severity="中", weight="0.6",
                        description="", explanation="咨询费：{summary}", basis="", sql=GOOD, enabled=True)
    assert saved.code == "CU-A-001"
    run = run_screening(year=2025, org=personas["a_auditor"].org)
    flags = run.flags.filter(rule="CU-A-001")
    assert [f.org.code for f in flags] == ["A1X"] and flags[0].message == "咨询费：支付管理咨询费"
    page = client_for("a_auditor").get(f"/screening/runs/{run.pk}/").content.decode()
    assert '<option value="CU-A-001">CU-A-001 管理咨询费</option>' in page  # the flag filter names the custom rule
    run_b = run_screening(year=2025, org=personas["b_auditor"].org)
    assert not run_b.flags.filter(rule="CU-A-001").exists()
    with pytest.raises(Exception):
        services.save_custom_rule(personas["a_auditor"], None, name="x", category="财务", level="line", severity="中", weight="0.5",
                    description="", explanation="x", basis="", sql=GOOD, enabled=True)


def test_pages(data, client_for, personas):
    lead = make_user("A", "a_director3", RoleCode.DIRECTOR)
    from django.test import Client

    client = Client()
    client.force_login(lead)
    form = {"name": "管理咨询费", "category": "财务", "level": "line", "severity": "中", "weight": "0.6", "description": "",
            "explanation": "咨询费：{summary}", "basis": "", "sql": GOOD, "enabled": "on", "dataset": str(data.pk)}
    html = client.post("/screening/custom/new/", {**form, "action": "try"}).content.decode()
    assert "试运行结果" in html and "咨询费：支付管理咨询费" in html
    bad = client.post("/screening/custom/new/", {**form, "sql": "SELECT * FROM read_csv('/etc/passwd')", "action": "try"})
    assert "不能使用函数 read_csv" in bad.content.decode()
    response = client.post("/screening/custom/new/", {**form, "action": "save"})
    rule = CustomRule.objects.get()
    assert response["Location"] == f"/screening/custom/{rule.pk}/"
    assert "CU-A-001" in client_for("a_auditor").get("/screening/custom/").content.decode()
    assert client_for("b_auditor").get(f"/screening/custom/{rule.pk}/").status_code == 404
    assert client_for("a_auditor").get("/screening/custom/new/").status_code == 404  # an auditor reads, a lead writes


def test_a_custom_rule_may_read_the_voucher_facts_and_the_payments(data):
    """vouchers (written at import) and payments (built for the dry run) are open to custom
    rules, like the pack's rules; the internal per-dataset texts are not."""
    by_vouchers = ("SELECT org, fiscal_year, period, voucher_type, voucher_no, NULL::INTEGER AS line_no, debit AS amount, "
                   "summary FROM vouchers WHERE debit >= 5000")
    by_payments = ("SELECT org, fiscal_year, period, voucher_type, voucher_no, NULL::INTEGER AS line_no, amount, counterparty "
                   "FROM payments WHERE NOT receives AND counterparty LIKE '%咨询%'")
    assert custom.dry_run(by_vouchers, data)["rows"] == [("A1X", 2025, 5, "记", 1, None, Decimal("6000.00"), "支付管理咨询费")]
    assert custom.dry_run(by_payments, data)["rows"] == [("A1X", 2025, 5, "记", 1, None, Decimal("6000.00"), "某咨询公司")]
    with pytest.raises(ValueError, match="不能查询表「dataset_texts」"):
        custom.check_sql("SELECT * FROM dataset_texts")


def test_a_custom_rules_cte_may_bear_the_name_of_an_engine_table(data, personas):
    """text_lines is the keyword rules' table, which the engine builds only for them: a custom
    rule naming its own CTE so runs as any other."""
    lead = make_user("A", "a_director4", RoleCode.DIRECTOR)
    sql = ("WITH text_lines AS (SELECT * FROM lines WHERE summary LIKE '%咨询%' AND debit > 0) "
           "SELECT org, fiscal_year, period, voucher_type, voucher_no, line_no, amount, summary FROM text_lines")
    services.save_custom_rule(lead, None, name="咨询费", category="财务", level="line", severity="中", weight="0.5",
                description="", explanation="咨询费：{summary}", basis="", sql=sql, enabled=True)
    for codes in (["CU-A-001"], ["CU-A-001", "JS-CARD-001"]):  # alone, and with a keyword rule of the pack
        run = run_screening(year=2025, org=personas["a_auditor"].org, rule_codes=codes)
        assert run.status == run.Status.DONE
        assert [f.message for f in run.flags.filter(rule="CU-A-001")] == ["咨询费：支付管理咨询费"]
