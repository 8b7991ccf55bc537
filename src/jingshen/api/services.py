"""Creating and revoking API keys; both logged. The secret leaves this module once, as the
return value of ``create_key``, and is never stored or logged. And pushed data (``push``):
a batch of rows another system sends, imported by the same importer as a file of that kind."""

import csv
import datetime
import hashlib
import json
import math
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.api.models import APIKey, PushBatch, PushKind, PushStatus
from jingshen.orgs import scope
from jingshen.orgs.models import Org
from jingshen.orgs.services import OPERATOR
from jingshen.paths import jingshen_home
from jingshen.tabular import MAX_ERRORS_SHOWN, TableError, cell_text, header_lookup

KEY_PREFIX = "jsk_"  # every key starts with it: recognisable in a leaked file or a secret scanner
PREFIX_LENGTH = 8  # random characters after KEY_PREFIX kept in clear to name the key


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _new_key() -> tuple[str, str]:
    while True:
        key = KEY_PREFIX + secrets.token_urlsafe(32)  # 256 random bits
        prefix = key[: len(KEY_PREFIX) + PREFIX_LENGTH]
        if not APIKey.objects.filter(prefix=prefix).exists():
            return key, prefix


def check_scopes(scopes) -> list[str]:
    chosen = list(dict.fromkeys(s.strip() for s in scopes if s and s.strip()))
    if not chosen:
        raise ValueError("请至少选择一项权限。")
    unknown = [s for s in chosen if s not in scope.KEY_SCOPES]
    if unknown:
        known = "、".join(f"{code}（{label}）" for code, (label, _) in scope.KEY_SCOPES.items())
        raise ValueError(f"未知的权限「{'、'.join(unknown)}」，可选：{known}。")
    return chosen


def create_key(*, org: Org, name: str, scopes, actor, expires_on: datetime.date | None = None) -> tuple[APIKey, str]:
    """A new key of ``org`` and its secret (shown once). ``actor`` administers ``org``
    (``scope.MANAGE``; PermissionError otherwise); ``OPERATOR`` is the command line without
    ``--by``."""
    if actor is not OPERATOR and not (scope.is_person(actor) and scope.can(actor, scope.MANAGE, org)):
        raise PermissionError("您不能为该单位创建 API 密钥。")
    name = (name or "").strip()
    if not name:
        raise ValueError("请填写密钥名称（如对接的系统名称）。")
    if len(name) > APIKey._meta.get_field("name").max_length:
        raise ValueError("密钥名称不能超过 100 个字。")
    if "\x00" in name:
        raise ValueError("密钥名称含有无效字符。")
    chosen = check_scopes(scopes)
    if expires_on is not None and expires_on < timezone.localdate():
        raise ValueError("有效期不能早于今天。")
    by = actor if scope.is_person(actor) else None
    with transaction.atomic():
        secret, prefix = _new_key()
        key = APIKey.objects.create(org=org, name=name, scopes=chosen, prefix=prefix, key_hash=hash_key(secret),
                                    created_by=by, expires_on=expires_on)
        labels = "、".join(key.scope_labels())
        until = f"，有效期至 {expires_on}" if expires_on else ""
        record("api.key_create", f"为{org.name}创建 API 密钥「{name}」（{prefix}…，权限：{labels}{until}）",
               actor=by, org=org, obj=key, after={"名称": name, "权限": chosen, "前缀": prefix,
                                                  "有效期至": expires_on.isoformat() if expires_on else None})
    return key, secret


def revoke_key(key: APIKey, *, actor) -> bool:
    """Revoke a key (an administrator of its unit); False when it was already revoked."""
    if actor is not OPERATOR and not (scope.is_person(actor) and scope.can(actor, scope.MANAGE, key.org)):
        raise PermissionError("您不能撤销该 API 密钥。")
    by = actor if scope.is_person(actor) else None
    with transaction.atomic():
        key = APIKey.objects.select_for_update().select_related("org").get(pk=key.pk)
        if key.revoked_at is not None:
            return False
        key.revoked_at, key.revoked_by = timezone.now(), by
        key.save(update_fields=["revoked_at", "revoked_by"])
        record("api.key_revoke", f"撤销{key.org.name}的 API 密钥「{key.name}」（{key.prefix}…）", actor=by, org=key.org,
               obj=key)
    return True


