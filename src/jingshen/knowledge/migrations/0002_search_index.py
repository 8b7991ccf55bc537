"""The search index (issue 16 item 5): the SearchEntry table, and the full-text structure of the
database in use — on SQLite an FTS5 table over the segmented title and body (external content,
kept in step with SearchEntry by triggers, so every ORM write updates it); on PostgreSQL a
generated tsvector column (title weight A, body weight D, the 'simple' configuration: the text is
segmented by jieba before it reaches the database) with a GIN index."""

import django.db.models.deletion
from django.db import migrations, models

FTS = "knowledge_search_fts"
ENTRY = "knowledge_searchentry"

SQLITE_FORWARD = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(title_tokens, tokens, content='{ENTRY}', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON {ENTRY} BEGIN "
    f"INSERT INTO {FTS}(rowid, title_tokens, tokens) VALUES (new.id, new.title_tokens, new.tokens); END",
    f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON {ENTRY} BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, title_tokens, tokens) VALUES ('delete', old.id, old.title_tokens, old.tokens); END",
    f"CREATE TRIGGER {FTS}_au AFTER UPDATE ON {ENTRY} BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, title_tokens, tokens) VALUES ('delete', old.id, old.title_tokens, old.tokens); "
    f"INSERT INTO {FTS}(rowid, title_tokens, tokens) VALUES (new.id, new.title_tokens, new.tokens); END",
]
SQLITE_BACKWARD = [f"DROP TRIGGER {FTS}_au", f"DROP TRIGGER {FTS}_ad", f"DROP TRIGGER {FTS}_ai", f"DROP TABLE {FTS}"]

POSTGRES_FORWARD = [
    f"ALTER TABLE {ENTRY} ADD COLUMN document tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, title_tokens), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, tokens), 'D')) STORED",
    f"CREATE INDEX knowledge_search_document ON {ENTRY} USING gin (document)",
]
POSTGRES_BACKWARD = ["DROP INDEX knowledge_search_document", f"ALTER TABLE {ENTRY} DROP COLUMN document"]


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


def check_fts5(apps, schema_editor):
    """FTS5 must be compiled into SQLite (it is in the builds Python ships); say so if not."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        try:
            cursor.execute("CREATE VIRTUAL TABLE temp.jingshen_fts5_probe USING fts5(x)")
            cursor.execute("DROP TABLE temp.jingshen_fts5_probe")
        except Exception as exc:  # sqlite3.OperationalError: no such module: fts5
            raise RuntimeError("此 SQLite 未编译 FTS5 全文检索模块，知识库检索无法建立索引。"
                               "请使用带 FTS5 的 SQLite 或 PostgreSQL。") from exc


class Migration(migrations.Migration):

    dependencies = [
        ('knowledge', '0001_initial'),
        ('orgs', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('article', '法规条文'), ('case', '案例'), ('guide', '指引笔记'), ('wording', '定性表述')], max_length=16, verbose_name='类别')),
                ('object_id', models.PositiveBigIntegerField(verbose_name='对象编号')),
                ('title', models.CharField(max_length=400, verbose_name='标题')),
                ('text', models.TextField(verbose_name='正文')),
                ('title_tokens', models.TextField(verbose_name='标题分词')),
                ('tokens', models.TextField(verbose_name='正文分词')),
                ('level', models.CharField(blank=True, max_length=16, verbose_name='层级')),
                ('status', models.CharField(blank=True, max_length=16, verbose_name='状态')),
                ('issuer', models.CharField(blank=True, max_length=200, verbose_name='制定机关')),
                ('year', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='年度')),
                ('regulation_id', models.PositiveBigIntegerField(blank=True, null=True, verbose_name='法规编号')),
                ('regulation_name', models.CharField(blank=True, max_length=200, verbose_name='法规名称')),
                ('edition', models.CharField(blank=True, max_length=100, verbose_name='版本')),
                ('article_number', models.PositiveIntegerField(blank=True, null=True, verbose_name='条号')),
                ('org', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='orgs.org', verbose_name='可见范围（发布单位）')),
            ],
            options={
                'verbose_name': '检索索引',
                'verbose_name_plural': '检索索引',
                'indexes': [models.Index(fields=['regulation_id'], name='search_entry_regulation')],
                'constraints': [models.UniqueConstraint(fields=('kind', 'object_id'), name='search_entry_once')],
            },
        ),
        migrations.RunPython(check_fts5, migrations.RunPython.noop),
        migrations.RunPython(_run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
                             _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD})),
    ]
