"""Gave every voucher dataset imported before the screening files existed its vouchers.parquet
and texts.parquet. Superseded by ledger.0005, which builds every screening file of the packs it
makes from the datasets' data.parquet: this migration now does nothing and stays for the
migration graph."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_columnmapping_importjob_mapping_and_more")]

    operations = []
