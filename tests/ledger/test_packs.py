"""Voucher datasets packed per import (ledger/store.py): a file of many units makes one pack with
one dataset per unit-year; re-imports make new versions of the changed units only; 查账 and
screening read each dataset's own rows; migration ledger.0005 packs datasets stored the old way."""

import importlib
import shutil

import duckdb
import pytest

from jingshen.ledger import books, store
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset
from jingshen.screening.engine import DuckDBEngine
from jingshen.screening.services import latest_voucher_datasets, run_screening
from tests.ledger.conftest import voucher, write

FILES = ("data", "vouchers", "texts", "summary", "quality")


def rows_of(dataset, name="data", columns="*"):
    return duckdb.sql(f"SELECT {columns} FROM {store.scan(dataset, name)} ORDER BY ALL").fetchall()


def three_units(month="01", amount="1200.00"):
    """Vouchers of A1X, A2 and B1X in one file, the units interleaved."""
    rows = []
    for no in range(1, 4):
        for org in ("B1X", "A1X", "A2"):
            rows += voucher(no, date=f"2025-{month}-{no + 4:02d}", amount=amount, org=org)
    return rows


def test_a_file_of_many_units_makes_one_pack_with_a_dataset_per_unit(tree, tmp_path):
    report = import_vouchers(write(tmp_path / "三个单位.csv", three_units()))
    created = sorted(report.created, key=lambda d: d.org.code)
    assert [(d.org.code, d.version, d.rows) for d in created] == [("A1X", 1, 6), ("A2", 1, 6), ("B1X", 1, 6)]
    assert len({d.path for d in created}) == 1 and store.is_packed(created[0])
    pack = store.dataset_dir(created[0])
    assert sorted(p.name for p in pack.iterdir()) == sorted(f"{n}.parquet" for n in FILES)
    for name in FILES:  # every file is sorted by year and unit, so one unit's rows are contiguous
        orgs = [o for (o,) in duckdb.sql(f"SELECT org FROM read_parquet('{pack / name}.parquet', hive_partitioning = false)").fetchall()]
        assert orgs == sorted(orgs) and (name == "quality" or set(orgs) == {"A1X", "A2", "B1X"})
    for d in created:
        assert {o for (o,) in rows_of(d, "data", "DISTINCT org")} == {d.org.code}
        assert rows_of(d, "data", "voucher_no, line_no, source_row")[0][:2] == (1, 1)
        assert rows_of(d, "summary", "account_code, period, debit::VARCHAR") == [("102", 1, "0.00"), ("50102", 1, "3600.00")]
        assert len(rows_of(d, "vouchers")) == 3
    # 查账 reads each unit's own rows
    b1x = next(d for d in created if d.org.code == "B1X")
    sheet = books.balances(b1x)
    assert sheet.debit == sheet.credit == 3600
    assert books.voucher(b1x, 1, "记", 2).debit == 1200


def test_the_activity_log_has_an_entry_per_dataset(tree, tmp_path):
    from jingshen.activity.models import ActivityLog
    from jingshen.activity.services import verify_chain

    import_vouchers(write(tmp_path / "三个单位.csv", three_units()))
    logged = ActivityLog.objects.filter(action="ledger.import").order_by("seq")
    assert [e.org.code for e in logged] == ["A1X", "A2", "B1X"]
    assert [e.object_id for e in logged] == [str(d.pk) for d in Dataset.objects.order_by("org__code")]
    assert verify_chain().intact


