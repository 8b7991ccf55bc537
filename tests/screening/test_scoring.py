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


def test_rarity_and_materiality_factors():
    from jingshen.screening.scoring import materiality, rarity

    assert rarity(0.01) == rarity(0.02) == 1.0
    assert rarity(0.3) == rarity(0.6) == pytest.approx(0.5)
    assert 0.5 < rarity(0.1) < rarity(0.05) < 1.0
    assert materiality(5000, 100_000) == 1.0  # 5 % of the year's spending
    assert materiality(0, 100_000) == pytest.approx(0.7)
    assert materiality(500, 100_000) == pytest.approx(0.85)  # half the 1 % materiality
    assert materiality(None, 100_000) == pytest.approx(0.85)
    assert materiality(10, 0) == 1.0  # no spending to weigh against


def test_the_top_of_the_ranking_is_rare_material_and_corroborated(tree, tmp_path):
    """In one unit of 200 vouchers: a weekend posting seen on 40 of them weighs less than a
    rare one; a small voucher less than a material one; two independent rules more than one."""
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.screening.scoring import Ranker

    rows = []
    for i in range(200):
        day = "2025-06-07" if i < 40 else f"2025-06-{(i % 5) + 9:02d}"  # a Saturday for the first 40 (20 %)
        rows += entry(i + 1, day, "50102", "102", "1000.00", f"职工活动费{i}")
    rows += entry(300, "2025-07-05", "50104", "101", "20000.00", "发放购物卡", org="B1X")  # material, cards and cash
    rows += entry(301, "2025-07-07", "50104", "102", "200.00", "发放购物卡", org="B1X")  # cards only, small
    for i in range(100):
        rows += entry(i + 1, "2025-08-11", "50102", "102", "1000.00", f"职工活动费{i}", org="B1X")
    rows += entry(302, "2025-08-09", "50102", "102", "1000.00", "周末加班活动", org="B1X")  # a rare Saturday
    import_vouchers(write(tmp_path / "v.csv", rows))
    run = run_screening(year=2025, rule_codes=["JS-TIME-001", "JS-CARD-001", "JS-CASH-001"])
    score = {(f.org.code, f.voucher_no): f.voucher_score for f in run.flags.exclude(voucher_no=None)}
    assert score[("B1X", 300)] > score[("B1X", 301)]  # two rules and a material amount
    assert score[("B1X", 302)] > score[("A1X", 1)]  # the same rule, rare in B1X, common in A1X
    assert score[("B1X", 302)] == pytest.approx(20 * 0.7 + 20 * 0.3 * min(1.0, 1000 / (0.01 * 121200)), abs=0.1)
    assert run.unit_facts[str(tree["B1X"].pk)] == {"vouchers": 103, "spending": 121200.0}
    # the stored voucher scores are the ones scoring computes from the stored flags
    ranker = Ranker(run)
    ranker.add(run.flags.values_list("org_id", "rule", "severity", "score", "period", "voucher_type", "voucher_no", "amount"))
    recomputed = ranker.voucher_scores()
    for f in run.flags.exclude(voucher_no=None):
        assert f.voucher_score == pytest.approx(round(100 * recomputed[(f.org_id, f.period, f.voucher_type, f.voucher_no)], 1))
