"""Give every voucher dataset imported before vouchers.parquet existed its voucher facts file
(screening reads it as the ``vouchers`` table). Written beside data.parquet under a temporary
name and renamed, so an interrupted migration leaves no half-written file; datasets that
already have it are skipped, so the migration can simply run again."""

import os

import duckdb
from django.db import migrations


def add_voucher_facts(apps, schema_editor):
    from jingshen.ledger import store
    from jingshen.ledger.importers.vouchers import write_voucher_facts

    Dataset = apps.get_model("ledger", "Dataset")
    con = None
    for dataset in Dataset.objects.filter(kind="vouchers").iterator():
        folder = store.dataset_dir(dataset)
        if (folder / "vouchers.parquet").exists() or not (folder / "data.parquet").exists():
            continue
        con = con or duckdb.connect()
        write_voucher_facts(con, folder / "data.parquet", folder / "vouchers.parquet.tmp")
        os.replace(folder / "vouchers.parquet.tmp", folder / "vouchers.parquet")
    if con is not None:
        con.close()


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_columnmapping_importjob_mapping_and_more")]

    operations = [migrations.RunPython(add_voucher_facts, migrations.RunPython.noop)]
