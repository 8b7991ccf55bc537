"""Each unit's current risk is its line in the latest completed run that covered it."""

from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.screening.models import CurrentRisk
from jingshen.screening.services import run_screening
from tests.ledger.conftest import write
from tests.screening.conftest import entry


def test_the_latest_run_covering_a_unit_is_its_current_risk(tree, tmp_path):
    rows = entry(1, "2025-01-05", "50102", "102", "8000.00", summary="购买购物卡发放职工") + entry(
        1, "2025-01-06", "50102", "102", "100.00", org="B1X")
    import_vouchers(write(tmp_path / "books.csv", rows), create_accounts=True)
    first = run_screening(year=2025, rule_codes=["JS-CARD-001"])
    risks = {r.org.code: r for r in CurrentRisk.objects.select_related("org")}
    assert set(risks) == {"A1X", "B1X"}  # both covered; B1X without a flag has score 0
    assert risks["A1X"].run == first and risks["A1X"].flags >= 1 and risks["A1X"].score > 0
    assert (risks["B1X"].score, risks["B1X"].flags) == (0, 0)
    ranked = next(row for row in first.ranking if row["org_code"] == "A1X")
    assert risks["A1X"].score == ranked["score"] and risks["A1X"].high == ranked["high"]


    # a later run over B1's subtree only: B1X's current risk is the new run, A1X keeps the first
    second = run_screening(year=2025, rule_codes=["JS-CARD-001"], org=tree["B1"])
    risks = {r.org.code: r.run_id for r in CurrentRisk.objects.select_related("org")}
    assert risks == {"A1X": first.pk, "B1X": second.pk}


def test_an_upgraded_installation_gets_the_current_risk_of_its_runs(tree, tmp_path):
    import importlib

    from django.apps import apps

    rows = entry(1, "2025-01-05", "50102", "102", "8000.00", summary="购买购物卡发放职工") + entry(
        1, "2025-01-06", "50102", "102", "100.00", org="B1X")
    import_vouchers(write(tmp_path / "books.csv", rows), create_accounts=True)
    first = run_screening(year=2025, rule_codes=["JS-CARD-001"])
    second = run_screening(year=2025, rule_codes=["JS-CARD-001"], org=tree["B1"])
    kept = set(CurrentRisk.objects.values_list("org_id", "run_id", "score", "flags", "high"))
    CurrentRisk.objects.all().delete()  # as before the migration that added the table
    importlib.import_module("jingshen.screening.migrations.0011_current_risk_from_existing_runs").backfill(apps, None)
    assert set(CurrentRisk.objects.values_list("org_id", "run_id", "score", "flags", "high")) == kept
    assert {run for _, run, *_ in kept} == {first.pk, second.pk}
