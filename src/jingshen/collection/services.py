"""Every write of 联网采集: setting schedules, the periodic check that records late periods
(未按时报送) and the late data that has since arrived, nil returns (零报送), watched folders
(监控文件夹) and the periodic pass that imports what is dropped into them. Each function checks the
action again (PermissionError with a Chinese message), runs in a transaction and logs with
activity.record()."""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.collection import watch
from jingshen.collection.due import covered_months, due_periods, latest_vouchers, nil_periods, period_end, period_months
from jingshen.collection.models import (FileStatus, Frequency, LateReport, NilReturn, ReportingSchedule, WatchedFile,
                                        WatchedFolder, WatchMode)
from jingshen.ledger import books, store
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.orgs import scope
from jingshen.tabular import MAX_ERRORS_SHOWN, TableError

log = logging.getLogger(__name__)

MAX_UNITS = 5_000  # units set in one go (a province's grassroots units)


def check_schedule(*, frequency: str, due_day: int, lag_months: int) -> None:
    if frequency not in Frequency.values:
        raise ValueError("报送频率只能是按月、按季或按年。")
    if not 1 <= due_day <= 28:
        raise ValueError("截止日应在 1 日至 28 日之间（每个月都有的日子）。")
    if not 1 <= lag_months <= 12:
        raise ValueError("期末后月数应在 1 至 12 之间。")


def set_schedule(actor, *, org, frequency: str = Frequency.MONTHLY, due_day: int = 10, lag_months: int = 1,
                 starts_on: datetime.date | None = None, contact=None, active: bool = True, below: bool = False) -> int:
    """Set the reporting schedule of ``org`` (and, with ``below``, of every unit below it that
    ``actor`` may schedule). ``contact`` must be an active user of ``org`` (not used with ``below``:
    each unit keeps its own). Returns the number of units set. One log entry."""
    check_schedule(frequency=frequency, due_day=due_day, lag_months=lag_months)
    allowed = scope.orgs_for(actor, scope.SCHEDULE) if actor is not None else None
    if allowed is not None and not allowed.filter(pk=org.pk).exists():
        raise PermissionError("单位不存在或不在您设置报送计划的范围内。")
    if contact is not None and (contact.org_id != org.pk or not contact.is_active):
        raise ValueError(f"报送联系人须为{org.name}的在用账号。")
    units = [org]
    if below:
        from jingshen.orgs.models import Org

        below_units = Org.objects.filter(path__startswith=org.path).exclude(pk=org.pk)
        if allowed is not None:
            below_units = below_units.filter(pk__in=allowed.values("pk"))
        units += list(below_units.order_by("path")[:MAX_UNITS])
    starts_on = starts_on or timezone.localdate()
    values = {"frequency": frequency, "due_day": due_day, "lag_months": lag_months, "starts_on": starts_on,
              "active": active, "updated_by": actor}
    with transaction.atomic():
        for unit in units:
            fields = dict(values)
            if unit.pk == org.pk and not below:
                fields["contact"] = contact
            ReportingSchedule.objects.update_or_create(org=unit, defaults=fields)
        label = dict(Frequency.choices)[frequency]
        record("collection.schedule", f"设置{org.name}{'及下级共 %d 个单位' % len(units) if below else ''}的报送计划："
                                      f"{label}，期末后第 {lag_months} 个月 {due_day} 日前报送凭证",
               actor=actor, org=org, after={"报送频率": label, "截止日": due_day, "期末后月数": lag_months,
                                            "起始日期": starts_on, "单位数": len(units), "启用": active,
                                            "报送联系人": contact.username if contact else None})
    return len(units)


@dataclass
class DueResult:
    checked: int = 0  # units with an active schedule
    late: int = 0  # periods newly found late
    resolved: int = 0  # late periods whose data has arrived
    outstanding: int = 0  # late periods still open

    def summary(self) -> str:
        return (f"检查 {self.checked} 个单位的报送计划：新发现未按时报送 {self.late} 期，已补报 {self.resolved} 期，"
                f"仍未报送 {self.outstanding} 期。")


