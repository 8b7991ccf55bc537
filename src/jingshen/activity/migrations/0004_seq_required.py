from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("activity", "0003_chain_existing_entries"),
    ]

    operations = [
        migrations.AlterField(
            model_name="activitylog",
            name="seq",
            field=models.BigIntegerField(unique=True, verbose_name="序号"),
        ),
    ]