def find_key(secret: str) -> APIKey | None:
    """The key with this secret, revoked or not (the caller tells why it refuses)."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    return APIKey.objects.select_related("org").filter(key_hash=hash_key(secret)).first()


LAST_USED_EVERY = datetime.timedelta(minutes=1)


def touch(key: APIKey) -> None:
    """Note that the key was used (at most once a minute: not one write per call)."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_EVERY:
        APIKey.objects.filter(pk=key.pk).update(last_used_at=now)


# --- pushed data (联网采集) -------------------------------------------------------------------------

MAX_PUSH_ROWS = 50_000  # rows of one batch (the request is also limited to API_MAX_REQUEST_BYTES)
MAX_VALUE_CHARS = 500
LINE_COLUMN = "推送行号"  # first column of the file a batch is written as: no row is blank or a 合计 row
STALE_PROCESSING = datetime.timedelta(minutes=15)  # a batch still "processing" after this died with its process
REFUSED = "批次被拒绝，系统中的数据未做任何改动。"


@dataclass
class PushKindSpec:
    label: str
    fields: list  # the file importer's columns (tabular.Field): the rows' keys are their names or aliases
    year_required: bool
    run: Callable  # (path, org, year, actor, display) -> (summary, datasets: list[dict], replaced: list[dict])


class BatchConflict(Exception):
    """The batch id was used for other content, or the same batch is being imported right now (409)."""


class BatchRefused(Exception):
    """A batch refused whole: ``errors`` per row (as the file importers word them, the row being
    the batch's row number counted from 1), ``total`` how many in all."""

    def __init__(self, errors: list[dict], total: int | None = None):
        self.errors, self.total = errors, total if total is not None else len(errors)
        super().__init__(REFUSED)


@dataclass
class PushResult:
    batch: PushBatch
    duplicate: bool


def _dataset_rows(datasets) -> list[dict]:
    return [{"id": d.pk, "org": d.org.code, "fiscal_year": d.fiscal_year, "kind": d.kind, "version": d.version,
             "rows": d.rows, "merged_from_version": d.merged_from.version if d.merged_from else None} for d in datasets]


def _run_vouchers(path, org, year, actor, display):
    from jingshen.ledger.importers.vouchers import import_vouchers

    report = import_vouchers(path, org=org, year=year, allowed_orgs={org.code}, actor=actor, display=display, merge=True)
    replaced = [{"org": o, "fiscal_year": y, "period": p, "voucher_type": t, "voucher_no": n} for o, y, p, t, n in report.replaced]
    return report.summary(), _dataset_rows([*report.created, *report.unchanged]), replaced


def _run_balances(path, org, year, actor, display):
    from jingshen.ledger.importers.balances import import_balances

    report = import_balances(path, org=org, year=year, allowed_orgs={org.code}, actor=actor, display=display)
    return report.summary(), _dataset_rows([*report.created, *report.unchanged]), []


def _run_budget(path, org, year, actor, display):
    from jingshen.finance.services import import_budget

    budget = import_budget(path, org=org, year=year, actor=actor, display=display)
    return (f"已导入{budget}。", [{"id": budget.pk, "org": org.code, "fiscal_year": budget.fiscal_year, "kind": "budget",
                                  "version": budget.version, "rows": budget.lines.count()}], [])


def _run_assets(path, org, year, actor, display):
    from jingshen.finance.services import import_assets

    register = import_assets(path, org=org, actor=actor, display=display)
    return (f"已导入{register}。", [{"id": register.pk, "org": org.code, "fiscal_year": None, "kind": "assets",
                                    "version": register.version, "rows": register.assets.count()}], [])


