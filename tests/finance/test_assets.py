"""Fixed assets: the register import (duplicate 资产编号, negative 原值 and the other bad cells are
refused whole), and its reconciliation with the ledger (balances, capital spending, the fixed
fund, and item by item: bought not registered, registered not paid, disposals either way)."""

import csv
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from jingshen.activity.models import ActivityLog
from jingshen.finance.models import AssetRegister, FixedAsset
from jingshen.finance.reconcile import reconcile_assets
from jingshen.finance.services import import_assets
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.tabular import TableError
from tests.ledger.conftest import line, write

HEADER = ["资产编号", "名称", "类别", "取得日期", "原值", "累计折旧", "使用部门", "状态", "处置日期"]
CARDS = [
    ["ZC-001", "办公电脑", "办公设备", "2019-05-10", "6,000.00", "4,000.00", "办公室", "在用", ""],
    ["ZC-002", "投影仪", "办公设备", "2021-03-02", "8,000.00", "", "活动室", "在用", ""],
    ["ZC-003", "健身器材", "文体设备", "2021-06-18", "12,000.00", "", "职工之家", "在用", ""],  # no payment in the ledger
    ["ZC-004", "旧打印机", "办公设备", "2015-01-01", "2,500.00", "2,500.00", "办公室", "已处置", "2021-09-30"],
]


def register_file(tmp_path, rows, name="资产卡片.csv", header=HEADER):
    path = tmp_path / name
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_the_register_is_imported_as_versions(tmp_path, tree):
    first = import_assets(register_file(tmp_path, CARDS), org=tree["A1X"])
    cards = {a.asset_no: a for a in first.assets.all()}
    assert (first.version, len(cards)) == (1, 4)
    assert cards["ZC-001"].depreciation == Decimal("4000.00") and cards["ZC-002"].depreciation is None
    assert cards["ZC-004"].status == "disposed" and str(cards["ZC-004"].disposed_on) == "2021-09-30"
    assert ActivityLog.objects.get(action="finance.assets_import").after["原值合计"] == "28500.00"
    assert import_assets(register_file(tmp_path, CARDS), org=tree["A1X"]).version == 2


def test_duplicates_negative_values_and_bad_cells_are_refused_whole(tmp_path, tree):
    rows = [*CARDS,
            ["ZC-001", "重复编号", "办公设备", "2020-01-01", "100", "", "", "", ""],
            ["ZC-010", "负原值", "办公设备", "2020-01-01", "-100", "", "", "", ""],
            ["ZC-011", "折旧过大", "办公设备", "2020-01-01", "100", "200", "", "", ""],
            ["ZC-012", "", "办公设备", "二〇二〇年", "100", "", "", "丢失", ""],
            ["ZC-013", "未处置有日期", "办公设备", "2020-01-01", "100", "", "", "在用", "2021-01-01"],
            ["", "无编号", "办公设备", "2099-01-01", "100", "", "", "", ""]]
    with pytest.raises(TableError) as exc:
        import_assets(register_file(tmp_path, rows), org=tree["A1X"])
    report = exc.value.report()
    assert "第 6 行「资产编号」列（值“ZC-001”）：与第 2 行的资产编号重复" in report
    assert "第 7 行「原值」列（值“-100”）：原值不能为负数" in report
    assert "第 8 行「累计折旧」列（值“200”）：累计折旧 200.00 超过原值 100.00" in report
    assert "第 9 行「名称」列：名称不能为空" in report and "第 9 行「取得日期」列（值“二〇二〇年”）：应为日期" in report
    assert "第 9 行「状态」列（值“丢失”）：未知的状态" in report
    assert "第 10 行「处置日期」列（值“2021-01-01”）：只有“已处置”的资产才有处置日期" in report
    assert "第 11 行「资产编号」列：资产编号不能为空" in report and "取得日期晚于今天" in report
    assert not AssetRegister.objects.exists() and not FixedAsset.objects.exists()


def test_the_command_and_the_scope(tmp_path, tree, personas, capsys):
    path = register_file(tmp_path, CARDS)
    call_command("import_assets", str(path), "--org", "A1X")
    assert "导入完成：甲市一区电子公司工会委员会资产卡片第 1 版，共 4 张" in capsys.readouterr().out
    with pytest.raises(CommandError, match="不在您导入数据的范围内"):
        call_command("import_assets", str(path), "--org", "A1X", "--by", "b_auditor")
    bad = register_file(tmp_path, [["ZC-1", "x", "y", "2020-01-01", "-1"]], name="坏.csv", header=HEADER[:5])
    with pytest.raises(CommandError, match="原值不能为负数"):
        call_command("import_assets", str(bad), "--org", "A1X")
    assert AssetRegister.objects.count() == 1


