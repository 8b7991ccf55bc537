"""The one way to write the activity log (操作日志), and the reads the page and commands share.

``record()`` appends one entry to the hash chain (``activity/chain.py``) inside the caller's
transaction:

1. UPDATE the chain head row (pk 1), seq = seq + 1. On PostgreSQL this takes the head row's
   lock until the caller's transaction ends; on SQLite the transaction already holds the
   database's write lock (``transaction_mode: IMMEDIATE``) or takes it here. Any other append
   waits at this statement, so appends are strictly one after the other.
2. Read the head back: the new sequence number and the previous entry's hash.
3. INSERT the entry with its hash, and UPDATE the head's hash.

Rolling back the caller's transaction rolls back the entry and the head together: no gap.
Keep ``record()`` the last write of a service where possible, so the head lock is held briefly.
"""

import json
import re

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from jingshen.activity import chain, context
from jingshen.activity.models import GENESIS, ActivityLog, ChainHead

HEAD_PK = 1
REDACTED = "（已隐去）"
# detail keys that may hold a secret: their values never reach the log
SECRET_KEY = re.compile(r"passw|passphrase|pwd|secret|token|api[-_]?key|credential|private[-_]?key|cookie|"
                        r"口令|密码|密钥|令牌", re.IGNORECASE)


def _is_secret(key) -> bool:
    return bool(SECRET_KEY.search(str(key)))


def _scrub(value):
    """JSON-ready copy of ``value`` (Decimal, dates → strings) with secret-looking keys'
    values replaced by （已隐去）, at any depth."""
    value = json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))
    return _redact(value)


def _redact(value):
    if isinstance(value, dict):
        return {k: (REDACTED if _is_secret(k) else _redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _advance_head(count: int = 1) -> ChainHead:
    """Lock the head by updating it (step 1), creating it if missing, and return it: ``count``
    sequence numbers are taken, the last of which is the head's ``seq`` now."""
    if not ChainHead.objects.filter(pk=HEAD_PK).update(seq=F("seq") + count):
        # no head row: a fresh database (the migration creates it; a test flush removes it), or a
        # deleted one (`log verify` reports that until this append): continue after the last entry
        last = ActivityLog.objects.order_by("-seq").values_list("seq", "hash").first() or (0, GENESIS)
        try:
            with transaction.atomic():
                ChainHead.objects.create(pk=HEAD_PK, seq=last[0], hash=last[1])
        except IntegrityError:
            pass  # another writer created it meanwhile; its lock is ours to wait for below
        ChainHead.objects.filter(pk=HEAD_PK).update(seq=F("seq") + count)
    return ChainHead.objects.get(pk=HEAD_PK)


def record(action: str, summary: str, *, actor=None, org=None, obj: models.Model | None = None, before=None,
           after=None, **details) -> ActivityLog:
    """Append one entry. ``summary`` is the Chinese sentence shown to users; ``before`` and
    ``after`` are the changed values (JSON-ready: dicts, lists, strings, numbers; Decimal and
    dates become strings); ``details`` anything else worth keeping. Keys that look like secrets
    (password, secret, token, 密码 …) are kept with their value replaced by （已隐去）. Who,
    when, from which address and from where (网页, 接口, 命令行, 后台任务) are filled in here."""
    return record_many([dict(action=action, summary=summary, actor=actor, org=org, obj=obj, before=before, after=after,
                             **details)])[0]


def record_many(entries: list[dict]) -> list[ActivityLog]:
    """Append several entries, each given as ``record()``'s arguments, in one step: the head is
    advanced once and the entries inserted together (an import of 3,000 unit-years logs each
    of them without 3,000 round trips to the head)."""
    if not entries:
        return []
    origin = context.current()
    with transaction.atomic():
        head = _advance_head(len(entries))
        prev, at, made = head.hash, timezone.now(), []
        for seq, fields in enumerate(entries, start=head.seq - len(entries) + 1):
            fields = dict(fields)
            action, summary, actor, org = (fields.pop(k, None) for k in ("action", "summary", "actor", "org"))
            obj, before, after = (fields.pop(k, None) for k in ("obj", "before", "after"))
            entry = ActivityLog(
                seq=seq,
                at=at,
                action=action[:64],
                summary=summary[:500],
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                org=org,
                object_type=obj._meta.label_lower if obj is not None else "",
                object_id=str(obj.pk) if obj is not None else "",
                details=_scrub(fields),
                before=_scrub(before),
                after=_scrub(after),
                address=origin.address[:45],
                source=origin.source,
                prev_hash=prev,
            )
            entry.hash = prev = chain.entry_hash({f: getattr(entry, f) for f in chain.FIELDS})
            made.append(entry)
        ActivityLog.objects.bulk_create(made)
        ChainHead.objects.filter(pk=HEAD_PK).update(hash=prev)
    return made


def record_download(what: str, filename: str, *, actor=None, org=None, obj: models.Model | None = None,
                    **details) -> ActivityLog:
    """Record a file download or export: ``what`` says what was taken (e.g. 序时账, 疑点清单),
    ``filename`` the file's name; filters or row counts go in ``details``."""
    return record("download", f"下载{what}「{filename}」", actor=actor, org=org, obj=obj, filename=filename, **details)


# --- reading ------------------------------------------------------------------------------------


def verify_chain(rounds: int = 10) -> chain.Report:
    """Check the whole log (``jingshen log verify``), reading it in sequence order in chunks.

    The head is read after the entries. An entry and the head move in one transaction, so every
    entry the head names is visible once the head is; if the head names entries appended while
    the log was read, those are read next, until the head names nothing unseen (at most
    ``rounds`` times, then up to the last head read). An entry read that the head read after it
    does not name was not appended through ``record()``: it was inserted."""
    verifier = chain.Verifier(GENESIS)
    columns = (*chain.FIELDS, "hash")
    entries = ActivityLog.objects.order_by("seq").values(*columns)
    last, head = 0, None
    for _ in range(rounds):
        for values in entries.filter(seq__gt=last).iterator(chunk_size=2000):
            verifier.feed(values)
            last = values["seq"]
        head = ChainHead.objects.filter(pk=HEAD_PK).values_list("seq", "hash").first()
        if head is None or head[0] <= last:
            break
    else:
        for values in entries.filter(seq__gt=last, seq__lte=head[0]).iterator(chunk_size=2000):
            verifier.feed(values)
            last = values["seq"]
    beyond = entries.filter(seq__gt=head[0]).first() if head is not None and last > head[0] else None
    return verifier.finish(head, beyond)


def as_dict(entry: ActivityLog) -> dict:
    """One entry for JSON output (`jingshen log list --json`)."""
    return {
        "seq": entry.seq,
        "at": timezone.localtime(entry.at).isoformat(),
        "actor": entry.actor.username if entry.actor_id else None,
        "org": entry.org.code if entry.org_id else None,
        "action": entry.action,
        "summary": entry.summary,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "details": entry.details,
        "before": entry.before,
        "after": entry.after,
        "address": entry.address,
        "source": entry.source,
        "hash": entry.hash,
    }
