"""Reading a fixed-asset register (资产卡片 / 固定资产清单) as asset systems export it.

Columns: 资产编号, 名称, 类别, 取得日期, 原值, and optionally 累计折旧, 使用部门, 存放地点, 状态,
处置日期. A file is refused whole (TableError, every problem with file, row and column) for an
empty or repeated 资产编号, a missing name or category, a date that is not a date or lies in the
future, a 原值 that is negative or not an amount, a 累计折旧 that is negative or above the 原值,
an unknown 状态, or a 处置日期 on an asset that is not 已处置 (or before its 取得日期).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from jingshen.finance.budgets import money, parse_amount
from jingshen.finance.models import AssetStatus
from jingshen.ledger.importers.common import DATE_FORMATS
from jingshen.tabular import Field, RowError, TableError, normalize_header, read_table

FIELDS = [
    Field("资产编号", aliases=("资产编码", "卡片编号", "资产代码", "编号")),
    Field("名称", aliases=("资产名称",)),
    Field("类别", aliases=("资产类别", "分类", "资产分类")),
    Field("取得日期", aliases=("购置日期", "入账日期", "购入日期", "取得时间")),
    Field("原值", aliases=("资产原值", "原价", "账面原值", "金额")),
    Field("累计折旧", required=False, aliases=("已提折旧", "折旧")),
    Field("使用部门", required=False, aliases=("部门", "使用单位")),
    Field("存放地点", required=False, aliases=("地点", "存放位置")),
    Field("状态", required=False, aliases=("使用状态", "资产状态")),
    Field("处置日期", required=False, aliases=("报废日期", "处置时间")),
]
STATUS_WORDS = {normalize_header(label): value for value, label in AssetStatus.choices} | {
    normalize_header(w): v for w, v in [
        ("正常", AssetStatus.IN_USE), ("使用中", AssetStatus.IN_USE), ("出租", AssetStatus.LEASED),
        ("出借", AssetStatus.LEASED), ("待报废", AssetStatus.PENDING), ("报废", AssetStatus.DISPOSED),
        ("已报废", AssetStatus.DISPOSED), ("处置", AssetStatus.DISPOSED), ("已出售", AssetStatus.DISPOSED),
        ("调出", AssetStatus.DISPOSED), ("已调出", AssetStatus.DISPOSED),
    ]
}
EXCEL_EPOCH = datetime.date(1899, 12, 30)


@dataclass
class ParsedAsset:
    row: int
    asset_no: str
    name: str
    category: str
    acquired_on: datetime.date
    original_value: Decimal
    depreciation: Decimal | None
    department: str
    location: str
    status: str
    disposed_on: datetime.date | None


def parse_date(text: str) -> datetime.date:
    """A date as finance exports write it, or an Excel serial number; ValueError otherwise."""
    text = text.strip()
    if text.replace(".0", "").isdigit() and len(text.split(".")[0]) == 5:
        return EXCEL_EPOCH + datetime.timedelta(days=int(float(text)))
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError("应为日期，如 2021-03-15。")


def parse_register(path, display: str | None = None) -> list[ParsedAsset]:
    path = Path(path)
    display = display or path.name
    table = read_table(path, FIELDS, display)
    errors: list[RowError] = []
    today = timezone.localdate()

    def err(row, column, value, reason):
        errors.append(RowError(display, row, column, value, reason))

    seen: dict[str, int] = {}
    out: list[ParsedAsset] = []
    for row_no, v in table.rows:
        ok = True
        asset_no = v["资产编号"].strip()
        if not asset_no:
            err(row_no, "资产编号", "", "资产编号不能为空。")
            ok = False
        elif len(asset_no) > 60:
            err(row_no, "资产编号", asset_no[:40] + "…", "资产编号不能超过 60 个字符。")
            ok = False
        elif asset_no in seen:
            err(row_no, "资产编号", asset_no, f"与第 {seen[asset_no]} 行的资产编号重复。")
            ok = False
        else:
            seen[asset_no] = row_no
        texts = {}
        for column, limit, required in (("名称", 200, True), ("类别", 100, True), ("使用部门", 100, False),
                                        ("存放地点", 200, False)):
            value = v.get(column, "").strip()
            if required and not value:
                err(row_no, column, "", f"{column}不能为空。")
                ok = False
            elif len(value) > limit:
                err(row_no, column, value[:40] + "…", f"{column}不能超过 {limit} 个字符。")
                ok = False
            texts[column] = value
        acquired = None
        try:
            acquired = parse_date(v["取得日期"])
            if acquired > today:
                err(row_no, "取得日期", v["取得日期"], "取得日期晚于今天。")
                ok = False
        except ValueError as exc:
            err(row_no, "取得日期", v["取得日期"], str(exc))
            ok = False
        value = depreciation = None
        try:
            value = parse_amount(v["原值"])
            if value is None:
                err(row_no, "原值", v["原值"], "原值不能为空。")
                ok = False
            elif value < 0:
                err(row_no, "原值", v["原值"], "原值不能为负数。")
                ok = False
        except ValueError as exc:
            err(row_no, "原值", v["原值"], str(exc))
            ok = False
        try:
            depreciation = parse_amount(v.get("累计折旧", ""))
            if depreciation is not None and depreciation < 0:
                err(row_no, "累计折旧", v["累计折旧"], "累计折旧不能为负数。")
                ok = False
            elif depreciation is not None and value is not None and depreciation > value:
                err(row_no, "累计折旧", v["累计折旧"], f"累计折旧 {money(depreciation)} 超过原值 {money(value)}。")
                ok = False
        except ValueError as exc:
            err(row_no, "累计折旧", v.get("累计折旧", ""), str(exc))
            ok = False
        status_text = v.get("状态", "").strip()
        status = STATUS_WORDS.get(normalize_header(status_text)) if status_text else AssetStatus.IN_USE
        if status is None:
            err(row_no, "状态", status_text, "未知的状态，应为：" + "、".join(label for _, label in AssetStatus.choices) + "。")
            ok = False
        disposed = None
        if v.get("处置日期", "").strip():
            try:
                disposed = parse_date(v["处置日期"])
            except ValueError as exc:
                err(row_no, "处置日期", v["处置日期"], str(exc))
                ok = False
            else:
                if status != AssetStatus.DISPOSED:
                    err(row_no, "处置日期", v["处置日期"], "只有“已处置”的资产才有处置日期。")
                    ok = False
                elif acquired is not None and disposed < acquired:
                    err(row_no, "处置日期", v["处置日期"], "处置日期早于取得日期。")
                    ok = False
        if ok:
            out.append(ParsedAsset(row_no, asset_no, texts["名称"], texts["类别"], acquired, value, depreciation,
                                   texts["使用部门"], texts["存放地点"], status, disposed))
    if errors:
        raise TableError(errors)
    return out
