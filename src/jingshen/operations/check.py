"""The health check of an installation (`jingshen check`, `/healthz?deep=1` for administrators).

Each check returns a ``Result``: a status (ok, warn or fail), a Chinese sentence, and figures for
monitoring. A failed check makes the command exit 1. The checks, in order:

- 配置 (config): Django's system checks, errors only (the command replaces Django's ``check``);
- 数据库 (database): reachable, every migration of the code applied and none unknown to it;
- 后台任务 (worker): a worker alive (its heartbeat, operations/worker.py) and the age of the
  oldest task waiting in the queue (django_tasks_db's READY rows); tasks left 运行中 by a
  worker that is gone are named (the next worker start requeues them);
- 磁盘 (disk): free space on the file system of JINGSHEN_HOME;
- 数据集 (datasets): every Dataset row's files present, and its content checksum recomputed from
  the stored lines (ledger/store.py, the importer's own definition) for a sample, or all with
  ``full``;
- 文件 (files): evidence files, generated documents and uploaded source files present, and their
  SHA-256 recomputed for a sample, or all with ``full``;
- 操作日志 (log): the activity log's hash chain intact (the `jingshen log verify` service).

When the database cannot be reached, the checks that need it are reported as not run (fail).
"""

import datetime
import hashlib
import random
import shutil
from dataclasses import asdict, dataclass, field
from itertools import groupby

from django.conf import settings
from django.utils import timezone

OK, WARN, FAIL = "ok", "warn", "fail"
STATUS_NAMES = {OK: "正常", WARN: "注意", FAIL: "异常"}
SAMPLE = 20  # datasets and files whose content a default (not --full) check recomputes
QUEUE_MAX_AGE = datetime.timedelta(minutes=15)  # a task waiting longer: the worker is stuck or gone
MIN_FREE_BYTES = 2 * 1024**3  # below this, imports and backups may fail: fail
LOW_FREE_FRACTION = 0.10  # below this share of the disk: warn
LISTED = 20  # problems named per check (the count says how many in all)


@dataclass
class Result:
    key: str
    label: str
    status: str
    message: str
    figures: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass
class Report:
    results: list[Result]
    full: bool

    @property
    def ok(self) -> bool:
        return all(r.status != FAIL for r in self.results)

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "status": FAIL if not self.ok else (WARN if any(r.status == WARN for r in self.results) else OK),
            "checked_at": timezone.localtime().isoformat(timespec="seconds"),
            "full": self.full,
            "checks": [asdict(r) for r in self.results],
        }

    def text(self) -> str:
        lines = []
        for r in self.results:
            lines.append(f"[{STATUS_NAMES[r.status]}] {r.label}：{r.message}")
            lines += [f"    {p}" for p in r.problems[:LISTED]]
            if len(r.problems) > LISTED:
                lines.append(f"    ……另有 {len(r.problems) - LISTED} 处")
        failed = [r.label for r in self.results if r.status == FAIL]
        lines.append("")
        lines.append(f"检查未通过：{'、'.join(failed)}。" if failed else "检查通过。")
        return "\n".join(lines)


def run(*, full: bool = False, offline: bool = False, sample: int = SAMPLE, rng: random.Random | None = None) -> Report:
    """Run every check. ``full``: recompute the content of every dataset and file, not a sample.
    ``offline``: the service is not meant to be running (an upgrade or a restore before the first
    start), so the worker's absence is not a failure."""
    rng = rng or random.Random()
    results = [check_config()]
    database = check_database()
    results.append(database)
    if database.figures.get("reachable"):
        results += [check_worker(offline), check_disk(), check_datasets(full, sample, rng), check_files(full, sample, rng),
                    check_log()]
    else:
        results.append(check_disk())
        for key, label in (("worker", "后台任务"), ("datasets", "数据集"), ("files", "文件"), ("log", "操作日志")):
            results.append(Result(key, label, FAIL, "未检查：数据库无法连接。"))
    return Report(results, full)


# --- the checks ------------------------------------------------------------------------------------


def check_config() -> Result:
    from django.core import checks

    try:
        errors = [m for m in checks.run_checks() if m.level >= checks.ERROR]
    except Exception as exc:  # noqa: BLE001 - a configuration the checks cannot even load
        return Result("config", "配置", FAIL, f"Django 系统检查无法完成：{exc}", {"errors": 1})
    if errors:
        return Result("config", "配置", FAIL, f"Django 系统检查发现 {len(errors)} 个错误。", {"errors": len(errors)},
                      [f"{m.id}：{m.msg}" for m in errors])
    return Result("config", "配置", OK, "系统检查通过。", {"errors": 0})