def push_kinds() -> dict[str, PushKindSpec]:
    from jingshen.finance import assets, budgets
    from jingshen.ledger.importers.balances import BALANCE_FIELDS
    from jingshen.ledger.importers.vouchers import VOUCHER_FIELDS

    return {
        PushKind.VOUCHERS: PushKindSpec("凭证", VOUCHER_FIELDS, False, _run_vouchers),
        PushKind.BALANCES: PushKindSpec("科目余额", BALANCE_FIELDS, False, _run_balances),
        PushKind.BUDGETS: PushKindSpec("预算表", budgets.FIELDS, True, _run_budget),
        PushKind.ASSETS: PushKindSpec("固定资产卡片", assets.FIELDS, False, _run_assets),
    }


def caller_entry(caller) -> tuple[object, Org | None, dict, str]:
    """How the activity log names a caller: (actor, unit, details, summary prefix). A key is
    nobody's login: no actor, its unit, and the key named in ``via_key``."""
    if isinstance(caller, scope.KeyPrincipal):
        key = caller.key
        return None, key.org, {"via_key": {"id": key.pk, "name": key.name, "prefix": key.prefix}}, f"API 密钥「{key.name}」"
    return caller, caller.org, {}, ""


def _cell(value) -> str | None:
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, str)):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return cell_text(value)
    return None


def _batch_file(folder: Path, rows: list, fields: list) -> Path:
    """The batch as a CSV in the importer's layout (keys as column headers, ``LINE_COLUMN``
    first), or BatchRefused for rows that are not objects of known keys and plain values."""
    lookup = header_lookup(fields)
    known = "、".join(f.name for f in fields)
    errors, header = [], {}
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not row:
            errors.append({"row": n, "column": None, "value": None, "message": "每一行应为一个非空的对象（字段名：值）。"})
            continue
        for key, value in row.items():
            if key not in header:
                if lookup(key) is None:
                    errors.append({"row": n, "column": key[:50], "value": None, "message": f"未知的字段（可用字段：{known}）。"})
                    continue
                header[key] = None
            text = _cell(value)
            if text is None:
                errors.append({"row": n, "column": key[:50], "value": None, "message": "值应为文字或数字。"})
            elif len(text) > MAX_VALUE_CHARS or "\x00" in text:
                errors.append({"row": n, "column": key[:50], "value": None, "message": f"值过长（最多 {MAX_VALUE_CHARS} 个字）或含有无效字符。"})
        if not any(_cell(v) for v in row.values()):
            errors.append({"row": n, "column": None, "value": None, "message": "该行没有任何内容。"})
    if errors:
        raise BatchRefused(errors[:MAX_ERRORS_SHOWN], len(errors))
    columns = list(header)
    path = folder / "batch.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([LINE_COLUMN, *columns])
        for n, row in enumerate(rows, start=1):
            out.writerow([n, *(_cell(row.get(c)) for c in columns)])
    return path


def _refused(exc: TableError) -> BatchRefused:
    """A file importer's refusal in the batch's terms: its row 1 is the header, so row r is the
    batch's row r - 1."""
    return BatchRefused([{"row": e.row - 1 if e.row and e.row > 1 else None, "column": e.column, "value": e.value,
                          "message": e.reason} for e in exc.errors], exc.total)


