"""`jingshen log list` and the data migration that chains entries written before the chain."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from jingshen.activity.context import origin
from jingshen.activity.models import ActivityLog, Source
from jingshen.activity.services import record, verify_chain


def log_list(*args) -> str:
    out = StringIO()
    call_command("log_list", *args, stdout=out)
    return out.getvalue()


def test_list_filters_and_json_lines(personas, tree):
    with origin(Source.WEB, "192.0.2.1"):
        record("test.a", "甲市的记录", actor=personas["prov_admin"], org=tree["A"], before={"x": 1}, after={"x": 2})
    record("test.b", "乙市的记录", org=tree["B"])
    old = record("test.c", "很久以前", org=tree["A"])
    ActivityLog.objects.filter(pk=old.pk).update(at=timezone.now() - datetime.timedelta(days=400))
    text = log_list("--org", "A")
    assert "甲市的记录" in text and "很久以前" in text and "乙市的记录" not in text
    assert "prov_admin\tA\t网页\t192.0.2.1\ttest.a" in text
    lines = log_list("--org", "A", "--json", "--since", str(timezone.localdate())).splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["summary"] for r in rows if r["action"].startswith("test.")] == ["甲市的记录"]  # not the old one
    rows = [r for r in rows if r["action"] == "test.a"]
    assert rows[0] | {"at": None, "hash": None, "seq": None} == {
        "seq": None, "at": None, "actor": "prov_admin", "org": "A", "action": "test.a", "summary": "甲市的记录",
        "object_type": "", "object_id": "", "details": {}, "before": {"x": 1}, "after": {"x": 2},
        "address": "192.0.2.1", "source": "web", "hash": None}
    newest_first = log_list().splitlines()
    assert newest_first[0].startswith(f"#{ActivityLog.objects.latest('seq').seq}\t")
    assert log_list("--org", "A2") == "没有符合条件的操作日志。\n"


@pytest.mark.parametrize("bad", ["2026/01/31", "昨天", "2026-13-01", "NaN", "x" * 10000])
def test_bad_since_names_the_expected_form(db, bad):
    with pytest.raises(CommandError, match="应为 YYYY-MM-DD 格式"):
        log_list("--since", bad)


def test_unknown_org_is_refused(db):
    with pytest.raises(CommandError, match="单位「ZZ」不存在"):
        log_list("--org", "ZZ")


@pytest.mark.django_db(transaction=True)
def test_migration_chains_existing_entries_in_id_order():
    executor = MigrationExecutor(connection)
    executor.migrate([("activity", "0001_initial")])
    try:
        old = MigrationExecutor(connection).loader.project_state([("activity", "0001_initial")]).apps
        OldLog = old.get_model("activity", "ActivityLog")
        for n in (1, 2, 3):
            OldLog.objects.create(action="old.entry", summary=f"旧记录{n}", details={"n": n, "金额": "1.50"})
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        connection.close()
    entries = list(ActivityLog.objects.order_by("seq"))
    assert [(e.seq, e.summary, e.source) for e in entries] == [(1, "旧记录1", "system"), (2, "旧记录2", "system"),
                                                              (3, "旧记录3", "system")]
    report = verify_chain()
    assert report.intact and report.count == 3 and report.head_hash == entries[-1].hash
    assert record("new.entry", "新记录").seq == 4 and verify_chain().intact


def test_the_jingshen_binary_runs_the_log_commands(tmp_path):
    from tests.conftest import TREE, write_csv
    from tests.test_cli import run

    home = tmp_path / "home"
    assert run(home, "import", "orgs", str(write_csv(tmp_path / "units.csv", TREE))).returncode == 0
    verified = run(home, "log", "verify")
    assert verified.returncode == 0 and "日志完整：共 1 条记录" in verified.stdout, verified.stderr
    listed = run(home, "log", "list", "--json")
    entry = json.loads(listed.stdout)
    assert entry["action"] == "orgs.import" and entry["source"] == "cli"
    bad = run(home, "log", "list", "--since", "31.01.2026")
    assert bad.returncode == 1 and "错误：日期「31.01.2026」无法识别，应为 YYYY-MM-DD 格式" in bad.stderr
    assert "log verify" in run(home, "--help").stdout
