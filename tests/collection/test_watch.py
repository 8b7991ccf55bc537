"""监控文件夹: a unit's finance program exports into a folder on the server; each pass imports the
completely written files once, moves them aside (refused ones with their error report), records
and logs every outcome. The folder path is hostile input; only the unit's administrators set it."""

import datetime
import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.utils import timezone

from jingshen.activity.models import ActivityLog
from jingshen.collection import scheduler
from jingshen.collection.models import FileStatus, WatchedFile, WatchedFolder, WatchMode
from jingshen.collection.services import run_watch, set_watched_folder
from jingshen.collection.tasks import watch_task
from jingshen.ledger.models import Dataset
from tests.ledger.conftest import HEADER, line, voucher, write


def later() -> datetime.datetime:
    """A moment by which a file written now counts as completely written."""
    return timezone.now() + datetime.timedelta(minutes=5)


def today_dir() -> str:
    return timezone.localdate().isoformat()


@pytest.fixture
def exports(tmp_path):
    """The folder 甲市一区电子公司工会 exports into (a real path: no symbolic link on the way)."""
    path = Path(os.path.realpath(tmp_path)) / "exports" / "A1X"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def watched(exports, personas, tree):
    return set_watched_folder(personas["prov_admin"], org=tree["A1X"], path=str(exports))


def test_a_good_file_is_imported_once_written_and_moved_aside(watched, exports):
    write(exports / "凭证.csv", voucher(1) + voucher(2))
    fresh = run_watch()  # just written: perhaps still being written
    assert (fresh.waiting, fresh.imported) == (1, 0) and not Dataset.objects.exists()
    result = run_watch(later())
    assert (result.folders, result.imported, result.refused, result.waiting) == (1, 1, 0, 0)
    dataset = Dataset.objects.get(org__code="A1X", kind="vouchers")
    assert (dataset.fiscal_year, dataset.version, dataset.rows, dataset.source_name) == (2025, 1, 4, "凭证.csv")
    assert not (exports / "凭证.csv").exists()
    assert (exports / "已导入" / today_dir() / "凭证.csv").is_file()
    row = WatchedFile.objects.get()
    assert row.status == FileStatus.IMPORTED and row.moved_to == f"已导入/{today_dir()}/凭证.csv"
    assert "共 4 行凭证分录" in row.summary and list(row.datasets.all()) == [dataset] and len(row.sha256) == 64
    entry = ActivityLog.objects.get(action="collection.watch_import")
    assert entry.org.code == "A1X" and entry.object_id == str(row.pk) and entry.actor is None
    assert run_watch(later()).imported == 0  # the folder is empty now: nothing more


def test_a_file_without_unit_codes_is_imported_for_the_folders_unit(watched, exports):
    rows = [r[1:] for r in voucher(1)]
    write(exports / "金蝶导出.csv", rows, header=HEADER[1:])
    assert run_watch(later()).imported == 1
    assert Dataset.objects.get().org.code == "A1X"
    assert "按所在文件夹「A1X」导入" in WatchedFile.objects.get().summary


def test_a_bad_file_is_refused_kept_with_its_report_and_writes_nothing(watched, exports):
    write(exports / "坏.csv", voucher(1) + [line(no="2", debit="12元")])
    result = run_watch(later())
    assert (result.imported, result.refused) == (0, 1)
    assert not Dataset.objects.exists()
    kept = exports / "被拒绝" / today_dir() / "坏.csv"
    assert kept.is_file() and not (exports / "坏.csv").exists()
    report = (exports / "被拒绝" / today_dir() / "坏.csv.错误报告.txt").read_bytes()
    assert report.startswith(b"\xef\xbb\xbf") and b"\r\n" in report
    text = report.decode("utf-8-sig")
    assert "结果：文件被拒绝，系统中的数据未做任何改动。" in text and "单位：甲市一区电子公司工会委员会（A1X）" in text
    assert "文件\t行\t列\t值\t原因" in text and "坏.csv\t4\t借方金额\t12元\t金额无法识别。" in text
    row = WatchedFile.objects.get()
    assert row.status == FileStatus.REFUSED and row.error_total == 1
    assert row.errors == [{"file": "坏.csv", "row": 4, "column": "借方金额", "value": "12元", "reason": "金额无法识别。"}]
    assert ActivityLog.objects.get(action="collection.watch_refuse").summary == "监控文件夹中的「坏.csv」被拒绝：金额无法识别。"


