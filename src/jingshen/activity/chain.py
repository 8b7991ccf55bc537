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


class Verifier:
    """Checks entries fed in ascending ``seq`` order (dicts of FIELDS plus ``hash``) against each
    other, then against the chain head in ``finish``:

    - altered: an entry's content no longer gives its stored hash;
    - deleted: a sequence number is missing (in the middle: a gap; at the end: the head names a
      later entry than the last one present);
    - inserted: an entry that is consistent in itself but does not follow the entry before it,
      an entry beyond the head, or a sequence number below 1;
    - head: the head row is missing, or its hash is not the last entry's.

    The head is given only at the end, read *after* the entries, so that entries appended while
    the log was being read are not taken for insertions (the caller reads on until the head
    names no entry it has not seen). Up to ``limit`` problems are kept, lowest ``seq`` first."""

    def __init__(self, genesis: str, limit: int = 20):
        self.limit, self.problems = limit, []
        self.expected, self.prev_hash, self.prev_named, self.count, self.last = 1, genesis, None, 0, None

    def _add(self, kind, seq, message):
        self.problems.append(Problem(kind, seq, message))

    def feed(self, values: dict) -> None:
        self.count += 1
        seq, named = values["seq"], _named(values)
        if seq < 1:
            self._add(INSERTED, seq, f"{named}被插入：序号从 1 开始。")
        elif seq > self.expected:
            missing = f"第 {self.expected} 条" if seq == self.expected + 1 else f"第 {self.expected}～{seq - 1} 条"
            where = f"{self.prev_named}之后" if self.prev_named else "开头"
            self._add(DELETED, self.expected, f"{missing}被删除（位于{where}、{named}之前）。")
        elif entry_hash(values) != values["hash"]:
            self._add(ALTERED, seq, f"{named}被篡改：内容与其哈希不符。")
        elif values["prev_hash"] != self.prev_hash:
            self._add(INSERTED, seq, f"{named}被插入或替换：它不接续上一条记录。")
        if seq >= 1:
            self.expected = seq + 1
        self.prev_hash, self.prev_named, self.last = values["hash"], named, values
        del self.problems[self.limit * 2:]  # keep memory bounded; finish() trims to the limit

    def finish(self, head: tuple[int, str] | None, first_beyond: dict | None = None) -> Report:
        """``head`` is ``(seq, hash)`` or None if the row is missing; ``first_beyond`` the first
        entry with a ``seq`` above the head's, if there is one."""
        problems = self.problems
        if head is None:
            if self.count:
                problems.append(Problem(HEAD, 0, "链头记录缺失：无法确认最后的记录是否被删除。"))
        else:
            head_seq = head[0]
            if first_beyond is not None:
                problems = [p for p in problems if p.seq <= head_seq]
                problems.append(Problem(INSERTED, first_beyond["seq"],
                                        f"{_named(first_beyond)}被插入：链头记录的最后一条是第 {head_seq} 条。"))
            last_seq = self.last["seq"] if self.last else 0
            if head_seq > last_seq:
                start = max(self.expected, 1)
                missing = f"第 {head_seq} 条" if head_seq == start else f"第 {start}～{head_seq} 条"
                after = f"，位于{_named(self.last)}之后" if self.last else ""
                problems.append(Problem(DELETED, start, f"{missing}被删除（末尾记录被截去{after}）。"))
            elif first_beyond is None and self.last is not None and head[1] != self.last["hash"]:
                problems.append(Problem(HEAD, head_seq, f"{_named(self.last)}与链头记录的哈希不符：该条被替换或链头被改动。"))
        problems = sorted(problems, key=lambda p: p.seq)[: self.limit]
        return Report(self.count, head[0] if head else None, head[1] if head else None, problems)