def _claim(org: Org, kind: str, batch_id: str, digest: str, rows: int, caller) -> PushBatch | None:
    """Register the batch as being imported, or return the earlier batch of that id (None: ours)."""
    key = caller.key if isinstance(caller, scope.KeyPrincipal) else None
    user = caller if scope.is_person(caller) else None
    for _ in range(2):
        try:
            with transaction.atomic():
                PushBatch.objects.create(org=org, kind=kind, batch_id=batch_id, payload_sha256=digest, rows=rows, key=key, user=user)
            return None
        except IntegrityError:
            earlier = PushBatch.objects.filter(org=org, kind=kind, batch_id=batch_id).first()
            if earlier is None:
                continue  # refused and removed meanwhile: claim it again
            if earlier.status == PushStatus.PROCESSING and timezone.now() - earlier.received_at > STALE_PROCESSING:
                PushBatch.objects.filter(pk=earlier.pk, status=PushStatus.PROCESSING).delete()
                continue
            if earlier.payload_sha256 != digest:
                raise BatchConflict(f"批次号「{batch_id}」已用于内容不同的另一批数据；新的数据请使用新的批次号。") from None
            if earlier.status == PushStatus.PROCESSING:
                raise BatchConflict(f"批次「{batch_id}」正在导入，请稍后再次提交同一批次查询结果。") from None
            return earlier
    raise BatchConflict(f"批次「{batch_id}」正在导入，请稍后再次提交同一批次查询结果。")


def push(caller, *, kind: str, org: Org, batch_id: str, rows: list, fiscal_year: int | None = None) -> PushResult:
    """Import a batch of ``kind`` pushed by ``caller`` (a key with the push scope or a user)
    for ``org``, which the caller must be able to import for (``scope.IMPORT``). Vouchers merge
    into the latest version (a voucher of the same key replaced, and reported); balances, a
    budget and an asset register are each a whole new version, as their files are. The same
    batch id with the same content answers the first result (``duplicate``); with other content,
    BatchConflict. A batch with any bad row is refused whole (BatchRefused) and writes nothing
    but its activity-log entry. One entry per call either way."""
    spec = push_kinds()[kind]
    if not scope.can(caller, scope.IMPORT, org):
        raise PermissionError("单位不存在或不在您的权限范围内。")
    actor, log_org, details, who = caller_entry(caller)
    digest = hashlib.sha256(json.dumps([fiscal_year, rows], ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    if spec.year_required and fiscal_year is None:
        raise BatchRefused([{"row": None, "column": "fiscal_year", "value": None, "message": f"推送{spec.label}时请填写会计年度（fiscal_year）。"}])
    earlier = _claim(org, kind, batch_id, digest, len(rows), caller)
    if earlier is not None:
        return PushResult(earlier, duplicate=True)
    display = f"接口推送批次 {batch_id}"
    try:
        with tempfile.TemporaryDirectory(dir=jingshen_home()) as folder:
            path = _batch_file(Path(folder), rows, spec.fields)
            try:
                summary, datasets, replaced = spec.run(path, org, fiscal_year, actor, display)
            except TableError as exc:
                raise _refused(exc) from None
    except BatchRefused as exc:
        PushBatch.objects.filter(org=org, kind=kind, batch_id=batch_id, status=PushStatus.PROCESSING).delete()
        record("api.push_refused", f"{who}推送{org.name}的{spec.label}批次「{batch_id}」被拒绝：{exc.total} 处错误",
               actor=actor, org=log_org, batch_id=batch_id, kind=kind, target=org.code, rows=len(rows), errors=exc.errors[:20],
               **details)
        raise
    except BaseException:
        PushBatch.objects.filter(org=org, kind=kind, batch_id=batch_id, status=PushStatus.PROCESSING).delete()
        raise
    with transaction.atomic():
        batch = PushBatch.objects.select_for_update().get(org=org, kind=kind, batch_id=batch_id)
        batch.status, batch.finished_at = PushStatus.ACCEPTED, timezone.now()
        batch.result = {"summary": summary, "datasets": datasets, "replaced": replaced}
        batch.save(update_fields=["status", "finished_at", "result"])
        record("api.push", f"{who}推送{org.name}的{spec.label}批次「{batch_id}」：{len(rows):,} 行；{summary[:300]}",
               actor=actor, org=log_org, obj=batch, batch_id=batch_id, kind=kind, target=org.code, rows=len(rows),
               datasets=[d["id"] for d in datasets], replaced=len(replaced), **details)
    return PushResult(batch, duplicate=False)
