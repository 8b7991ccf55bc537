"""record(): what an entry holds (who, when, address, source, before/after), secrets kept out,
and the hash chain it appends to."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory, override_settings

from jingshen.activity import chain
from jingshen.activity.context import from_task, origin
from jingshen.activity.middleware import ActivityOriginMiddleware, client_address
from jingshen.activity.models import GENESIS, ActivityLog, ChainHead, Source
from jingshen.activity.services import REDACTED, record, record_download, verify_chain


def fields(entry: ActivityLog) -> dict:
    return {f: getattr(entry, f) for f in chain.FIELDS}


def test_entry_holds_who_what_where_and_before_after(personas, tree):
    user = personas["prov_admin"]
    with origin(Source.WEB, "10.1.2.3"):
        entry = record("orgs.rename", "更名", actor=user, org=tree["A"], obj=tree["A"],
                       before={"name": "甲市总工会", "members": Decimal("12.50")}, after={"name": "甲市总工会（新）"},
                       reason="机构改革", when=datetime.date(2026, 1, 2))
    entry = ActivityLog.objects.get(pk=entry.pk)
    assert (entry.actor, entry.org, entry.action, entry.summary) == (user, tree["A"], "orgs.rename", "更名")
    assert (entry.object_type, entry.object_id) == ("orgs.org", str(tree["A"].pk))
    assert entry.before == {"name": "甲市总工会", "members": "12.50"}  # Decimal kept exactly, as text
    assert entry.after == {"name": "甲市总工会（新）"}
    assert entry.details == {"reason": "机构改革", "when": "2026-01-02"}
    assert (entry.address, entry.source) == ("10.1.2.3", Source.WEB)
    assert entry.at is not None and entry.hash == chain.entry_hash(fields(entry))


def test_record_stays_backward_compatible(tree):
    entry = record("orgs.import", "导入单位", org=tree["P"], created=8)
    assert entry.details == {"created": 8} and entry.before is None and entry.after is None
    assert entry.source == Source.SYSTEM and entry.address == "" and entry.actor is None


def test_secrets_never_reach_the_log(personas):
    entry = record("accounts.create_user", "创建用户", actor=personas["prov_admin"], password="Audit2026pass",
                   api_token="abc", nested={"ok": 1, "Secret_Key": "k", "list": [{"用户密码": "x"}]},
                   before={"password_hash": "argon2$..."}, after={"username": "u", "passwd": "p"})
    stored = ActivityLog.objects.get(pk=entry.pk)
    assert stored.details == {"password": REDACTED, "api_token": REDACTED,
                              "nested": {"ok": 1, "Secret_Key": REDACTED, "list": [{"用户密码": REDACTED}]}}
    assert stored.before == {"password_hash": REDACTED} and stored.after == {"username": "u", "passwd": REDACTED}
    text = str(stored.details) + str(stored.before) + str(stored.after)
    assert "Audit2026pass" not in text and "abc" not in text and "argon2" not in text


def test_entries_form_a_chain(tree):
    first = record("a", "一", org=tree["P"])
    second = record("b", "二")
    assert second.seq == first.seq + 1 and second.prev_hash == first.hash
    assert ActivityLog.objects.get(seq=1).prev_hash == GENESIS
    head = ChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (second.seq, second.hash)
    assert verify_chain().intact


def test_rolled_back_entry_leaves_no_gap(tree):
    record("a", "一")
    with pytest.raises(RuntimeError), transaction.atomic():
        record("b", "回滚的")
        raise RuntimeError
    third = record("c", "三")
    assert list(ActivityLog.objects.filter(action__in="abc").order_by("seq").values_list("summary", flat=True)) == ["一", "三"]
    assert third.seq == ActivityLog.objects.get(summary="一").seq + 1
    assert verify_chain().intact


def test_hash_covers_every_field(personas, tree):
    entry = record("a", "一", actor=personas["prov_admin"], org=tree["A"], before={"x": 1}, after={"x": 2}, k="v")
    base = fields(entry)
    changed = {"seq": 99, "at": base["at"] + datetime.timedelta(microseconds=1), "actor_id": None, "org_id": tree["B"].pk,
               "action": "b", "summary": "二", "object_type": "x", "object_id": "1", "details": {"k": "w"},
               "before": {"x": 0}, "after": None, "address": "1.1.1.1", "source": Source.API, "prev_hash": "1" * 64}
    assert set(changed) == set(chain.FIELDS)
    for name, value in changed.items():
        assert chain.entry_hash({**base, name: value}) != entry.hash, name


def test_middleware_marks_web_and_api_with_the_client_address():
    seen = []
    middleware = ActivityOriginMiddleware(lambda request: seen.append(__import__("jingshen.activity.context",
                                                                                fromlist=["current"]).current()))
    factory = RequestFactory()
    middleware(factory.get("/books/", REMOTE_ADDR="192.0.2.7"))
    middleware(factory.get("/api/v1/orgs/", REMOTE_ADDR="2001:db8::1"))
    assert [(o.source, o.address) for o in seen] == [(Source.WEB, "192.0.2.7"), (Source.API, "2001:db8::1")]
    from jingshen.activity.context import current

    assert current().source == Source.SYSTEM  # reset after the request


def test_forwarded_for_is_believed_only_from_a_trusted_proxy():
    factory = RequestFactory()
    forged = factory.get("/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="10.0.0.1")
    assert client_address(forged) == "198.51.100.9"  # no proxy trusted: the header is anyone's
    with override_settings(TRUSTED_PROXIES=["127.0.0.1"]):
        assert client_address(forged) == "198.51.100.9"  # not sent by the proxy
        proxied = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5")
        assert client_address(proxied) == "203.0.113.5"  # the right-most hop the proxy saw, not the forged one
        junk = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="<script>, 'or 1=1")
        assert client_address(junk) == "127.0.0.1"


def test_web_request_records_address_and_source(client_for, tmp_path):
    client = client_for("a_auditor")
    from tests.ledger.conftest import voucher, write

    from django.core.files.uploadedfile import SimpleUploadedFile

    path = write(tmp_path / "凭证.csv", voucher(1))
    client.post("/collect/", {"kind": "vouchers", "org": "", "fiscal_year": "",
                              "file": SimpleUploadedFile(path.name, path.read_bytes())}, REMOTE_ADDR="192.0.2.44")
    upload = ActivityLog.objects.get(action="ledger.upload")
    assert (upload.source, upload.address, upload.actor.username) == (Source.WEB, "192.0.2.44", "a_auditor")
    # the import itself ran as the background task the upload queued (inline in tests)
    assert ActivityLog.objects.get(action="ledger.import").source == Source.TASK


def test_commands_and_tasks_mark_their_source(tree, tmp_path):
    from io import StringIO

    from tests.conftest import TREE, write_csv

    before = ActivityLog.objects.filter(action="orgs.import").get()
    assert before.source == Source.SYSTEM  # the fixture called the service directly
    new = [*TREE, ["A3", "甲市三区总工会", "A", "县", "工会机关", ""]]
    call_command("import_orgs", str(write_csv(tmp_path / "u.csv", new)), stdout=StringIO())
    assert ActivityLog.objects.filter(action="orgs.import").latest("seq").source == Source.CLI

    @from_task
    def job():
        return record("x.task", "后台")

    assert job().source == Source.TASK


def test_download_helper(personas, tree):
    entry = record_download("序时账", "甲市-序时账.xlsx", actor=personas["a_auditor"], org=tree["A"], rows=12)
    assert entry.action == "download" and entry.summary == "下载序时账「甲市-序时账.xlsx」"
    assert entry.details == {"filename": "甲市-序时账.xlsx", "rows": 12}
