"""The standard import templates (标准导入模板) as XLSX: a sheet to fill in, with an example,
and a sheet explaining every column (required or not, meaning, accepted spellings)."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from jingshen.ledger.charts import ACCOUNT_FIELDS
from jingshen.ledger.importers.balances import BALANCE_FIELDS
from jingshen.ledger.importers.vouchers import VOUCHER_FIELDS

# column: (required, meaning)
VOUCHER_COLUMNS = {
    "单位编码": ("是", "被审计单位的单位编码，与单位库一致。一个文件可包含多个单位。"),
    "会计年度": ("是", "四位年份，如 2025。"),
    "会计期间": ("应填", "1～12，凭证所属月份；不填时取凭证日期的月份。凭证号每期重新编号。"),
    "凭证日期": ("是", "如 2025-01-09、2025/1/9、20250109、2025年1月9日，或 Excel 日期。"),
    "凭证字": ("应填", "如 记、收、付、转；不填时为“记”。"),
    "凭证号": ("是", "数字；单位编码+会计年度+会计期间+凭证字+凭证号确定一张凭证。"),
    "分录号": ("应填", "凭证内的行号 1、2、3……；不填时按文件中的顺序编号。"),
    "摘要": ("应填", "分录摘要。摘要为空或含糊会被疑点筛查提示。"),
    "科目编码": ("是", "须在该单位的科目表中（可用“自动新增明细科目”）。"),
    "科目名称": ("否", "科目名称，仅供核对。"),
    "借方金额": ("是", "两位小数；可有千分位；空白或 0 表示没有金额；负数为红字冲销。"),
    "贷方金额": ("是", "同一行借方、贷方只能填一个。"),
    "往来单位": ("否", "收款或付款单位、个人。"),
    "结算方式": ("否", "如 转账、现金、网银、支票。"),
    "制单人": ("应填", "制单人姓名。"),
    "审核人": ("否", "审核人姓名。"),
    "附件数": ("否", "所附原始单据张数。"),
    "票据号": ("否", "发票或票据号码。"),
}
BALANCE_COLUMNS = {
    "单位编码": ("是", "单位编码。"),
    "会计年度": ("是", "四位年份。"),
    "科目编码": ("是", "须在该单位的科目表中。"),
    "科目名称": ("否", "仅供核对。"),
    "期初余额": ("是", "年初余额（或改用「期初借方」「期初贷方」两列）。"),
    "余额方向": ("是", "借、贷或平。"),
    "本期借方": ("否", "本年借方发生额合计。"),
    "本期贷方": ("否", "本年贷方发生额合计。"),
    "期末余额": ("否", "期末余额，与余额方向相同的方向（或另加「期末方向」列）。"),
}
ACCOUNT_COLUMNS = {
    "科目编码": ("是", "如 101、50102；明细科目以上级科目编码开头。"),
    "科目名称": ("是", "科目名称。"),
    "科目类别": ("是", "资产、负债、净资产、收入、支出。"),
    "余额方向": ("是", "借 或 贷。"),
    "上级科目编码": ("否", "不填时按编码前缀推断。"),
    "科目角色": ("否", "如 cash、bank、expense-meeting 或 库存现金、会议费；不填时继承上级科目或由系统建议，在页面上确认。"),
}
TEMPLATES = {
    "vouchers": ("凭证导入模板", VOUCHER_COLUMNS, VOUCHER_FIELDS, [
        ["330103001", 2025, 1, "2025-01-09", "记", 1, 1, "支付职工篮球赛场地费", "50102", "文体活动费", "1,200.00", "",
         "杭州某体育馆", "转账", "张伟", "李娜", 2, "33012345"],
        ["330103001", 2025, 1, "2025-01-09", "记", 1, 2, "支付职工篮球赛场地费", "102", "银行存款", "", "1,200.00",
         "杭州某体育馆", "转账", "张伟", "李娜", 2, ""],
    ]),
    "balances": ("科目余额导入模板", BALANCE_COLUMNS, BALANCE_FIELDS, [
        ["330103001", 2025, "102", "银行存款", "85,000.00", "借", "420,000.00", "398,500.00", "106,500.00"],
    ]),
    "accounts": ("科目表导入模板", ACCOUNT_COLUMNS, ACCOUNT_FIELDS, [
        ["5010201", "职工篮球赛", "支出", "借", "50102", ""],
    ]),
}


def template_workbook(kind: str) -> tuple[str, bytes]:
    """(file name, XLSX bytes) of the standard template of ``kind``."""
    title, columns, fields, examples = TEMPLATES[kind]
    aliases = {f.name: f.aliases for f in fields}
    book = Workbook()
    sheet = book.active
    sheet.title = "数据"
    sheet.append(list(columns))
    for row in examples:
        sheet.append(row)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F2F4F7")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
    for i, name in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = max(10, len(name) * 2 + 4)
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("说明")
    notes.append(["列名", "必填", "说明", "也可识别的列名（用友、金蝶等导出）"])
    for name, (required, meaning) in columns.items():
        notes.append([name, required, meaning, "、".join(aliases.get(name, ()))])
    for cell in notes[1]:
        cell.font, cell.fill = bold, fill
    for letter, width in zip("ABCD", (14, 6, 60, 50)):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    notes.append([])
    notes.append(["“是”为必填；“应填”按规范应当填写，缺少时系统按说明补足。第一行为表头；示例行请删除后填写。"
                  "CSV 文件可为 UTF-8 或 GBK/GB18030 编码。"])
    buffer = io.BytesIO()
    book.save(buffer)
    return f"{title}.xlsx", buffer.getvalue()
