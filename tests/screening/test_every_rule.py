"""The fixture the engines are compared on (tests/screening/every_rule.py) makes every rule of the
pack raise at least one flag: a rule without one would be compared on nothing."""

import pytest

from jingshen.screening.rules import load_rules
from tests.screening.every_rule import load_every_rule_books
from tests.screening.test_spark import demo_fixture


@pytest.mark.django_db
def test_every_rule_of_the_pack_flags_something_on_the_fixture(tmp_path):
    from jingshen.screening.services import run_screening

    county = demo_fixture(tmp_path)
    load_every_rule_books(tmp_path)
    run = run_screening(year=2025, org=county, engine="duckdb")
    hit = set(run.flags.values_list("rule", flat=True))
    assert sorted(set(load_rules()) - hit) == []