def run_due(today: datetime.date | None = None) -> DueResult:
    """The periodic check (the worker's scheduler, or `jingshen collect run-due` from cron): each
    period due by ``today`` whose vouchers are not in is recorded once as late; a late period whose
    data has since arrived is marked 已补报. Safe to run any number of times, from several places
    at once. Logged only when something changed."""
    today = today or timezone.localdate()
    result = DueResult()
    schedules = list(ReportingSchedule.objects.filter(active=True).select_related("org"))
    result.checked = len(schedules)
    owed = {s.org_id: due_periods(s, today) for s in schedules}
    years = {year for periods in owed.values() for year, _, _ in periods}
    covered = covered_months([s.org for s in schedules], years) if years else {}
    nil = nil_periods([s.org for s in schedules], years) if years else set()
    open_late = {(r.org_id, r.fiscal_year, r.period): r for r in LateReport.objects.filter(resolved_at__isnull=True)}
    now = timezone.now()
    with transaction.atomic():
        for schedule in schedules:
            for year, month, due in owed[schedule.org_id]:
                key = (schedule.org_id, year, month)
                if covered.get((schedule.org_id, year), 0) >= month or key in nil:
                    if key in open_late:
                        LateReport.objects.filter(pk=open_late.pop(key).pk).update(resolved_at=now)
                        result.resolved += 1
                    continue
                if key in open_late:
                    continue
                try:
                    with transaction.atomic():
                        _, made = LateReport.objects.get_or_create(org=schedule.org, fiscal_year=year, period=month,
                                                                   defaults={"due_date": due})
                except IntegrityError:  # another run made it at the same moment
                    made = False
                result.late += made
        result.outstanding = LateReport.objects.filter(resolved_at__isnull=True).count()
        if result.late or result.resolved:
            record("collection.run_due", result.summary(), after={"新发现": result.late, "已补报": result.resolved,
                                                                  "仍未报送": result.outstanding, "检查日期": today})
    return result


def _require(actor, action: str, org, refusal: str) -> None:
    """PermissionError unless ``actor`` may perform ``action`` on ``org`` (``None``: the system,
    the command line without ``--by``)."""
    if actor is not None and not scope.can(actor, action, org):
        raise PermissionError(refusal)


# --- 零报送 (nil returns) -----------------------------------------------------------------------


def declare_nil(actor, org, year: int, period: int, note: str = "", today: datetime.date | None = None) -> NilReturn:
    """Declare that ``org`` had no transactions in the period named by ``period`` (its last month,
    as the unit's reporting schedule counts periods): the period then counts as reported and its
    late record (未按时报送) is resolved. Declared by those who import the unit's own data (IMPORT).
    Refused when the period has not ended, is declared already, or the unit's latest vouchers of the
    year hold lines in it."""
    _require(actor, scope.IMPORT, org, "单位不存在或不在您数据采集的范围内。")
    today = today or timezone.localdate()
    note = (note or "").strip()
    if len(note) > 500:
        raise ValueError("说明最多 500 个字符。")
    if not 1 <= period <= 12:
        raise ValueError("期间应在 1 至 12 月之间。")
    if not 1990 <= year <= today.year:
        raise ValueError(f"会计年度应在 1990 至 {today.year} 年之间。")
    schedule = ReportingSchedule.objects.filter(org=org).first()
    months = period_months(schedule.frequency if schedule else Frequency.MONTHLY, period)
    if period_end(year, period) >= today:
        raise ValueError(f"{year} 年 {period} 月尚未结束，不能申报本期无业务。")
    earlier = NilReturn.objects.filter(org=org, fiscal_year=year, period=period).first()
    if earlier is not None:
        raise ValueError(f"{org.name} {year} 年 {period} 月已于 {timezone.localtime(earlier.declared_at):%Y-%m-%d} 申报本期无业务。")
    dataset = latest_vouchers(org, year)
    if dataset is not None:
        held = sorted(set(months) & books.periods_with_lines([dataset]).get(dataset.pk, set()))
        if held:
            raise ValueError(f"{org.name} {year} 年 {'、'.join(map(str, held))} 月已有凭证分录（{dataset}），"
                             f"不能申报本期无业务。")
    with transaction.atomic():
        try:
            with transaction.atomic():
                nil = NilReturn.objects.create(org=org, fiscal_year=year, period=period, note=note, declared_by=actor)
        except IntegrityError:  # the same declaration a moment ago
            raise ValueError(f"{org.name} {year} 年 {period} 月已申报本期无业务。") from None
        resolved = LateReport.objects.filter(org=org, fiscal_year=year, period=period, resolved_at__isnull=True).update(
            resolved_at=timezone.now())
        label = f"{months[0]}–{months[-1]} 月" if len(months) > 1 else f"{period} 月"
        record("collection.nil_return", f"{org.name}申报 {year} 年 {label}本期无业务（零报送）", actor=actor, org=org, obj=nil,
               after={"会计年度": year, "期间": period, "说明": note, "已补报": bool(resolved)})
    return nil


