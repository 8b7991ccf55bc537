"""Pack the voucher datasets stored before packs existed (one folder per dataset version,
``kind=vouchers/year=…/org=…/version=…``) into the pack layout of ledger/store.py.

The datasets of one fiscal year and one version number go into one pack (so a pack never holds
two versions of a unit-year): data.parquet is the datasets' lines as they were, in unit order;
vouchers.parquet, texts.parquet and summary.parquet are computed from it as the importer
computes them; quality.parquet is the old files' rows with the unit and year added. Nothing a
dataset holds changes, nor its checksum. Each pack is built in a staging folder, renamed into
place and its rows repointed in the migration's transaction; the old folders are removed once
it has committed. A crash before the commit leaves the old folders in use (and a pack no row
names, which the next import removes); a crash after it leaves old folders no row names."""

import shutil
from itertools import groupby
from pathlib import Path

from django.db import migrations, transaction


def pack_datasets(apps, schema_editor):
    from jingshen.ledger import store
    from jingshen.ledger.importers.common import connect
    from jingshen.ledger.importers.vouchers import SCREENING_FILES, SUMMARY_SQL, write_screening_file

    Dataset = apps.get_model("ledger", "Dataset")
    unpacked = [
        d for d in Dataset.objects.filter(kind="vouchers").select_related("org").order_by("fiscal_year", "version", "org__code")
        if store.PACK not in d.path and (store.root() / d.path / "data.parquet").exists()
    ]
    retired = []
    for _key, group in groupby(unpacked, key=lambda d: (d.fiscal_year, d.version)):
        datasets = list(group)
        with store.staging() as staged:
            pack = staged / "pack"
            pack.mkdir()
            con = connect(staged)
            data = [str(store.root() / d.path / "data.parquet") for d in datasets]
            con.execute(f"COPY (SELECT * FROM read_parquet([{', '.join(map(store.sql_literal, data))}], hive_partitioning = false)) "
                        f"TO {store.sql_literal(str(pack / 'data.parquet'))} (FORMAT parquet, COMPRESSION lz4)").fetchall()
            for name in SCREENING_FILES:
                write_screening_file(con, name, pack / "data.parquet", pack / f"{name}.parquet")
            lines = f"read_parquet({store.sql_literal(str(pack / 'data.parquet'))}, hive_partitioning = false)"
            con.execute(f"COPY ({SUMMARY_SQL.format(lines=lines)}) TO {store.sql_literal(str(pack / 'summary.parquet'))} "
                        "(FORMAT parquet)").fetchall()
            quality = [(str(store.root() / d.path / "quality.parquet"), d.org.code, d.fiscal_year) for d in datasets]
            quality = [q for q in quality if Path(q[0]).exists()]
            con.execute("CREATE TABLE owners (file VARCHAR, org VARCHAR, fiscal_year INTEGER)").fetchall()
            if quality:
                con.executemany("INSERT INTO owners VALUES (?, ?, ?)", quality)
            files = ", ".join(store.sql_literal(q[0]) for q in quality)
            rows = (f"SELECT o.org, o.fiscal_year, q.issue, q.period, q.voucher_type, q.voucher_no, q.source_row, q.message "
                    f"FROM read_parquet([{files}], hive_partitioning = false) q JOIN owners o ON o.file = q.filename"
                    if quality else
                    "SELECT NULL::VARCHAR AS org, NULL::INTEGER AS fiscal_year, NULL::VARCHAR AS issue, NULL::INTEGER AS period, "
                    "NULL::VARCHAR AS voucher_type, NULL::INTEGER AS voucher_no, NULL::BIGINT AS source_row, "
                    "NULL::VARCHAR AS message WHERE false")
            con.execute(f"COPY ({rows} ORDER BY ALL) TO {store.sql_literal(str(pack / 'quality.parquet'))} (FORMAT parquet)").fetchall()
            con.close()
            rel = store.pack_path("vouchers")
            store.publish(pack, rel, registered=False)
        Dataset.objects.filter(pk__in=[d.pk for d in datasets]).update(path=rel)
        retired += [store.root() / d.path for d in datasets]

    def remove_old_folders():
        for folder in retired:
            shutil.rmtree(folder, ignore_errors=True)
            for parent in (folder.parent, folder.parent.parent):  # org=… and year=…, once empty
                try:
                    parent.rmdir()
                except OSError:
                    break

    transaction.on_commit(remove_old_folders)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_screening_files")]

    operations = [migrations.RunPython(pack_datasets, migrations.RunPython.noop)]
