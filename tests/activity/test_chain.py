"""The hash chain under concurrent writers, and `log verify` against direct database edits:
an altered, deleted or inserted entry and a cut-off tail are each found and named."""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from jingshen.activity import chain
from jingshen.activity.models import ActivityLog, ChainHead
from jingshen.activity.services import record, verify_chain

THREADS, EACH = 6, 15


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_keep_one_unbroken_chain():
    errors = []
    start = threading.Barrier(THREADS)

    def writer(n: int):
        try:
            start.wait()
            for i in range(EACH):
                try:
                    with transaction.atomic():
                        record("test.parallel", f"线程 {n} 第 {i} 条", thread=n, i=i)
                        if i % 5 == 4:
                            raise LookupError  # the caller's transaction fails: its entry must vanish
                except LookupError:
                    pass
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    kept = THREADS * (EACH - EACH // 5)
    seqs = list(ActivityLog.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, kept + 1))  # no gaps from the rolled-back entries, no duplicates
    assert not ActivityLog.objects.filter(details__i__in=[4, 9, 14]).exists()
    head = ChainHead.objects.get()
    assert head.seq == kept and head.hash == ActivityLog.objects.get(seq=kept).hash
    report = verify_chain()
    assert report.intact and report.count == kept, report.problems


def entries(n=5):
    return [record("test.entry", f"第{i}条记录", n=i) for i in range(1, n + 1)]


def verify() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("log_verify", stdout=out)
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.getvalue()


def sql(statement: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.django_db
def test_intact_chain_verifies():
    entries()
    code, text = verify()
    assert code == 0 and "日志完整：共 5 条记录" in text


@pytest.mark.django_db
def test_empty_log_verifies():
    code, text = verify()
    assert code == 0 and "日志完整：共 0 条记录" in text


@pytest.mark.django_db
def test_altered_entry_is_named():
    e = entries()
    sql("UPDATE activity_activitylog SET summary = %s WHERE seq = %s", ["第3条记录（改）", 3])
    code, text = verify()
    assert code == 3
    assert text.startswith("日志不完整：第 3 条") and "第3条记录（改）" in text and "被篡改" in text
    assert "第 4 条" not in text.splitlines()[0]  # the entries after it are not blamed
    # every field counts: the details too, and the time
    sql("UPDATE activity_activitylog SET summary = %s WHERE seq = 3", [e[2].summary])
    assert verify()[0] == 0
    sql("UPDATE activity_activitylog SET details = %s WHERE seq = 2", ['{"n": 20}'])
    assert verify()[1].startswith("日志不完整：第 2 条")


@pytest.mark.django_db
def test_altered_time_is_named():
    entries()
    ActivityLog.objects.filter(seq=4).update(at=ActivityLog.objects.get(seq=1).at)  # as raw SQL would
    code, text = verify()
    assert code == 3 and text.startswith("日志不完整：第 4 条") and "被篡改" in text


@pytest.mark.django_db
def test_deleted_entry_is_named():
    entries()
    sql("DELETE FROM activity_activitylog WHERE seq = 3")
    code, text = verify()
    assert code == 3
    first = text.splitlines()[0]
    assert "第 3 条被删除" in first and "第 2 条" in first and "第 4 条" in first  # between its neighbours


@pytest.mark.django_db
def test_deleted_last_entry_is_caught_by_the_head():
    entries()
    sql("DELETE FROM activity_activitylog WHERE seq >= 4")
    code, text = verify()
    assert code == 3 and "第 4～5 条被删除（末尾记录被截去" in text and "第 3 条" in text
    sql("DELETE FROM activity_activitylog")
    code, text = verify()
    assert code == 3 and "第 1～5 条被删除" in text


@pytest.mark.django_db
def test_deleted_head_is_reported():
    entries()
    sql("DELETE FROM activity_chainhead")
    code, text = verify()
    assert code == 3 and "链头记录缺失" in text


def _forge(after: ActivityLog, seq: int, prev_hash: str, summary="伪造的记录", consistent=True) -> None:
    values = {f: getattr(after, f) for f in chain.FIELDS} | {"seq": seq, "summary": summary, "prev_hash": prev_hash}
    forged_hash = chain.entry_hash(values) if consistent else "f" * 64
    sql("INSERT INTO activity_activitylog (seq, at, action, summary, object_type, object_id, details, before, after, "
        "address, source, prev_hash, hash) VALUES (%s, %s, %s, %s, '', '', %s, NULL, NULL, '', 'system', %s, %s)",
        [seq, after.at, after.action, summary, '{"n": 3}', prev_hash, forged_hash])


@pytest.mark.django_db
def test_entry_inserted_after_the_head_is_named():
    e = entries()
    _forge(e[-1], 6, e[-1].hash)  # correctly chained, but the head was not moved
    code, text = verify()
    assert code == 3 and text.startswith("日志不完整：第 6 条") and "伪造的记录" in text and "被插入" in text


@pytest.mark.django_db
def test_entry_inserted_in_the_middle_is_named():
    e = entries()
    sql("DELETE FROM activity_activitylog WHERE seq = 3")
    _forge(e[2], 3, "a" * 64)  # a self-consistent entry put in the place of the third
    code, text = verify()
    assert code == 3 and text.startswith("日志不完整：第 3 条") and "伪造的记录" in text and "被插入" in text


@pytest.mark.django_db
def test_replaced_last_entry_is_caught_by_the_head():
    e = entries()
    sql("DELETE FROM activity_activitylog WHERE seq = 5")
    _forge(e[4], 5, e[3].hash)  # chained to the fourth, consistent, but not what the head recorded
    code, text = verify()
    assert code == 3 and "第 5 条" in text and "链头" in text


@pytest.mark.django_db
def test_verify_lists_later_problems_too():
    entries()
    sql("UPDATE activity_activitylog SET summary = 'x' WHERE seq IN (2, 4)")
    code, text = verify()
    assert code == 3 and text.startswith("日志不完整：第 2 条") and "另发现 1 处问题" in text and "第 4 条" in text


@pytest.mark.django_db
def test_appending_after_a_deleted_head_continues_the_chain():
    e = entries()
    ChainHead.objects.all().delete()
    new = record("test.entry", "新的记录")
    assert new.seq == 6 and new.prev_hash == e[-1].hash
    assert verify()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_verify_while_others_append_reports_no_false_alarm():
    """Entries appended while `log verify` reads are neither insertions nor a cut-off tail."""
    for i in range(300):
        record("test.before", f"已有记录{i}")
    stop, errors = threading.Event(), []

    def writer():
        try:
            while not stop.is_set():
                record("test.during", "校验期间写入")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        reports = [verify_chain() for _ in range(5)]
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert all(r.intact for r in reports), [r.problems for r in reports]
    assert ActivityLog.objects.filter(action="test.during").exists()
    assert verify_chain().count == ActivityLog.objects.count()
