"""Issue 13, items 1 and 2 and its bad inputs: rules that cannot apply to a unit's data say so,
and a condition that holds for most of a unit's vouchers is one finding, not hundreds of flags."""

import json

from jingshen.cli import main
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.screening.models import Flag
from jingshen.screening.services import run_screening
from tests.ledger.conftest import write, write_csv
from tests.screening.conftest import entry

CHART_HEADER = ["科目编码", "科目名称", "科目类别", "余额方向", "上级科目编码"]


def year_of_vouchers(n, org="A1X", **fields):
    """``n`` ordinary vouchers of one unit spread over the year (two lines each)."""
    rows = []
    for i in range(n):
        month = i % 12 + 1
        rows += entry(i // 12 + 1, f"2025-{month:02d}-{i // 12 % 20 + 3:02d}", "50102", "102", f"{300 + 17 * i}.00",
                      f"职工活动费{i}", "杭州健动体育用品商店", org=org, **fields)
    return rows


def screened(tmp_path, rows, codes, name="books.csv"):
    import_vouchers(write(tmp_path / name, rows), create_accounts=True)
    return run_screening(year=2025, rule_codes=codes)


def test_a_dataset_where_every_reviewer_is_empty(tree, tmp_path):
    rows = year_of_vouchers(40, reviewer="") + year_of_vouchers(40, org="B1X")
    rows += entry(5, "2025-03-20", "50102", "102", "880.00", "购买奖品", "某超市", org="B1X", preparer="王强", reviewer="王强")
    run = screened(tmp_path, rows, ["JS-SELF-001"])
    assert run.not_applicable == {"JS-SELF-001": {"A1X": "数据中“审核人”一栏全部为空"}}
    # not applicable is not risk: no flag for A1X, although none of its vouchers shows a reviewer
    assert not Flag.objects.filter(run=run, org__code="A1X").exists()
    assert list(Flag.objects.filter(run=run).values_list("org__code", "voucher_no")) == [("B1X", 5)]


def test_a_dataset_where_every_attachment_count_is_empty(tree, tmp_path):
    run = screened(tmp_path, year_of_vouchers(30, attach=""), ["JS-ATT-001", "JS-SELF-001"])
    assert run.not_applicable == {"JS-ATT-001": {"A1X": "数据中“附件数”一栏全部为空"}}
    assert not Flag.objects.filter(run=run).exists()


def test_a_unit_with_three_vouchers_has_too_small_a_sample_for_statistics(tree, tmp_path):
    rows = year_of_vouchers(3)
    run = screened(tmp_path, rows, ["JS-BEN-001", "JS-BEN-002", "JS-OUT-001", "JS-OUT-002", "JS-PREP-001"])
    reasons = {code: by_org["A1X"] for code, by_org in run.not_applicable.items()}
    assert set(reasons) == {"JS-BEN-001", "JS-BEN-002", "JS-OUT-001", "JS-OUT-002", "JS-PREP-001"}
    assert reasons["JS-BEN-001"] == "样本不足：不少于 10 元的借方金额仅 3 笔，至少需要 1,000 笔，统计检验不作判断"
    assert reasons["JS-OUT-001"] == "样本不足：支出科目的借方分录仅 3 笔，至少需要 20 笔，统计检验不作判断"
    assert all(r.startswith("样本不足") for r in reasons.values())
    assert not Flag.objects.filter(run=run).exists()


def test_a_unit_whose_chart_lacks_the_roles_a_rule_needs(tree, tmp_path):
    """B1X keeps its books on a chart of its own with no cash account: the cash rules do not
    apply to it; A1X on the union chart is screened as usual."""
    chart = [["1002", "银行存款", "资产", "借", ""], ["6601", "杂项费用", "支出", "借", ""], ["4001", "会费收入", "收入", "贷", ""]]
    assert main(["import", "accounts", str(write_csv(tmp_path / "chart.csv", chart, header=CHART_HEADER)),
                 "--org", "B1X", "--standalone"]) == 0
    rows = entry(1, "2025-03-03", "50104", "101", "3000.00", "发放慰问金", org="A1X")
    rows += entry(1, "2025-03-03", "6601", "1002", "3000.00", "发放慰问金", org="B1X")
    run = screened(tmp_path, rows, ["JS-CASH-001", "JS-SITSPEND-001"])
    assert run.not_applicable["JS-CASH-001"] == {"B1X": "科目表中没有“库存现金”科目（或未设定科目角色）"}
    assert set(run.not_applicable["JS-SITSPEND-001"]) == {"B1X"}
    assert list(Flag.objects.filter(run=run, rule="JS-CASH-001").values_list("org__code", flat=True)) == ["A1X"]


def test_a_rule_that_applies_to_no_unit_does_not_run(tree, tmp_path, monkeypatch):
    from jingshen.screening import engine

    ran = []
    real = engine.DuckDBEngine.run_one
    monkeypatch.setattr(engine.DuckDBEngine, "run_one", lambda self, rule, values=None: ran.append(rule.code) or real(self, rule, values))
    run = screened(tmp_path, year_of_vouchers(12, attach=""), ["JS-ATT-001", "JS-BAL-001"])
    assert ran == ["JS-BAL-001"]
    assert set(run.not_applicable) == {"JS-ATT-001"}


