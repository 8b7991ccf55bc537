import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """The fields of a hash-chained entry (who/where/before/after, seq, hashes) and the chain
    head. ``seq`` stays nullable until 0003 has chained the existing entries."""

    dependencies = [
        ("activity", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="activitylog",
            options={"ordering": ["-seq"], "verbose_name": "操作日志", "verbose_name_plural": "操作日志"},
        ),
        migrations.AlterField(
            model_name="activitylog",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="时间"),
        ),
        migrations.AddField(
            model_name="activitylog",
            name="seq",
            field=models.BigIntegerField(null=True, verbose_name="序号"),
        ),
        migrations.AddField(
            model_name="activitylog",
            name="before",
            field=models.JSONField(blank=True, null=True, verbose_name="修改前"),
        ),
        migrations.AddField(
            model_name="activitylog",
            name="after",
            field=models.JSONField(blank=True, null=True, verbose_name="修改后"),
        ),
        migrations.AddField(
            model_name="activitylog",
            name="address",
            field=models.CharField(blank=True, max_length=45, verbose_name="来源地址"),
        ),
        migrations.AddField(
            model_name="activitylog",
            name="source",
            field=models.CharField(
                choices=[("web", "网页"), ("api", "接口"), ("cli", "命令行"), ("task", "后台任务"), ("system", "系统")],
                default="system", max_length=8, verbose_name="来源",
            ),
        ),
        migrations.AddField(
            model_name="activitylog",
            name="prev_hash",
            field=models.CharField(default="", max_length=64, verbose_name="上一条哈希"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="activitylog",
            name="hash",
            field=models.CharField(default="", max_length=64, verbose_name="哈希"),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.BigIntegerField(default=0, verbose_name="最后序号")),
                ("hash", models.CharField(default="0" * 64, max_length=64, verbose_name="最后哈希")),
            ],
            options={"verbose_name": "操作日志链头", "verbose_name_plural": "操作日志链头"},
        ),
    ]
