"""Give every voucher dataset imported before the screening files existed its vouchers.parquet
and texts.parquet (importers.vouchers.SCREENING_FILES). Each is written beside data.parquet
under a temporary name and renamed, so an interrupted migration leaves no half-written file;
files a dataset already has are left alone, so the migration can simply run again."""

import os

import duckdb
from django.db import migrations


def add_screening_files(apps, schema_editor):
    from jingshen.ledger import store
    from jingshen.ledger.importers.vouchers import SCREENING_FILES, write_screening_file

    Dataset = apps.get_model("ledger", "Dataset")
    con = None
    for dataset in Dataset.objects.filter(kind="vouchers").iterator():
        folder = store.dataset_dir(dataset)
        if not (folder / "data.parquet").exists():
            continue
        for name in SCREENING_FILES:
            target = folder / f"{name}.parquet"
            if target.exists():
                continue
            con = con or duckdb.connect()
            write_screening_file(con, name, folder / "data.parquet", folder / f"{name}.parquet.tmp")
            os.replace(folder / f"{name}.parquet.tmp", target)
    if con is not None:
        con.close()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_columnmapping_importjob_mapping_and_more")]

    operations = [migrations.RunPython(add_screening_files, migrations.RunPython.noop)]
