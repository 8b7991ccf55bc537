"""The hash chain of the activity log: the canonical form of an entry, its hash, and the check
of the whole chain (``jingshen log verify``).

The canonical form is frozen: changing it makes every existing entry fail verification. It is
UTF-8 JSON with sorted keys and no spaces of exactly these fields::

    seq, at (UTC, ISO 8601 with microseconds), actor (user id or null), org (unit id or null),
    action, summary, object_type, object_id, details, before, after, address, source, prev

and ``hash = sha256(canonical form).hexdigest()``, where ``prev`` is the previous entry's hash
(``GENESIS`` for the first)."""

import datetime
import hashlib
import json
from dataclasses import dataclass

FIELDS = ("seq", "at", "actor_id", "org_id", "action", "summary", "object_type", "object_id", "details", "before",
          "after", "address", "source", "prev_hash")


def _utc(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(values: dict) -> bytes:
    """The canonical form of an entry given as a dict of FIELDS (an ActivityLog row's values)."""
    content = {
        "seq": values["seq"],
        "at": _utc(values["at"]),
        "actor": values["actor_id"],
        "org": values["org_id"],
        "action": values["action"],
        "summary": values["summary"],
        "object_type": values["object_type"],
        "object_id": values["object_id"],
        "details": values["details"],
        "before": values["before"],
        "after": values["after"],
        "address": values["address"],
        "source": values["source"],
        "prev": values["prev_hash"],
    }
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def entry_hash(values: dict) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


# --- verification ------------------------------------------------------------------------------

ALTERED, DELETED, INSERTED, HEAD = "altered", "deleted", "inserted", "head"
KIND_NAMES = {ALTERED: "被篡改", DELETED: "被删除", INSERTED: "被插入", HEAD: "链头不符"}


@dataclass(frozen=True)
class Problem:
    kind: str  # ALTERED, DELETED, INSERTED or HEAD
    seq: int  # the sequence number of the entry concerned (for a deletion: the first missing one)
    message: str  # the Chinese sentence naming it


@dataclass(frozen=True)
class Report:
    count: int  # entries read
    head_seq: int | None
    head_hash: str | None
    problems: list[Problem]

    @property
    def intact(self) -> bool:
        return not self.problems


def _named(values: dict) -> str:
    at = values["at"].astimezone(datetime.timezone(datetime.timedelta(hours=8)))
    summary = values["summary"] if len(values["summary"]) <= 60 else values["summary"][:60] + "…"
    return f"第 {values['seq']} 条（{at:%Y-%m-%d %H:%M:%S}，「{summary}」）"


def verify(rows, head: tuple[int, str] | None, genesis: str, limit: int = 20) -> Report:
    """Check entries given in ascending ``seq`` order (dicts of FIELDS plus ``hash``) against
    each other and the chain head ``(seq, hash)`` (None if the head row is missing).

    - altered: an entry's content no longer gives its stored hash;
    - deleted: a sequence number is missing (in the middle: a gap; at the end: the head names a
      later entry than the last one present);
    - inserted: an entry that is consistent in itself but does not follow the entry before it,
      an entry beyond the head, or a sequence number below 1.
    Up to ``limit`` problems are reported, the first one first."""
    problems: list[Problem] = []
    expected, prev_hash, prev_named, count, last = 1, genesis, None, 0, None
    head_seq = head[0] if head else None

    def add(kind, seq, message):
        if len(problems) < limit:
            problems.append(Problem(kind, seq, message))

    for values in rows:
        count += 1
        seq, named = values["seq"], _named(values)
        intact = entry_hash(values) == values["hash"]
        if seq < 1:
            add(INSERTED, seq, f"{named}被插入：序号从 1 开始。")
        elif head_seq is not None and seq > head_seq:
            add(INSERTED, seq, f"{named}被插入：链头记录的最后一条是第 {head_seq} 条。")
        elif seq > expected:
            missing = f"第 {expected} 条" if seq == expected + 1 else f"第 {expected}～{seq - 1} 条"
            where = f"{prev_named}之后" if prev_named else "开头"
            add(DELETED, expected, f"{missing}被删除（位于{where}、{named}之前）。")
        elif not intact:
            add(ALTERED, seq, f"{named}被篡改：内容与其哈希不符。")
        elif values["prev_hash"] != prev_hash:
            add(INSERTED, seq, f"{named}被插入或替换：它不接续上一条记录。")
        if seq >= 1 and not (head_seq is not None and seq > head_seq):
            expected = seq + 1
        prev_hash, prev_named, last = values["hash"], named, values
    if head is None:
        if count:
            add(HEAD, 0, "链头记录缺失：无法确认最后的记录是否被删除。")
    else:
        last_seq = last["seq"] if last else 0
        if head_seq > last_seq and (expected - 1) < head_seq:
            missing = f"第 {head_seq} 条" if head_seq == expected else f"第 {expected}～{head_seq} 条"
            after = f"，位于{_named(last)}之后" if last else ""
            add(DELETED, expected, f"{missing}被删除（末尾记录被截去{after}）。")
        elif last is not None and head_seq == last_seq and head[1] != last["hash"]:
            add(HEAD, head_seq, f"{_named(last)}与链头记录的哈希不符：该条被替换或链头被改动。")
    return Report(count, head_seq, head[1] if head else None, problems)