def check_database() -> Result:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    label = "数据库"
    engine = connection.vendor
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the finding
        return Result("database", label, FAIL, f"无法连接数据库（{engine}）：{exc}", {"reachable": False, "engine": engine})
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    applied = set(executor.loader.applied_migrations)
    known = set(executor.loader.graph.nodes)
    unknown = sorted(applied - known)
    figures = {"reachable": True, "engine": engine, "unapplied": len(plan), "unknown": len(unknown)}
    if plan:
        names = [f"{m.app_label}.{m.name}" for m, _backwards in plan]
        return Result("database", label, FAIL,
                      f"有 {len(plan)} 个数据库迁移尚未执行（请执行 jingshen migrate）。", figures, names)
    if unknown:
        return Result("database", label, FAIL,
                      f"数据库中有 {len(unknown)} 个本版本程序不认识的迁移：数据库来自更新的版本，请使用相应版本的程序。",
                      figures, [f"{app}.{name}" for app, name in unknown])
    return Result("database", label, OK, f"可以连接（{engine}），迁移已全部执行。", figures)


def check_worker(offline: bool) -> Result:
    from django_tasks_db.models import DBTaskResult

    from jingshen.operations import worker

    label = "后台任务"
    now = timezone.now()
    alive = worker.live_workers()
    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    age = (now - oldest).total_seconds() if oldest else 0.0
    running = list(DBTaskResult.objects.running().values("id", "task_path", "started_at", "worker_ids"))
    alive_ids = {w["worker_id"] for w in alive}
    orphaned = [t for t in running if not (t["worker_ids"] and t["worker_ids"][-1] in alive_ids)]
    figures = {"workers": len(alive), "ready": ready.count(), "oldest_ready_seconds": round(age, 1), "running": len(running),
               "orphaned": len(orphaned), "offline": offline}
    problems = [f"任务 {t['task_path'].rsplit('.', 1)[-1]}（{t['id']}）自 {_local(t['started_at'])} 起处于运行中，"
                f"但执行它的进程已不在（后台任务进程下次启动时会重新排队）。" for t in orphaned]
    waiting = f"排队 {figures['ready']} 个，最早的已等待 {_duration(age)}" if oldest else "没有排队的任务"
    if not alive and not offline:
        return Result("worker", label, FAIL, f"后台任务进程未运行（{waiting}）：导入和筛查不会执行。请检查 jingshen serve 或 jingshen worker。",
                      figures, problems)
    if oldest and age > QUEUE_MAX_AGE.total_seconds() and (alive or not offline):
        return Result("worker", label, FAIL, f"任务排队过久：{waiting}（超过 {_duration(QUEUE_MAX_AGE.total_seconds())}）。",
                      figures, problems)
    status = WARN if orphaned else OK
    who = f"{len(alive)} 个后台任务进程在运行" if alive else "服务未启动（离线检查）"
    return Result("worker", label, status, f"{who}；{waiting}；运行中 {len(running)} 个。", figures, problems)


def check_disk() -> Result:
    home = settings.HOME
    usage = shutil.disk_usage(home)
    fraction = usage.free / usage.total if usage.total else 0
    figures = {"path": str(home), "free_bytes": usage.free, "total_bytes": usage.total, "free_fraction": round(fraction, 4)}
    text = f"{home} 所在磁盘剩余 {_size(usage.free)}（共 {_size(usage.total)}，{fraction:.0%}）"
    if usage.free < MIN_FREE_BYTES:
        return Result("disk", "磁盘", FAIL, f"{text}，不足 {_size(MIN_FREE_BYTES)}：导入和备份可能失败。", figures)
    if fraction < LOW_FREE_FRACTION:
        return Result("disk", "磁盘", WARN, f"{text}，不足 {LOW_FREE_FRACTION:.0%}。", figures)
    return Result("disk", "磁盘", OK, f"{text}。", figures)


def check_datasets(full: bool, sample: int, rng: random.Random) -> Result:
    """Every dataset's files present; the content checksum of a sample (or all) recomputed."""
    import duckdb

    from jingshen.ledger import store
    from jingshen.ledger.models import Dataset

    label = "数据集"
    datasets = list(Dataset.objects.select_related("org").order_by("path", "pk"))
    problems, complete = [], []
    for d in datasets:
        missing = store.missing_files(d)
        if missing:
            problems.append(f"{_dataset_name(d)}：文件缺失（{'、'.join(missing)}，位置 {d.path}）。")
        else:
            complete.append(d)
    chosen = complete if full else rng.sample(complete, min(sample, len(complete)))
    con = duckdb.connect()
    con.execute("SET threads = 2")
    try:
        for (path, packed), group in groupby(sorted(chosen, key=lambda d: (d.path, d.pk)), key=lambda d: (d.path, store.is_packed(d))):
            group = list(group)
            try:
                if packed and len(group) > 1:
                    sums = store.stored_pack_checksums(con, path, group[0].kind)
                    found = {d.pk: sums.get((d.org.code, d.fiscal_year), "0-") for d in group}
                else:
                    found = {d.pk: store.stored_checksum(con, d) for d in group}
            except duckdb.Error as exc:
                problems += [f"{_dataset_name(d)}：文件无法读取（{str(exc).splitlines()[0]}）。" for d in group]
                continue
            for d in group:
                if found[d.pk] != d.checksum:
                    problems.append(f"{_dataset_name(d)}：内容与登记的校验值不符（登记 {d.checksum}，现为 {found[d.pk]}），"
                                    f"文件已被改动或损坏。")
    finally:
        con.close()
    figures = {"datasets": len(datasets), "content_checked": len(chosen), "problems": len(problems)}
    scope = "全部" if full or len(chosen) == len(complete) else f"抽查 {len(chosen)} 个"
    if problems:
        return Result("datasets", label, FAIL, f"{len(datasets)} 个数据集中发现 {len(problems)} 处问题。", figures, problems)
    return Result("datasets", label, OK, f"{len(datasets)} 个数据集的文件齐全；内容校验（{scope}）通过。", figures)