# --- 监控文件夹 (watched folders) ---------------------------------------------------------------


def set_watched_folder(actor, *, org, path: str, mode: str = WatchMode.MERGE, active: bool = True) -> WatchedFolder:
    """Set the folder the platform imports ``org``'s voucher exports from. A folder on the server
    is the installation's business: it is set by the unit's administrators (MANAGE, 系统管理员 of
    the unit or a unit above), and the path is checked as hostile input (``watch.check_folder_path``)."""
    _require(actor, scope.MANAGE, org, "单位不存在或不在您管理的范围内。")
    if mode not in WatchMode.values:
        raise ValueError("导入方式只能是按凭证合并或整年替换。")
    others = list(WatchedFolder.objects.exclude(org=org).exclude(path="").values_list("path", flat=True))
    real = watch.check_folder_path(path, others=others)
    with transaction.atomic():
        before = WatchedFolder.objects.filter(org=org).values("path", "mode", "active").first()
        folder, _ = WatchedFolder.objects.update_or_create(
            org=org, defaults={"path": real, "mode": mode, "active": active, "updated_by": actor, "last_error": ""})
        record("collection.watch_folder", f"设置{org.name}的监控文件夹：{real}（{WatchMode(mode).label}{'' if active else '，停用'}）",
               actor=actor, org=org, obj=folder, before=before,
               after={"path": real, "mode": mode, "active": active})
    return folder


def clear_watched_folder(actor, *, org) -> WatchedFolder:
    """Stop watching ``org``'s folder: the path is cleared, the history of its files kept."""
    _require(actor, scope.MANAGE, org, "单位不存在或不在您管理的范围内。")
    folder = WatchedFolder.objects.filter(org=org).exclude(path="").first()
    if folder is None:
        raise ValueError(f"{org.name}没有设置监控文件夹。")
    with transaction.atomic():
        before = {"path": folder.path, "mode": folder.mode, "active": folder.active}
        WatchedFolder.objects.filter(pk=folder.pk).update(path="", active=False, updated_by=actor, updated_at=timezone.now(),
                                                          last_error="")
        folder.refresh_from_db()
        record("collection.watch_folder_clear", f"取消{org.name}的监控文件夹 {before['path']}", actor=actor, org=org, obj=folder,
               before=before, after={"path": "", "active": False})
    return folder


LEASE = datetime.timedelta(minutes=10)  # a pass renews it after each file and while importing


@dataclass
class WatchResult:
    folders: int = 0  # active folders looked at
    imported: int = 0
    refused: int = 0
    duplicates: int = 0
    waiting: int = 0  # files still being written
    busy: int = 0  # folders another pass is working on
    unusable: int = 0  # folders the platform cannot read or write

    def summary(self) -> str:
        text = (f"检查 {self.folders} 个监控文件夹：导入 {self.imported} 个文件，拒绝 {self.refused} 个，"
                f"重复文件 {self.duplicates} 个，等待写入完成 {self.waiting} 个")
        if self.busy:
            text += f"；{self.busy} 个文件夹正由另一进程处理"
        if self.unusable:
            text += f"；{self.unusable} 个文件夹无法读写（见监控文件夹页面）"
        return text + "。"


