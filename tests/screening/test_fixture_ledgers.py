"""The fixture ledgers of the ranking benchmark (bench/ledgers.py): reproducible, importable by the
real importers, labels that point to real vouchers, and a clean ledger the pack leaves alone."""

import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from jingshen.ledger import store
from jingshen.ledger.charts import import_chart
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset, DatasetKind
from jingshen.orgs.models import Org
from jingshen.orgs.services import import_orgs
from jingshen.screening.services import run_screening

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import ledgers  # noqa: E402

FOREIGN_UNITS = 6


def clean_units():
    """A handful of the demo's grassroots units, small to large."""
    from jingshen.demo.ledger import grassroots_units

    units = sorted(grassroots_units(), key=lambda u: (u[1], u[0]))
    return [units[i] for i in (0, 30, 60, 90, 120, len(units) - 1)]


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def imported_vouchers() -> set[tuple]:
    paths = [str(store.parquet_path(d, "vouchers")) for d in Dataset.objects.filter(kind=DatasetKind.VOUCHERS)]
    rows = duckdb.sql(f"SELECT org, fiscal_year, period, voucher_type, voucher_no FROM read_parquet({paths!r}, hive_partitioning = false)").fetchall()
    return set(rows)


def test_clean_ledger_is_the_same_bytes_from_the_same_seed(tmp_path):
    a = ledgers.clean_ledger(tmp_path / "a", seed=7, units=clean_units()[:3])
    b = ledgers.clean_ledger(tmp_path / "b", seed=7, units=clean_units()[:3])
    c = ledgers.clean_ledger(tmp_path / "c", seed=8, units=clean_units()[:3])
    assert files(a.folder) == files(b.folder)
    assert files(a.folder)["vouchers.csv"] != files(c.folder)["vouchers.csv"]
    assert a.labels == {} and a.voucher_count > 300


def test_foreign_ledger_is_the_same_bytes_from_the_same_seed(tmp_path):
    a = ledgers.foreign_ledger(tmp_path / "a", seed=7, units=FOREIGN_UNITS)
    b = ledgers.foreign_ledger(tmp_path / "b", seed=7, units=FOREIGN_UNITS)
    c = ledgers.foreign_ledger(tmp_path / "c", seed=8, units=FOREIGN_UNITS)
    assert files(a.folder) == files(b.folder)
    assert files(a.folder)["vouchers.csv"] != files(c.folder)["vouchers.csv"]
    assert a.labels == b.labels and set(a.labels.values()) <= set(ledgers.FOREIGN_KINDS)


def test_foreign_ledger_has_its_own_shape(tmp_path):
    fx = ledgers.foreign_ledger(tmp_path, seed=7, units=FOREIGN_UNITS)
    text = fx.vouchers[0].read_bytes().decode("gb18030")
    header = text.splitlines()[0].split(",")
    assert header == ledgers.FOREIGN_HEADER
    assert not (set(header) & {"单位编码", "借方金额", "贷方金额", "凭证字", "附件数"})  # not the standard template
    chart = fx.charts[fx.units[0]].read_text(encoding="utf-8-sig")
    assert "科目角色" not in chart and "\n5030" in chart
    assert 0.005 < len(fx.labels) / fx.voucher_count < 0.05


@pytest.mark.django_db
def test_clean_ledger_imports_without_a_format_error(tmp_path):
    fx = ledgers.clean_ledger(tmp_path, seed=2025, units=clean_units())
    import_orgs(fx.orgs)
    report = import_vouchers(fx.vouchers[0])  # strict: any format error raises TableError
    assert report.rows == fx.line_count and report.rejected == 0
    vouchers = imported_vouchers()
    assert len(vouchers) == fx.voucher_count


@pytest.mark.django_db
def test_foreign_ledger_imports_and_its_labels_point_to_vouchers(tmp_path):
    fx = ledgers.foreign_ledger(tmp_path, seed=2025, units=FOREIGN_UNITS)
    import_orgs(fx.orgs)
    for code, path in fx.charts.items():
        import_chart(path, org=Org.objects.get(code=code))
    report = import_vouchers(fx.vouchers[0])
    assert report.rows == fx.line_count and report.rejected == 0
    vouchers = imported_vouchers()
    assert len(vouchers) == fx.voucher_count
    assert fx.labels and set(fx.labels) <= vouchers


@pytest.mark.django_db
def test_the_pack_flags_at_most_one_percent_of_a_clean_ledger(tmp_path):
    """Target of issue 13: on a ledger with no injected problem, flagged vouchers <= 1 %."""
    fx = ledgers.clean_ledger(tmp_path, seed=2025, units=clean_units())
    import_orgs(fx.orgs)
    import_vouchers(fx.vouchers[0])
    run = run_screening(year=2025)
    flagged = defaultdict(set)
    examples = {}
    for f in run.flags.filter(voucher_no__isnull=False).select_related("org"):
        key = (f.org.code, f.period, f.voucher_type, f.voucher_no)
        flagged[f.rule].add(key)
        examples.setdefault(f.rule, f.message)
    keys = set().union(*flagged.values()) if flagged else set()
    by_rule = sorted(((len(v), rule) for rule, v in flagged.items()), reverse=True)
    detail = "; ".join(f"{rule} {n}: {examples[rule]}" for n, rule in by_rule)
    assert len(keys) <= 0.01 * fx.voucher_count, (
        f"{len(keys)} of {fx.voucher_count} clean vouchers flagged ({100 * len(keys) / fx.voucher_count:.1f} %): {detail}"
    )