def test_a_condition_on_most_vouchers_is_one_systemic_finding(tree, tmp_path):
    """A1X: 40 vouchers, 36 with the preparer as reviewer (a reviewer column that is not empty):
    one unit-level finding with counts, share, amount and examples; its hits are listed in its
    details and are neither flags nor voucher scores. B1X's two self-reviewed vouchers of 40
    stay flags."""
    rows = year_of_vouchers(36, preparer="张伟", reviewer="张伟") + [
        r for i in range(4) for r in entry(40 + i, f"2025-06-{10 + i}", "50102", "102", "500.00", "活动费", org="A1X")
    ]
    rows += year_of_vouchers(38, org="B1X") + [
        r for i in range(2) for r in entry(60 + i, f"2025-07-{10 + i}", "50102", "102", "600.00", "活动费", org="B1X",
                                           preparer="王强", reviewer="王强")
    ]
    run = screened(tmp_path, rows, ["JS-SELF-001"])
    a = list(Flag.objects.filter(run=run, org__code="A1X"))
    assert len(a) == 1
    finding = a[0]
    assert finding.voucher_no is None and finding.period is None and finding.voucher_score is None
    assert finding.message.startswith("本年 40 张凭证中 36 张（90%）制单人与审核人为同一人或无审核人")
    assert "不相容岗位未分离" in finding.message
    assert finding.details["systemic"] and finding.details["vouchers"] == 40 and finding.details["hits"] == 36
    assert len(finding.details["flags"]) == 36
    assert finding.amount == sum(300 + 17 * i for i in range(36))
    b = Flag.objects.filter(run=run, org__code="B1X")
    assert sorted(b.values_list("voucher_no", flat=True)) == [60, 61]
    assert all(f.voucher_score is not None for f in b)
    # the finding counts for the unit (an internal-control weakness), its hits not as vouchers
    ranking = {u["org_code"]: u for u in run.ranking}
    assert ranking["A1X"]["vouchers"] == 0 and ranking["A1X"]["score"] > 0
    assert ranking["B1X"]["vouchers"] == 2

    # a unit may set the share higher: then the vouchers are flags again
    share = run_screening(year=2025, rule_codes=["JS-SELF-001"], params={"JS-SELF-001": {"systemic_share": 0.95}})
    assert Flag.objects.filter(run=share, org__code="A1X").count() == 36


def test_the_json_output_says_what_did_not_apply(tree, tmp_path, capsys):
    rows = year_of_vouchers(20, reviewer="") + entry(30, "2025-05-06", "50102", "101", "2500.00", "发放奖品", reviewer="")
    import_vouchers(write(tmp_path / "b.csv", rows), create_accounts=True)
    out = tmp_path / "flags.jsonl"
    assert main(["screen", "--year", "2025", "--rules", "JS-SELF-001,JS-CASH-001", "--output", str(out)]) == 0
    assert "有 1 条规则对部分单位不适用" in capsys.readouterr().out
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    flags, summary = records[:-1], records[-1]
    assert summary["record"] == "run" and summary["rules"] == ["JS-SELF-001", "JS-CASH-001"]
    assert summary["not_applicable"] == [{"rule": "JS-SELF-001", "org": "A1X", "reason": "数据中“审核人”一栏全部为空"}]
    assert [f["rule"] for f in flags] == ["JS-CASH-001"]
    assert flags[0]["record"] == "flag" and flags[0]["voucher_score"] > 0 and flags[0]["systemic"] is False
    assert summary["ranking"][0]["org_code"] == "A1X"


def test_the_run_names_the_unconfirmed_roles_its_rules_relied_on(tree, tmp_path, client_for):
    """B1X's own chart, imported without 科目角色: the cash and bank roles are only suggested by the
    names. The run records them, and the run page shows them as a reason for doubt."""
    from jingshen.screening.models import ScreeningRun

    chart = [["1001", "库存现金", "资产", "借", ""], ["1002", "银行存款", "资产", "借", ""], ["6601", "杂项费用", "支出", "借", ""]]
    assert main(["import", "accounts", str(write_csv(tmp_path / "chart.csv", chart, header=CHART_HEADER)),
                 "--org", "B1X", "--standalone"]) == 0
    rows = entry(1, "2025-03-03", "6601", "1001", "3000.00", "发放慰问金", org="B1X")
    run = screened(tmp_path, rows, ["JS-CASH-001"])
    assert run.unconfirmed_roles == {"B1X": [["1001", "库存现金", "cash"], ["1002", "银行存款", "bank"]]}
    page = client_for("prov_director").get(f"/screening/runs/{ScreeningRun.objects.get().pk}/").content.decode()
    assert "科目角色未确认：1 个单位" in page and "1001</span> 库存现金 → 库存现金" in page