def test_a_reimport_makes_new_versions_of_the_changed_units_only(tree, tmp_path):
    import_vouchers(write(tmp_path / "v1.csv", three_units()))
    first = Dataset.objects.get(org__code="A1X").path
    again = import_vouchers(write(tmp_path / "v1-again.csv", three_units()))
    assert not again.created and len(again.unchanged) == 3
    assert len(list((store.root() / "kind=vouchers").iterdir())) == 1  # no pack for nothing new
    rows = three_units()
    rows[0:2] = voucher(1, date="2025-01-05", amount="999.00", org="B1X")  # B1X's first voucher changed
    changed = import_vouchers(write(tmp_path / "v2.csv", rows))
    assert [(d.org.code, d.version) for d in changed.created] == [("B1X", 2)] and len(changed.unchanged) == 2
    b2 = changed.created[0]
    assert b2.path != first
    assert duckdb.sql(f"SELECT DISTINCT org FROM read_parquet('{store.parquet_path(b2)}', hive_partitioning = false)").fetchall() == [("B1X",)]
    b1 = Dataset.objects.get(org__code="B1X", version=1)
    assert b1.path == first and rows_of(b1, "data", "sum(debit)::VARCHAR") == [("3600.00",)]  # the old version stays as it was
    assert rows_of(b2, "data", "sum(debit)::VARCHAR") == [("3399.00",)]


def test_superseded_versions_inside_a_pack_are_not_screened(tree, tmp_path):
    """B1X's version 1 stays in the first pack beside A1X's and A2's: a run over the latest
    datasets reads that pack filtered to A1X and A2, and B1X's version 2 from its own pack."""
    import_vouchers(write(tmp_path / "v1.csv", three_units()))
    import_vouchers(write(tmp_path / "v2.csv", voucher(1, date="2025-01-05", amount="999.00", org="B1X")))
    latest = latest_voucher_datasets(2025)
    engine = DuckDBEngine(latest)
    try:
        got = engine.query("SELECT org, count(*), sum(debit)::VARCHAR FROM lines GROUP BY 1 ORDER BY 1").fetchall()
        assert got == [("A1X", 6, "3600.00"), ("A2", 6, "3600.00"), ("B1X", 2, "999.00")]
        assert engine.query("SELECT org, count(*) FROM vouchers GROUP BY 1 ORDER BY 1").fetchall() == [("A1X", 3), ("A2", 3), ("B1X", 1)]
        allowed = engine.con.execute("SELECT current_setting('allowed_paths')").fetchall()[0][0]
        assert len(allowed) == 6  # both packs' data, vouchers and texts: they hold the run's units only
    finally:
        engine.close()
    run = run_screening(year=2025, rule_codes=["JS-ROUND-001"])
    assert {f.dataset_id for f in run.flags.all()} <= {d.pk for d in latest}
    assert run.lines_screened == 14


def test_a_pack_holding_units_outside_the_run_is_copied_not_opened(tree, tmp_path):
    import_vouchers(write(tmp_path / "v1.csv", three_units()))
    a1x = Dataset.objects.get(org__code="A1X")
    engine = DuckDBEngine([a1x])
    try:
        assert engine.con.execute("SELECT current_setting('allowed_paths')").fetchall() == [([],)]
        assert engine.query("SELECT DISTINCT org FROM lines UNION SELECT DISTINCT org FROM vouchers").fetchall() == [("A1X",)]
    finally:
        engine.close()


def old_layout(dataset) -> None:
    """Store ``dataset`` the way imports did before packs: a folder of its own, without the unit
    and year in summary.parquet and quality.parquet, and without the screening files (as before
    ledger.0004)."""
    rel = f"kind=vouchers/year={dataset.fiscal_year}/org={dataset.org.code}/version={dataset.version}"
    folder = store.root() / rel
    folder.mkdir(parents=True)
    duckdb.sql(f"COPY (SELECT * FROM {store.scan(dataset)} ORDER BY source_row) TO '{folder / 'data.parquet'}' (FORMAT parquet)")
    duckdb.sql(f"COPY (SELECT * EXCLUDE (org, fiscal_year) FROM {store.scan(dataset, 'summary')}) TO '{folder / 'summary.parquet'}' (FORMAT parquet)")
    duckdb.sql(f"COPY (SELECT * EXCLUDE (org, fiscal_year) FROM {store.scan(dataset, 'quality')}) TO '{folder / 'quality.parquet'}' (FORMAT parquet)")
    Dataset.objects.filter(pk=dataset.pk).update(path=rel)


