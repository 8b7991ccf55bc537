"""PostgreSQL only: a posting table of the search index (word, entry, weight), so a query ranks
by one GROUP BY over an index instead of decompressing and ranking every matching row's tsvector
(docs/benchmarks.md, knowledge search: 工会经费, whose words are in every entry, took 200–270 ms;
the @@ match alone over 10 k rows costs 70 ms here, the posting lookup and sum 35 ms).

``weight`` is ``ts_rank('{0.25, 0.25, 0.25, 1.0}', document, '<word>', 0)``: exactly what the
ranking computed per word before, stored once when the entry is written. Kept in step with
``knowledge_searchentry`` by statement triggers (insert, update, delete, truncate), so every ORM
write and Django's test flush update it; not a Django model (like the FTS5 table on SQLite).
Nothing on SQLite."""

from django.db import migrations

ENTRY = "knowledge_searchentry"
POSTING = "knowledge_search_posting"
# a lexeme as a one-word tsquery: quoted, its quotes doubled and backslashes escaped
WORD_QUERY = "('''' || replace(replace(u.lexeme, '\\', '\\\\'), '''', '''''') || '''')::tsquery"


def postings_from(rows: str) -> str:
    """SELECT the posting rows of the entries in ``rows`` (a table or transition table)."""
    return (f"SELECT r.id, u.lexeme, ts_rank('{{0.25, 0.25, 0.25, 1.0}}', d.document, {WORD_QUERY}, 0) "
            f"FROM {rows} r CROSS JOIN LATERAL (SELECT r.document || ''::tsvector AS document) d "
            f"CROSS JOIN LATERAL unnest(d.document) u")


def delete_of(rows: str) -> str:
    # by the primary key (word, entry): the old rows' own words, no second index on entry
    return (f"DELETE FROM {POSTING} p USING {rows} r CROSS JOIN LATERAL unnest(r.document) u "
            f"WHERE p.word = u.lexeme AND p.entry_id = r.id")


POSTGRES_FORWARD = [
    f"CREATE TABLE {POSTING} (word text NOT NULL, entry_id bigint NOT NULL, weight real NOT NULL, "
    f"PRIMARY KEY (word, entry_id) INCLUDE (weight))",
    f"""CREATE FUNCTION {POSTING}_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        INSERT INTO {POSTING} (entry_id, word, weight) {postings_from('new_rows')}; RETURN NULL; END $$""",
    f"""CREATE FUNCTION {POSTING}_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        {delete_of('old_rows')}; RETURN NULL; END $$""",
    f"""CREATE FUNCTION {POSTING}_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        {delete_of('old_rows')};
        INSERT INTO {POSTING} (entry_id, word, weight) {postings_from('new_rows')}; RETURN NULL; END $$""",
    f"""CREATE FUNCTION {POSTING}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        TRUNCATE {POSTING}; RETURN NULL; END $$""",
    f"CREATE TRIGGER {POSTING}_ai AFTER INSERT ON {ENTRY} REFERENCING NEW TABLE AS new_rows "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {POSTING}_insert()",
    f"CREATE TRIGGER {POSTING}_ad AFTER DELETE ON {ENTRY} REFERENCING OLD TABLE AS old_rows "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {POSTING}_delete()",
    f"CREATE TRIGGER {POSTING}_au AFTER UPDATE ON {ENTRY} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {POSTING}_update()",
    f"CREATE TRIGGER {POSTING}_at AFTER TRUNCATE ON {ENTRY} FOR EACH STATEMENT EXECUTE FUNCTION {POSTING}_truncate()",
    f"INSERT INTO {POSTING} (entry_id, word, weight) {postings_from(ENTRY)}",
    f"ANALYZE {POSTING}",
]
POSTGRES_BACKWARD = [
    *(f"DROP TRIGGER {POSTING}_{t} ON {ENTRY}" for t in ("at", "au", "ad", "ai")),
    *(f"DROP FUNCTION {POSTING}_{f}()" for f in ("truncate", "update", "delete", "insert")),
    f"DROP TABLE {POSTING}",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("knowledge", "0003_rule_citations"),
    ]

    operations = [
        migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD)),
    ]