def ledger_2021(tmp_path):
    """A year: ZC-002 bought (固定资产 and 固定基金 booked twice, as the 2010 system does), a purchase
    of 5,000 with no card, ZC-004 written off, and the year-end closing into 结余."""
    def v(no, period, rows):
        return [line(year="2021", period=str(period), date=f"2021-{period:02d}-15", no=str(no), line_no=str(i + 1), summary=s,
                     code=code, name=name, debit=d, credit=c) for i, (s, code, name, d, c) in enumerate(rows)]
    rows = []
    rows += v(1, 3, [("购投影仪", "50501", "房屋建筑物购建", "8000.00", ""), ("购投影仪", "102", "银行存款", "", "8000.00"),
                     ("购投影仪", "162", "固定资产", "8000.00", ""), ("购投影仪", "301", "固定基金", "", "8000.00")])
    rows += v(2, 7, [("购音响", "50501", "房屋建筑物购建", "5000.00", ""), ("购音响", "102", "银行存款", "", "5000.00"),
                     ("购音响", "162", "固定资产", "5000.00", ""), ("购音响", "301", "固定基金", "", "5000.00")])
    rows += v(3, 9, [("报废旧打印机", "301", "固定基金", "2500.00", ""), ("报废旧打印机", "162", "固定资产", "", "2500.00")])
    rows += v(4, 10, [("报废旧电视", "301", "固定基金", "1800.00", ""), ("报废旧电视", "162", "固定资产", "", "1800.00")])
    rows += v(9, 12, [("结转支出", "331", "结余", "13000.00", ""), ("结转支出", "50501", "房屋建筑物购建", "", "13000.00")])
    import_vouchers(write(tmp_path / "凭证.csv", rows))


def test_reconciliation(tmp_path, tree):
    assert reconcile_assets(tree["A1X"], 2021).register is None
    import_assets(register_file(tmp_path, CARDS), org=tree["A1X"])
    assert reconcile_assets(tree["A1X"], 2021).dataset is None
    ledger_2021(tmp_path)
    result = reconcile_assets(tree["A1X"], 2021)
    assert not result.has_opening  # no 科目余额: the balance is the year's movement only
    balance, capital, debits, fund = result.comparisons
    assert (balance.left, balance.right) == (Decimal("8700.00"), Decimal("26000.00"))  # 8,000 + 5,000 − 2,500 − 1,800; ZC-001..003
    assert (capital.left, capital.right) == (Decimal("13000.00"), Decimal("20000.00"))  # closing into 结余 left out
    assert (debits.left, debits.right) == (Decimal("13000.00"), Decimal("20000.00"))
    assert fund.matches and fund.left == Decimal("8700.00")
    assert [line.debit for line in result.unregistered] == [Decimal("5000.00")]
    assert [a.asset_no for a in result.unpaid] == ["ZC-003"]
    assert [line.credit for line in result.unrecorded_disposals] == [Decimal("1800.00")]
    assert result.disposals_not_booked == []


def test_pages(client_for, tmp_path, tree):
    client = client_for("a_auditor")
    upload = SimpleUploadedFile("卡片.csv", register_file(tmp_path, CARDS).read_bytes())
    response = client.post("/finance/assets/import/", {"org": "A1X", "file": upload})
    register = AssetRegister.objects.get()
    assert response.status_code == 302 and response.url == f"/finance/assets/{register.pk}/"
    page = client.get(f"{response.url}?status=disposed").content.decode()
    assert "旧打印机" in page and "投影仪" not in page and "共 1 张，原值合计 2,500.00 元" in page
    assert "28,500.00" in client.get("/finance/assets/").content.decode()
    bad = SimpleUploadedFile("坏.csv", register_file(tmp_path, [*CARDS, CARDS[0]], name="坏.csv").read_bytes())
    refused = client.post("/finance/assets/import/", {"org": "A1X", "file": bad}).content.decode()
    assert "文件被拒绝" in refused and "与第 2 行的资产编号重复" in refused and AssetRegister.objects.count() == 1
    ledger_2021(tmp_path)
    shown = client.get("/finance/assets/reconcile/?org=A1X&year=2021").content.decode()
    assert "固定资产科目年末余额" in shown and "未导入本年科目余额" in shown and "购音响" in shown and "健身器材" in shown
    assert "报废旧电视" in shown and "相符" in shown
    assert client_for("b_auditor").get(f"/finance/assets/{register.pk}/").status_code == 404
    foreign = client_for("b_auditor").get("/finance/assets/reconcile/?org=A1X&year=2021").content.decode()
    assert "不存在或不在您的查看范围内" in foreign and "购音响" not in foreign