class _Lease:
    """The right to work on one folder until ``lease_until``: taken with one conditional UPDATE
    (free, or expired: the pass that held it died), renewed and released only by its holder."""

    def __init__(self, folder: WatchedFolder):
        self.folder = folder
        self.token = uuid.uuid4().hex
        self.renewed = timezone.now()

    def take(self) -> bool:
        now = timezone.now()
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        return bool(WatchedFolder.objects.filter(free, pk=self.folder.pk).update(lease=self.token, lease_until=now + LEASE))

    def renew(self) -> bool:
        self.renewed = timezone.now()
        return bool(WatchedFolder.objects.filter(pk=self.folder.pk, lease=self.token).update(lease_until=self.renewed + LEASE))

    def progress(self, fraction: float, stage: str) -> None:  # the importer's progress callback
        if timezone.now() - self.renewed > datetime.timedelta(minutes=1):
            self.renew()

    def release(self) -> None:
        WatchedFolder.objects.filter(pk=self.folder.pk, lease=self.token).update(lease="", lease_until=None)


def run_watch(now: datetime.datetime | None = None) -> WatchResult:
    """One pass over the active watched folders (the worker's scheduler every minute, or
    `jingshen collect watch` from cron): each completely written export is imported for the
    folder's unit, then moved to ``已导入/<date>/`` or, refused, to ``被拒绝/<date>/`` with its error
    report; each file is recorded (``WatchedFile``) and logged. A file's content is imported once
    per folder, whatever its name and however often it is dropped. ``now``: the moment by which
    a file counts as completely written (tests)."""
    moment = (now or timezone.now()).timestamp()
    result = WatchResult()
    scanned = []
    for folder in WatchedFolder.objects.filter(active=True).exclude(path="").select_related("org"):
        result.folders += 1
        problem = watch.usable_problem(folder.path)
        found = [] if problem else _listing(folder, moment)
        if found is None:
            problem = f"无法列出文件夹「{folder.path}」中的文件。"
        if problem:
            result.unusable += 1
            if problem != folder.last_error:
                WatchedFolder.objects.filter(pk=folder.pk).update(last_error=problem[:500], last_scan_at=timezone.now())
            continue
        scanned.append(folder.pk)
        result.waiting += sum(not f.ready for f in found)
        ready = [f for f in found if f.ready]
        if not ready:
            continue
        lease = _Lease(folder)
        if not lease.take():
            result.busy += 1
            continue
        try:
            for f in ready:
                _watch_file(folder, f, lease, result)
                if not lease.renew():  # the lease was lost (this pass stalled past it): leave the rest
                    break
        except Exception as exc:  # noqa: BLE001 - one folder's trouble (gone, a planted link, a database error) spares the others
            log.exception("watched folder %s failed", folder.path)
            problem = f"处理文件夹时出错：{exc}" if isinstance(exc, OSError) else "处理文件夹时发生系统错误，详见服务器日志。"
            WatchedFolder.objects.filter(pk=folder.pk).update(last_error=problem[:500])
            scanned.remove(folder.pk)
            result.unusable += 1
        finally:
            lease.release()
    WatchedFolder.objects.filter(pk__in=scanned).update(last_scan_at=timezone.now(), last_error="")
    return result


def _listing(folder: WatchedFolder, moment: float) -> list[watch.Found] | None:
    try:
        return watch.list_files(folder.path, moment)
    except OSError:
        return None


