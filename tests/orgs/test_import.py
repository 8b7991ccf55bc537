"""jingshen import orgs: the standard template in every encoding and format users send,
idempotent re-import, and every bad input refused whole with a Chinese message that names
the file, the row and the column."""

import zipfile

import openpyxl
import pytest

from jingshen.activity.models import ActivityLog
from jingshen.cli import main
from jingshen.orgs.models import Kind, Level, Org
from tests.conftest import HEADER, TREE, write_csv


def snapshot():
    return sorted(Org.objects.values_list("code", "name", "parent__code", "level", "kind", "member_count", "path"))


def run_import(path, capsys):
    code = main(["import", "orgs", str(path)])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.django_db
def test_import_builds_tree_with_parents_after_children(tmp_path, capsys):
    rows = list(reversed(TREE))  # every child comes before its parent
    code, out, err = run_import(write_csv(tmp_path / "units.csv", rows), capsys)
    assert code == 0, err
    assert "新增 8 个单位" in out
    a1x = Org.objects.get(code="A1X")
    assert a1x.parent.code == "A1" and a1x.level == Level.GRASSROOTS and a1x.kind == Kind.GRASSROOTS_UNION
    assert a1x.member_count == 120
    assert a1x.depth == 3
    p = Org.objects.get(code="P")
    assert set(Org.objects.filter(path__startswith=p.path).values_list("code", flat=True)) == {r[0] for r in TREE}
    assert ActivityLog.objects.filter(action="orgs.import").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(tmp_path, capsys, encoding):
    code, _, err = run_import(write_csv(tmp_path / "units.csv", TREE, encoding=encoding), capsys)
    assert code == 0, err
    assert Org.objects.get(code="B1X").name == "乙市一区医院工会委员会"


@pytest.mark.django_db
def test_xlsx_with_title_row_and_numeric_cells(tmp_path, capsys):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["示范省工会组织名录（2025 年）"])  # a title above the header, as exports have
    sheet.append(HEADER)
    for row in TREE:
        sheet.append([*row[:5], int(row[5]) if row[5] else None])
    sheet.append(["33", "数字编码工会", "P", "基层", "基层工会", 45])
    sheet.cell(row=sheet.max_row, column=1).value = 33  # codes typed as numbers stay "33"
    path = tmp_path / "units.xlsx"
    book.save(path)
    code, _, err = run_import(path, capsys)
    assert code == 0, err
    assert Org.objects.get(code="33").member_count == 45
    assert Org.objects.get(code="A1X").member_count == 120


@pytest.mark.django_db
def test_reimport_same_file_changes_nothing_and_changed_row_updates(tmp_path, capsys):
    path = write_csv(tmp_path / "units.csv", TREE)
    assert run_import(path, capsys)[0] == 0
    before = snapshot()
    logs = ActivityLog.objects.count()
    code, out, _ = run_import(path, capsys)
    assert code == 0 and "新增 0 个单位，更新 0 个，未变 8 个" in out
    assert snapshot() == before
    assert ActivityLog.objects.count() == logs  # a no-op leaves no trace

    changed = [r[:] for r in TREE]
    changed[3][1] = "甲市一区电子科技公司工会委员会"
    changed[3][2] = "A2"  # moved to another county
    code, out, _ = run_import(write_csv(tmp_path / "units2.csv", changed), capsys)
    assert code == 0 and "更新 1 个" in out
    moved = Org.objects.get(code="A1X")
    assert moved.name == "甲市一区电子科技公司工会委员会"
    assert moved.parent.code == "A2"
    assert moved.path.startswith(Org.objects.get(code="A2").path)


def _zip_not_xlsx(path):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")


def _xlsx_bomb(path):
    # A zip whose one member claims to inflate to 2 GiB of zeros would take memory to read:
    # 200 MB of zeros compresses to ~200 KB, so build a real (small) one over the limit instead.
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            chunk = b"0" * (1024 * 1024)
            for _ in range(1100):
                fh.write(chunk)
    return path