def test_lines_of_another_unit_are_refused(watched, exports):
    write(exports / "别的单位.csv", voucher(1, org="B1X"))
    assert run_watch(later()).refused == 1
    assert "不在您的导入权限范围内" in WatchedFile.objects.get().errors[0]["reason"]
    assert not Dataset.objects.exists()


def test_the_same_file_twice_gives_one_version(watched, exports):
    content = voucher(1) + voucher(2)
    write(exports / "一月.csv", content)
    run_watch(later())
    write(exports / "一月（再次导出）.csv", content)
    write(exports / "一月.csv", content)  # the same name again, later the same day
    result = run_watch(later())
    assert (result.imported, result.duplicates) == (0, 2)
    assert Dataset.objects.filter(org__code="A1X").count() == 1
    assert sorted(WatchedFile.objects.values_list("status", flat=True)) == ["duplicate", "duplicate", "imported"]
    moved = sorted(p.name for p in (exports / "已导入" / today_dir()).iterdir())
    assert moved == ["一月 (2).csv", "一月.csv", "一月（再次导出）.csv"]  # nothing overwritten
    assert ActivityLog.objects.filter(action="collection.watch_duplicate").count() == 2
    # the database keeps a content imported once per folder: a second importing row is refused
    first = WatchedFile.objects.get(status=FileStatus.IMPORTED)
    with pytest.raises(IntegrityError):
        WatchedFile.objects.create(folder=watched, name="x.csv", sha256=first.sha256, status=FileStatus.IMPORTING)


def test_a_refused_file_dropped_again_is_tried_again(watched, exports):
    """Only an imported content is skipped: a refused one may succeed later (the unit tree, the
    chart or the folder's unit fixed meanwhile), so it is read again."""
    write(exports / "单位.csv", voucher(1, org="A1Y"))  # a unit not in the tree
    run_watch(later())
    (exports / "被拒绝" / today_dir() / "单位.csv").rename(exports / "单位.csv")
    assert run_watch(later()).refused == 1
    assert WatchedFile.objects.filter(status=FileStatus.REFUSED).count() == 2
    assert (exports / "被拒绝" / today_dir() / "单位 (2).csv.错误报告.txt").is_file()


def test_a_pass_that_died_is_taken_over(watched, exports):
    write(exports / "凭证.csv", voucher(1))
    # a pass took the folder and began importing, then its process was killed
    run_watch()
    from jingshen.ledger.importers.common import file_sha256

    WatchedFile.objects.create(folder=watched, name="凭证.csv", sha256=file_sha256(exports / "凭证.csv"))
    WatchedFolder.objects.filter(pk=watched.pk).update(lease="dead", lease_until=timezone.now() + datetime.timedelta(minutes=3))
    assert run_watch(later()).busy == 1 and (exports / "凭证.csv").exists()  # its lease still runs
    WatchedFolder.objects.filter(pk=watched.pk).update(lease_until=timezone.now() - datetime.timedelta(seconds=1))
    assert run_watch(later()).imported == 1
    row = WatchedFile.objects.get()  # the dead pass's row, finished: no second one
    assert row.status == FileStatus.IMPORTED and Dataset.objects.count() == 1
    assert WatchedFolder.objects.get().lease_until is None


def test_a_file_recorded_but_not_moved_is_only_moved(watched, exports):
    write(exports / "凭证.csv", voucher(1))
    run_watch(later())
    # as if the pass had stopped between recording the file and moving it
    (exports / "已导入" / today_dir() / "凭证.csv").rename(exports / "凭证.csv")
    WatchedFile.objects.update(moved_to="")
    result = run_watch(later())
    assert (result.imported, result.duplicates) == (0, 0)
    assert WatchedFile.objects.get().moved_to == f"已导入/{today_dir()}/凭证.csv" and Dataset.objects.count() == 1