def _watch_file(folder: WatchedFolder, found: watch.Found, lease: _Lease, result: WatchResult) -> None:
    name = found.path.name
    with store.staging() as work:
        copy = work / name
        try:
            copied = watch.copy_in(found.path, copy)
        except watch.NotAFile:  # gone or replaced meanwhile: the next pass sees what is there
            return
        except OSError:
            log.warning("watched file %s could not be read", found.path, exc_info=True)
            return
        # a file recorded by a pass that stopped before moving it: finish the move only
        done = (WatchedFile.objects.filter(folder=folder, sha256=copied.sha256, name=name, moved_to="")
                .exclude(status=FileStatus.IMPORTING).first())
        if done is not None:
            _move(folder, done, found.path, copied)
            return
        earlier = WatchedFile.objects.filter(folder=folder, sha256=copied.sha256, status=FileStatus.IMPORTED).first()
        if earlier is not None:
            with transaction.atomic():
                row = WatchedFile.objects.create(folder=folder, name=name, sha256=copied.sha256, size=copied.size,
                                                 status=FileStatus.DUPLICATE, finished_at=timezone.now(),
                                                 summary=f"与 {timezone.localtime(earlier.found_at):%Y-%m-%d %H:%M} 已导入的"
                                                         f"「{earlier.name}」内容相同，未重复导入。")
                row.datasets.set(earlier.datasets.all())
                _finish(folder, row, "collection.watch_duplicate",
                        f"监控文件夹中的「{name}」与已导入的「{earlier.name}」内容相同，未重复导入")
            result.duplicates += 1
            _move(folder, row, found.path, copied)
            return
        row = _claim(folder, name, copied)
        if row is None:
            return
        datasets = []
        if copied.too_large:
            row.status, row.summary = FileStatus.REFUSED, (f"文件超过 {watch.MAX_UPLOAD_MB} MB，未导入：请拆分后放入，"
                                                           "或由管理员在命令行导入（jingshen import vouchers）。")
        else:
            try:
                report = import_vouchers(copy, org=None, folder_org=folder.org, allowed_orgs={folder.org.code}, actor=None,
                                         display=name, merge=folder.mode == WatchMode.MERGE, progress=lease.progress)
            except TableError as exc:
                row.status, row.summary = FileStatus.REFUSED, "文件被拒绝，系统中的数据未做任何改动。"
                row.errors = [e.as_dict() for e in exc.errors[:MAX_ERRORS_SHOWN]]
                row.error_total = exc.total
            except Exception:
                log.exception("watched file %s of %s failed", name, folder.path)
                row.status = FileStatus.REFUSED
                row.summary = "导入时发生系统错误，系统中的数据未做任何改动。请联系系统管理员（详见服务器日志）。"
            else:
                row.status, row.summary = FileStatus.IMPORTED, report.summary()
                datasets = [*report.created, *report.unchanged]
        row.finished_at = timezone.now()
        if row.status == FileStatus.IMPORTED:
            result.imported += 1
            action, summary = "collection.watch_import", f"监控文件夹导入「{name}」：{row.summary[:200]}"
        else:
            result.refused += 1
            first = row.errors[0]["reason"] if row.errors else row.summary
            action, summary = "collection.watch_refuse", f"监控文件夹中的「{name}」被拒绝：{first[:200]}"
        with transaction.atomic():
            row.save()
            row.datasets.set(datasets)
            _finish(folder, row, action, summary)
        _move(folder, row, found.path, copied)


def _claim(folder: WatchedFolder, name: str, copied: watch.Copied) -> WatchedFile | None:
    """The row under which this pass imports the file: a new one, or the one a pass that died
    left importing (this pass holds the folder's lease, so that pass is gone). None when another
    pass holds it (the partial unique constraint decides)."""
    stale = WatchedFile.objects.filter(folder=folder, sha256=copied.sha256, status=FileStatus.IMPORTING).first()
    if stale is not None:
        stale.name, stale.size = name, copied.size
        return stale
    try:
        with transaction.atomic():
            return WatchedFile.objects.create(folder=folder, name=name, sha256=copied.sha256, size=copied.size)
    except IntegrityError:
        return None


def _finish(folder: WatchedFolder, row: WatchedFile, action: str, summary: str) -> None:
    record(action, summary, org=folder.org, obj=row, file=row.name, sha256=row.sha256, status=row.status,
           errors=row.error_total, datasets=[d.pk for d in row.datasets.all()], folder=folder.path)


def _move(folder: WatchedFolder, row: WatchedFile, source: Path, copied: watch.Copied) -> None:
    """Put the file aside (with its error report when refused) and say where. A file rewritten
    since it was read stays: the next pass reads the new content."""
    if not watch.unchanged(source, copied):
        return
    under = watch.REFUSED_DIR if row.status == FileStatus.REFUSED else watch.IMPORTED_DIR
    moved = watch.move_aside(folder.path, source, under, timezone.localdate())
    if row.status == FileStatus.REFUSED:
        watch.write_report(folder.path, moved, org=folder.org, summary=row.summary, errors=row.errors,
                           total=row.error_total, when=timezone.localtime())
    WatchedFile.objects.filter(pk=row.pk).update(moved_to=moved)
    row.moved_to = moved
