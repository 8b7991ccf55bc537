"""Risk scores: noisy-OR per voucher, top-10 mean plus unit-level rules per unit."""

import pytest

from jingshen.screening.scoring import noisy_or, unit_ranking
from jingshen.screening.services import run_screening
from tests.ledger.conftest import write
from tests.screening.conftest import entry


def test_noisy_or():
    assert noisy_or([]) == 0
    assert noisy_or([0.5, 0.5]) == pytest.approx(0.75)
    assert noisy_or([0.9]) == pytest.approx(0.9)
    assert noisy_or([0.9, 0.2]) > noisy_or([0.9])


def test_units_rank_by_the_combined_score(tree, tmp_path):
    from jingshen.ledger.importers.vouchers import import_vouchers

    rows = []
    # A1X: one voucher flagged twice (cards 0.9 + cash 0.5 -> 95), one weekend voucher (0.2)
    rows += entry(1, "2025-01-20", "50104", "101", "1800.00", "发放购物卡")
    rows += entry(2, "2025-06-07", "50102", "102", "300.00", "周末比赛")
    # B1X: a single weekend voucher
    rows += entry(1, "2025-06-07", "50102", "102", "300.00", "周末比赛", org="B1X")
    import_vouchers(write(tmp_path / "v.csv", rows))
    run = run_screening(year=2025)
    ranking = unit_ranking(run)
    assert [u.org.code for u in ranking] == ["A1X", "B1X"]
    a, b = ranking
    assert a.top_vouchers[0][0] == 95.0
    assert a.score == pytest.approx(round(100 * (0.95 + 0.2) / 10, 1))
    assert b.score == pytest.approx(2.0)
    assert a.vouchers == 2 and a.flags == 3 and a.high == 1
    assert all(0 <= u.score <= 100 for u in ranking)
    # the ranking stored on the run (accumulated rule by rule while the run went on) is the one
    # recomputed from its stored flags
    stored = [(r["org_code"], r["score"], r["flags"], r["high"], r["vouchers"], r["amount"]) for r in run.ranking]
    assert stored == [(u.org.code, u.score, u.flags, u.high, u.vouchers, str(u.amount)) for u in ranking]


def test_a_family_of_overlapping_rules_counts_once():
    from jingshen.screening.scoring import combined

    weights = {"JS-HOSP-001": 0.8, "JS-HOSP-002": 0.8, "JS-CASH-001": 0.5}
    families = {"JS-HOSP-001": "吃喝招待", "JS-HOSP-002": "吃喝招待", "JS-CASH-001": ""}
    assert combined(["JS-HOSP-001", "JS-HOSP-002"], weights, families) == pytest.approx(0.8)
    assert combined(["JS-HOSP-001", "JS-HOSP-002", "JS-CASH-001"], weights, families) == pytest.approx(0.9)
    assert combined(["JS-HOSP-001", "JS-HOSP-002"], weights, {}) == pytest.approx(0.96)  # runs before families


def test_a_banquet_with_liquor_is_one_piece_of_evidence(tree, tmp_path):
    from jingshen.ledger.importers.vouchers import import_vouchers

    rows = entry(1, "2025-03-12", "50102", "102", "3000.00", "招待宴请，含茅台酒 2 瓶", "西湖大酒店")
    import_vouchers(write(tmp_path / "v.csv", rows))
    run = run_screening(year=2025, rule_codes=["JS-HOSP-001", "JS-HOSP-002"])
    assert set(run.flags.values_list("rule", flat=True)) == {"JS-HOSP-001", "JS-HOSP-002"}
    (unit,) = unit_ranking(run)
    assert unit.top_vouchers[0][0] == 80.0  # not 96: both rules saw the same banquet
    assert {e["code"]: e["family"] for e in run.rules} == {"JS-HOSP-001": "吃喝招待", "JS-HOSP-002": "吃喝招待"}