def test_links_hidden_files_and_other_names_are_left_alone(watched, exports, tmp_path):
    secret = tmp_path / "secret.csv"
    write(secret, voucher(1))
    (exports / "link.csv").symlink_to(secret)
    (exports / "说明.txt").write_text("导出说明", encoding="utf-8")
    write(exports / "~$凭证.xlsx", voucher(1))  # Excel's lock file
    (exports / "子文件夹.csv").mkdir()
    result = run_watch(later())
    assert (result.imported, result.refused, result.waiting) == (0, 0, 0)
    assert not WatchedFile.objects.exists() and (exports / "link.csv").is_symlink() and secret.exists()


def test_merge_and_replace_modes(watched, exports, personas, tree):
    write(exports / "一月.csv", voucher(1, date="2025-01-09"))
    run_watch(later())
    write(exports / "二月.csv", voucher(2, date="2025-02-09"))
    run_watch(later())  # 按凭证合并 (the default): February adds to January
    merged = Dataset.objects.get(org__code="A1X", version=2)
    assert merged.rows == 4
    set_watched_folder(personas["prov_admin"], org=tree["A1X"], path=str(exports), mode=WatchMode.REPLACE)
    write(exports / "三月.csv", voucher(3, date="2025-03-09"))
    run_watch(later())  # 整年替换: the file is the whole year
    assert Dataset.objects.get(org__code="A1X", version=3).rows == 2


def test_folder_paths_are_checked(personas, tree, exports, tmp_path, settings):
    admin = personas["prov_admin"]

    def refused(path, match, org="A1X"):
        with pytest.raises(ValueError, match=match):
            set_watched_folder(admin, org=tree[org], path=path)

    refused("", "请填写文件夹路径")
    refused("exports/A1X", "须为服务器上的绝对路径")
    refused(str(exports) + "/../A1X", "不能含有“.”或“..”")
    refused(str(exports / "nowhere"), "不存在或无法访问")
    (exports / "a.csv").write_text("x")
    refused(str(exports / "a.csv"), "不是文件夹")
    refused("/tmp/a\x00b", "控制字符")
    refused("/" + "x" * 600, "过长")
    refused("/tmp/\udcff", "无法识别的字符")
    refused(str(settings.HOME), "不能监控平台的数据目录")
    (settings.HOME / "datasets").mkdir(exist_ok=True)
    refused(str(settings.HOME / "datasets"), "不能监控平台的数据目录")
    refused(str(settings.HOME.parent), "不能监控平台的数据目录")  # a folder holding the home
    refused("/", "不能监控平台的数据目录")
    link = Path(os.path.realpath(tmp_path)) / "link"
    link.symlink_to(exports)
    refused(str(link), "经过符号链接")
    set_watched_folder(admin, org=tree["A1X"], path=str(exports) + "/")
    assert WatchedFolder.objects.get().path == str(exports)  # the real path is kept
    refused(str(exports), "已是另一个单位的监控文件夹", org="A2")
    (exports / "已导入").mkdir()
    refused(str(exports / "已导入"), "已是另一个单位的监控文件夹", org="A2")
    refused(str(exports.parent), "已是另一个单位的监控文件夹", org="A2")
    settings.WATCH_ROOTS = [str(tmp_path / "allowed")]
    (exports.parent / "A2").mkdir()
    refused(str(exports.parent / "A2"), "须位于系统允许的位置之内", org="A2")
    settings.WATCH_ROOTS = [str(exports.parent)]
    set_watched_folder(admin, org=tree["A2"], path=str(exports.parent / "A2"))
    assert ActivityLog.objects.filter(action="collection.watch_folder").count() == 2