def check_files(full: bool, sample: int, rng: random.Random) -> Result:
    """Evidence files, generated documents and uploaded source files: present, and their SHA-256
    recomputed for a sample (or all)."""
    from django.core.files.storage import default_storage

    from jingshen.audits import evidence
    from jingshen.audits.models import Evidence, GeneratedDocument
    from jingshen.knowledge.models import GuideAttachment
    from jingshen.ledger.models import ImportJob

    label = "文件"
    files = []  # (description, storage name, sha256, verify)
    for e in Evidence.objects.values("pk", "storage_name", "sha256", "original_name"):
        files.append((f"证据文件 #{e['pk']}「{e['original_name']}」", e["storage_name"], e["sha256"], evidence.verify))
    for a in GuideAttachment.objects.values("pk", "storage_name", "sha256", "original_name"):
        files.append((f"知识条目附件 #{a['pk']}「{a['original_name']}」", a["storage_name"], a["sha256"], evidence.verify))
    for g in GeneratedDocument.objects.values("pk", "storage_name", "sha256"):
        files.append((f"生成的文书 #{g['pk']}", g["storage_name"], g["sha256"], _verify_stored))
    for j in ImportJob.objects.exclude(file="").values("pk", "file", "sha256", "original_name"):
        files.append((f"导入任务 #{j['pk']} 的原始文件「{j['original_name']}」", j["file"], j["sha256"], _verify_stored))
    problems, present = [], []
    for item in files:
        description, name = item[0], item[1]
        try:
            exists = default_storage.exists(name)
        except Exception:  # noqa: BLE001 - a name the storage refuses is a damaged row
            exists = False
        if exists:
            present.append(item)
        else:
            problems.append(f"{description}：文件缺失（{name}）。")
    chosen = present if full else rng.sample(present, min(sample, len(present)))
    for description, name, sha256, verify in chosen:
        try:
            good = verify(name, sha256)
        except Exception as exc:  # noqa: BLE001
            good, description = False, f"{description}（{exc}）"
        if not good:
            problems.append(f"{description}：内容与登记的 SHA-256 不符，文件已被改动或损坏。")
    figures = {"files": len(files), "content_checked": len(chosen), "problems": len(problems)}
    scope = "全部" if full or len(chosen) == len(present) else f"抽查 {len(chosen)} 个"
    if problems:
        return Result("files", label, FAIL, f"{len(files)} 个文件中发现 {len(problems)} 处问题。", figures, problems)
    return Result("files", label, OK, f"{len(files)} 个文件（证据、文书、导入原件）齐全；SHA-256 校验（{scope}）通过。", figures)


def check_log() -> Result:
    from jingshen.activity.services import verify_chain

    report = verify_chain()
    figures = {"entries": report.count, "head_seq": report.head_seq, "head_hash": report.head_hash,
               "problems": len(report.problems)}
    if report.intact:
        return Result("log", "操作日志", OK, f"共 {report.count:,} 条记录，哈希链完整。", figures)
    return Result("log", "操作日志", FAIL, f"哈希链不完整：{report.problems[0].message}", figures,
                  [p.message for p in report.problems[1:]])


# --- helpers -----------------------------------------------------------------------------------------


def _verify_stored(name: str, sha256: str) -> bool:
    from django.core.files.storage import default_storage

    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as fh:
        for chunk in fh.chunks(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest() == (sha256 or "").lower()


def _dataset_name(d) -> str:
    return f"数据集 #{d.pk}（{d}）"


def _local(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S") if at else "未知时间"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} 秒"
    if seconds < 3600:
        return f"{seconds // 60} 分钟"
    if seconds < 86400:
        return f"{seconds // 3600} 小时 {seconds % 3600 // 60} 分钟"
    return f"{seconds // 86400} 天 {seconds % 86400 // 3600} 小时"


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