def test_the_migration_packs_datasets_stored_the_old_way(tree, tmp_path, django_capture_on_commit_callbacks):
    from django.apps import apps

    rows = three_units()
    rows[0:2] = voucher(1, date="2025-01-05", amount="120.00", org="B1X")
    rows += voucher(9, date="2025-03-31", amount="5.00", org="A2")[:1]  # unbalanced: a quality issue of A2
    import_vouchers(write(tmp_path / "v1.csv", rows))
    import_vouchers(write(tmp_path / "v2.csv", voucher(1, date="2025-01-05", amount="999.00", org="B1X")))
    datasets = list(Dataset.objects.select_related("org").order_by("org__code", "version"))
    before = {d.pk: {name: rows_of(d, name) for name in FILES} for d in datasets}
    checksums = {d.pk: d.checksum for d in datasets}
    assert before[Dataset.objects.get(org__code="A2").pk]["quality"]
    packs = {d.path for d in datasets}
    for d in datasets:
        old_layout(d)
    for pack in packs:
        shutil.rmtree(store.root() / pack)

    migration = importlib.import_module("jingshen.ledger.migrations.0005_voucher_packs")
    with django_capture_on_commit_callbacks(execute=True):
        migration.pack_datasets(apps, None)
    after = list(Dataset.objects.select_related("org").order_by("org__code", "version"))
    assert all(store.is_packed(d) for d in after)
    by_version = {v: {d.path for d in after if d.version == v} for v in (1, 2)}
    assert len(by_version[1]) == 1 and len(by_version[2]) == 1 and by_version[1] != by_version[2]  # a pack per version
    for d in after:
        assert {name: rows_of(d, name) for name in FILES} == before[d.pk]
        assert d.checksum == checksums[d.pk]
    assert not (store.root() / "kind=vouchers" / "year=2025").exists()  # the old folders are gone
    # what reads datasets works on the migrated ones: screening, 查账, and a re-import is recognised
    run = run_screening(year=2025, rule_codes=["JS-ROUND-001"])
    assert run.lines_screened == 6 + 7 + 2
    assert books.balances(Dataset.objects.get(org__code="A1X")).debit == 3600
    again = import_vouchers(write(tmp_path / "v2-again.csv", voucher(1, date="2025-01-05", amount="999.00", org="B1X")))
    assert not again.created and [d.version for d in again.unchanged] == [2]


def test_a_file_of_many_units_holds_the_same_datasets_as_a_file_per_unit(tree, tmp_path):
    """40 units imported one file each, then all in one file: every unit-year is recognised as
    unchanged (the same checksum), so the pack holds exactly what the separate files did."""
    from jingshen.orgs.models import Org
    from jingshen.orgs.services import rebuild_paths

    parent = Org.objects.get(code="A1")
    Org.objects.bulk_create([Org(code=f"Z{i:03d}", name=f"测试{i}单位工会", parent=parent, level="基层", kind="基层工会")
                             for i in range(40)])
    rebuild_paths()
    per_unit = {f"Z{i:03d}": voucher(1, org=f"Z{i:03d}", amount=f"{i + 1}.00") + voucher(2, org=f"Z{i:03d}") for i in range(40)}
    for code, rows in per_unit.items():
        assert len(import_vouchers(write(tmp_path / f"{code}.csv", rows)).created) == 1
    together = import_vouchers(write(tmp_path / "all.csv", [r for rows in per_unit.values() for r in rows]))
    assert not together.created and len(together.unchanged) == 40
    for d in together.unchanged:
        assert rows_of(d, "data", "count(*), sum(debit)") == [(4, 1200 + int(d.org.code[1:]) + 1)]
