"""The audit types every installation starts with (issue 15, item 1); administrators add others."""

from django.db import migrations

BUILTIN = ["预算执行审计", "财务收支审计", "经济责任审计", "专项审计", "工会企业审计"]


def add_types(apps, schema_editor):
    AuditType = apps.get_model("audits", "AuditType")
    for order, name in enumerate(BUILTIN, start=1):
        AuditType.objects.update_or_create(name=name, defaults={"builtin": True, "order": order})


class Migration(migrations.Migration):
    dependencies = [("audits", "0001_initial")]
    operations = [migrations.RunPython(add_types, migrations.RunPython.noop)]