BAD_INPUTS = {
    # name: (rows or bytes, expected fragments of the message)
    "missing_column": (lambda p: write_csv(p, [r[:3] + r[4:] for r in TREE], header=HEADER[:3] + HEADER[4:]),
                       ["第 1 行", "「层级」列", "缺少必需列「层级」"]),
    "misspelled_header_gbk": (lambda p: write_csv(p, TREE, header=["单位编码", "单位名称", "上级单位编码", "层极", "单位性质", "会员人数"], encoding="gbk"),
                              ["第 1 行", "缺少必需列「层级」", "「层极」是否拼写有误"]),
    "undecodable_bytes": (lambda p: p.write_bytes("单位编码,单位名称,上级单位编码,层级,单位性质,会员人数\nP,省总".encode() + b"\xff\xfe\x80" + ",,省,工会机关,\n".encode()),
                          ["第 2 行", "第 2 列", "无法识别的字节", "既不是 UTF-8 也不是 GB18030/GBK"]),
    "duplicate_code": (lambda p: write_csv(p, TREE + [["A1", "重复单位", "A", "县", "工会机关", ""]]),
                       ["第 10 行", "「单位编码」列", "值“A1”", "单位编码重复，与第 4 行相同"]),
    "cycle": (lambda p: write_csv(p, [["X", "甲", "Y", "县", "工会机关", ""], ["Y", "乙", "Z", "县", "工会机关", ""], ["Z", "丙", "X", "县", "工会机关", ""]]),
              ["第 2 行", "「上级单位编码」列", "上级关系形成循环：X → Y → Z → X"]),
    "self_parent": (lambda p: write_csv(p, [["X", "甲", "X", "县", "工会机关", ""]]),
                    ["第 2 行", "「上级单位编码」列", "上级单位不能是本单位自己"]),
    "unknown_parent": (lambda p: write_csv(p, TREE + [["C1", "丙区总工会", "C", "县", "工会机关", ""]]),
                       ["第 10 行", "「上级单位编码」列", "值“C”", "上级单位在本文件和系统中都不存在"]),
    "unknown_level": (lambda p: write_csv(p, TREE[:2] + [["A1", "甲市一区总工会", "A", "区级", "工会机关", ""]]),
                      ["第 4 行", "「层级」列", "值“区级”", "未知的层级"]),
    "bad_member_count": (lambda p: write_csv(p, TREE[:3] + [["A1X", "甲工会", "A1", "基层", "基层工会", "一百"]]),
                         ["第 5 行", "「会员人数」列", "值“一百”", "应为不小于 0 的整数"]),
    "empty_file": (lambda p: p.write_bytes(b""), ["文件为空"]),
    "header_only": (lambda p: write_csv(p, []), ["第 1 行", "只有表头，没有数据行"]),
    "png_not_a_table": (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), ["不是 CSV、Excel（XLSX/XLS）、DBF 或 XML 文件"]),
    "zip_not_xlsx": (_zip_not_xlsx, ["是压缩包但不是 XLSX 工作簿"]),
    "xlsx_bomb": (_xlsx_bomb, ["XLSX 解压后约", "超过上限", "已拒绝读取"]),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_refused_whole_with_chinese_location(tmp_path, capsys, case):
    # A database that already holds units must come out of a refused import untouched.
    assert run_import(write_csv(tmp_path / "base.csv", TREE), capsys)[0] == 0
    before = snapshot()
    logs = ActivityLog.objects.count()
    make, fragments = BAD_INPUTS[case]
    path = tmp_path / f"坏文件-{case}.csv"
    make(path)
    code, out, err = run_import(path, capsys)
    assert code != 0
    assert f"文件「{path.name}」" in err
    assert "系统中的数据未做任何改动" in err
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in {err!r}"
    assert snapshot() == before
    assert ActivityLog.objects.count() == logs


@pytest.mark.django_db
def test_every_error_in_a_file_is_listed(tmp_path, capsys):
    rows = [["A", "甲", "", "乡", "工会机关", ""], ["B", "", "", "县", "什么", "-3"], ["A", "重复", "", "县", "工会机关", ""]]
    code, _, err = run_import(write_csv(tmp_path / "many.csv", rows), capsys)
    assert code != 0
    assert "第 2 行「层级」列" in err
    assert "第 3 行「单位名称」列" in err
    assert "第 3 行「单位性质」列" in err
    assert "第 3 行「会员人数」列" in err
    assert "第 4 行「单位编码」列" in err
    assert "共 5 处错误" in err
    assert Org.objects.count() == 0