def test_only_administrators_set_folders(client_for, personas, tree, exports):
    with pytest.raises(PermissionError, match="不在您管理的范围内"):
        set_watched_folder(personas["prov_director"], org=tree["A1X"], path=str(exports))
    data = {"org": "A1X", "path": str(exports), "mode": "merge", "active": "on"}
    for name in ("a_auditor", "prov_director", "contact", "leader"):
        assert client_for(name).post("/collect/watch/set/", data).status_code == 404, name
    assert not WatchedFolder.objects.exists()
    assert client_for("leader").get("/collect/watch/").status_code == 404  # 领导查阅 imports nothing
    admin = client_for("prov_admin")
    assert admin.post("/collect/watch/set/", data).status_code == 302
    folder = WatchedFolder.objects.get()
    assert (folder.org.code, folder.mode, folder.active, folder.updated_by.username) == ("A1X", "merge", True, "prov_admin")
    bad = admin.post("/collect/watch/set/", {**data, "org": "A2", "path": "相对路径"})
    assert bad.status_code == 200 and "须为服务器上的绝对路径" in bad.content.decode()
    assert admin.post("/collect/watch/set/", {"org": "A1X", "clear": "on"}).status_code == 302
    assert WatchedFolder.objects.get().path == "" and ActivityLog.objects.filter(action="collection.watch_folder_clear").exists()
    again = admin.post("/collect/watch/set/", {"org": "A1X", "clear": "on"})
    assert "没有设置监控文件夹" in again.content.decode()


def test_the_pages(client_for, watched, exports):
    write(exports / "坏.csv", [line(debit="12元")])
    write(exports / "好.csv", voucher(1))
    run_watch(later())
    contact = client_for("contact")  # the unit's own importer sees what became of its exports
    page = contact.get("/collect/watch/").content.decode()
    assert str(exports) in page and "好.csv" in page and "坏.csv" in page and "被拒绝" in page
    assert 'id="watch-form"' not in page
    files = contact.get("/collect/watch/files/?status=refused").content.decode()
    assert "坏.csv" in files and "好.csv" not in files
    refused = WatchedFile.objects.get(name="坏.csv")
    detail = contact.get(f"/collect/watch/files/{refused.pk}/").content.decode()
    assert "金额无法识别。" in detail and "错误报告" in detail
    assert client_for("b_auditor").get(f"/collect/watch/files/{refused.pk}/").status_code == 404
    assert "坏.csv" not in client_for("b_auditor").get("/collect/watch/files/").content.decode()
    assert 'id="watch-form"' in client_for("prov_admin").get("/collect/watch/").content.decode()
    for query in ("status=nonsense", "org=%27--", "page=-1"):
        assert contact.get(f"/collect/watch/files/?{query}").status_code == 200


def test_empty_pages_say_what_to_do(client_for, personas):
    assert "还没有监控文件夹。在下方为单位填写服务器上的文件夹" in client_for("prov_admin").get("/collect/watch/").content.decode()
    assert "需要时请系统管理员设置" in client_for("a_auditor").get("/collect/watch/").content.decode()
    assert "监控文件夹中的文件处理后会列在这里" in client_for("a_auditor").get("/collect/watch/files/").content.decode()


def test_an_unusable_folder_is_reported_on_the_page(watched, exports, client_for):
    exports.rename(exports.parent / "gone")
    result = run_watch(later())
    assert result.unusable == 1
    assert "不存在或无法访问" in WatchedFolder.objects.get().last_error
    assert "不存在或无法访问" in client_for("prov_admin").get("/collect/watch/").content.decode()


def test_the_scheduler_runs_the_pass_every_minute(watched, exports, settings):
    every, task = scheduler.jobs()["collect.watch"]
    assert every <= datetime.timedelta(minutes=5) and task is watch_task
    settings.WATCH_SETTLE_SECONDS = 0
    write(exports / "凭证.csv", voucher(1))
    assert "collect.watch" in scheduler.tick()  # tasks run at once in tests
    assert WatchedFile.objects.get().status == FileStatus.IMPORTED


def test_the_command(watched, exports, settings):
    settings.WATCH_SETTLE_SECONDS = 0
    write(exports / "凭证.csv", voucher(1))
    out = StringIO()
    call_command("collect_watch", stdout=out)
    assert "检查 1 个监控文件夹：导入 1 个文件，拒绝 0 个" in out.getvalue()
    assert ActivityLog.objects.get(action="collection.watch_import").source == "cli"
