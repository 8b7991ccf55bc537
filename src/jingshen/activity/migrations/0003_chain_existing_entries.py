from django.db import migrations

from jingshen.activity import chain

GENESIS = "0" * 64


def chain_existing(apps, schema_editor):
    """Number the entries written before the chain existed in id order, hash them in that
    order, and create the chain head after the last one."""
    ActivityLog = apps.get_model("activity", "ActivityLog")
    ChainHead = apps.get_model("activity", "ChainHead")
    prev, seq = GENESIS, 0
    for entry in ActivityLog.objects.order_by("id").iterator(chunk_size=2000):
        seq += 1
        entry.seq, entry.prev_hash = seq, prev
        entry.hash = chain.entry_hash({f: getattr(entry, f) for f in chain.FIELDS})
        entry.save(update_fields=["seq", "prev_hash", "hash"])
        prev = entry.hash
    ChainHead.objects.update_or_create(pk=1, defaults={"seq": seq, "hash": prev})


class Migration(migrations.Migration):
    dependencies = [
        ("activity", "0002_chain_fields"),
    ]

    operations = [
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
    ]
