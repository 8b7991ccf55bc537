"""Merge imports (`import vouchers --merge`, a pushed batch, a watched folder in merge mode): the
new version is the latest version plus the file, a voucher with the same key replaced, so a month
sent in March does not erase January."""

import duckdb
import pytest

from jingshen.activity.models import ActivityLog
from jingshen.ledger import store
from jingshen.ledger.importers import common
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset
from jingshen.orgs.models import Org
from tests.ledger.conftest import voucher, write


def vouchers_of(dataset):
    return duckdb.sql(f"SELECT period, voucher_no, line_no, debit::VARCHAR, credit::VARCHAR FROM {store.scan(dataset)} "
                      "ORDER BY period, voucher_no, line_no").fetchall()


@pytest.fixture
def january(tree, tmp_path):
    path = write(tmp_path / "一月.csv", voucher(1, date="2025-01-05") + voucher(2, date="2025-01-20", amount="80.00"))
    import_vouchers(path)
    return Dataset.objects.get()


def test_a_month_pushed_later_keeps_the_earlier_months(january, tmp_path):
    february = write(tmp_path / "二月.csv", voucher(1, date="2025-02-03", amount="500.00"))
    report = import_vouchers(february, merge=True)
    v2 = Dataset.objects.get(version=2)
    assert v2.merged_from == january and v2.replaced_vouchers == 0 and v2.rows == 6
    assert [(p, n) for p, n, *_ in vouchers_of(v2)][::2] == [(1, 1), (1, 2), (2, 1)]
    assert report.replaced == [] and "在已有版本基础上合并" in report.summary()
    entry = ActivityLog.objects.filter(action="ledger.import").latest("seq")
    assert "合并导入" in entry.summary and entry.details["merged_from"] == january.pk


def test_a_voucher_with_the_same_key_replaces_the_stored_one_and_is_reported(january, tmp_path):
    corrected = write(tmp_path / "更正.csv", voucher(2, date="2025-01-20", amount="88.00"))
    report = import_vouchers(corrected, merge=True)
    v2 = Dataset.objects.get(version=2)
    assert v2.replaced_vouchers == 1 and v2.rows == 4
    assert vouchers_of(v2) == [(1, 1, 1, "1200.00", "0.00"), (1, 1, 2, "0.00", "1200.00"),
                               (1, 2, 1, "88.00", "0.00"), (1, 2, 2, "0.00", "88.00")]
    assert report.replaced == [("A1X", 2025, 1, "记", 2)]
    assert "替换了已有的同号凭证 记-2（A1X 2025 年第 1 期）" in report.summary()
    assert vouchers_of(january)[2][3] == "80.00"  # the earlier version is untouched


def test_the_same_batch_twice_makes_one_version(january, tmp_path):
    february = write(tmp_path / "二月.csv", voucher(1, date="2025-02-03"))
    import_vouchers(february, merge=True)
    again = import_vouchers(february, merge=True)
    assert Dataset.objects.count() == 2 and not again.created and len(again.unchanged) == 1


def test_merge_without_a_stored_version_is_a_first_version(tree, tmp_path):
    path = write(tmp_path / "一月.csv", voucher(1, date="2025-01-05"))
    import_vouchers(path, merge=True)
    ds = Dataset.objects.get()
    assert ds.version == 1 and ds.merged_from is None and ds.rows == 2


def test_lines_without_numbers_are_numbered_and_stored_lines_keep_theirs(january, tmp_path):
    header = ["单位编码", "凭证日期", "凭证号", "摘要", "科目编码", "借方金额", "贷方金额"]
    rows = [["A1X", "2025-03-02", "7", "购买办公用品", "50102", "30.00", ""],
            ["A1X", "2025-03-02", "7", "购买办公用品", "102", "", "30.00"]]
    import_vouchers(write(tmp_path / "三月.csv", rows, header=header), merge=True)
    v2 = Dataset.objects.get(version=2)
    assert [(p, n, line) for p, n, line, *_ in vouchers_of(v2)] == [(1, 1, 1), (1, 1, 2), (1, 2, 1), (1, 2, 2), (3, 7, 1), (3, 7, 2)]


def test_a_refused_merge_writes_nothing(january, tmp_path):
    bad = voucher(3, date="2025-02-03")
    bad[1][8] = "999999"  # an account not in the chart
    with pytest.raises(common.TableError):
        import_vouchers(write(tmp_path / "错.csv", bad), merge=True)
    assert Dataset.objects.count() == 1


def test_a_version_published_meanwhile_is_merged_into_not_lost(january, tmp_path, monkeypatch):
    """The base is read before the lock; an import that publishes the same unit-year in between
    makes the merge start again on the new version, so neither the file's lines nor the batch's are lost."""
    february = write(tmp_path / "二月.csv", voucher(1, date="2025-02-03"))
    full_year = write(tmp_path / "全年.csv", voucher(1, date="2025-01-05") + voucher(9, date="2025-04-01"))
    real_publish = common.publish_pack
    calls = []

    def publish_after_a_rival(*args, **kwargs):
        if not calls:
            calls.append("rival")
            import_vouchers(full_year)  # another import wins the race
        return real_publish(*args, **kwargs)

    monkeypatch.setattr("jingshen.ledger.importers.vouchers.publish_pack", publish_after_a_rival)
    import_vouchers(february, merge=True)
    latest = Dataset.objects.filter(org=Org.objects.get(code="A1X")).latest("version")
    assert latest.version == 3 and latest.merged_from.version == 2
    assert sorted({(p, n) for p, n, *_ in vouchers_of(latest)}) == [(1, 1), (2, 1), (4, 9)]


def test_the_command_and_the_upload_page_merge_on_request(january, tmp_path, capsys):
    from jingshen.cli import main
    from jingshen.ledger.forms import UploadForm
    from jingshen.ledger.models import ColumnMapping

    february = write(tmp_path / "二月.csv", voucher(1, date="2025-02-03"))
    assert main(["import", "vouchers", str(february), "--merge"]) == 0
    assert "在已有版本基础上合并" in capsys.readouterr().out
    assert Dataset.objects.get(version=2).merged_from == january
    form = UploadForm({"kind": "balances", "merge": "on"}, orgs=Org.objects.all(), mappings=ColumnMapping.objects.none())
    assert not form.is_valid() and "只有凭证可以合并到已有版本" in form.errors["merge"][0]
