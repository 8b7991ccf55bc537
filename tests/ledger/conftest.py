from pathlib import Path

import pytest

from tests.conftest import write_csv

HEADER = ["单位编码", "会计年度", "会计期间", "凭证日期", "凭证字", "凭证号", "分录号", "摘要", "科目编码", "科目名称",
          "借方金额", "贷方金额", "往来单位", "结算方式", "制单人", "审核人", "附件数", "票据号"]


def line(org="A1X", year="2025", period="1", date="2025-01-09", vtype="记", no="1", line_no="1", summary="支付职工活动费",
         code="50102", name="文体活动费", debit="", credit="", payee="", settle="转账", preparer="张伟", reviewer="李娜",
         attach="2", invoice=""):
    return [org, year, period, date, vtype, no, line_no, summary, code, name, debit, credit, payee, settle, preparer,
            reviewer, attach, invoice]


def voucher(no, date="2025-01-09", amount="1200.00", period=None, org="A1X", debit_code="50102", credit_code="102", summary="职工篮球赛场地费"):
    period = period or str(int(date[5:7]))
    return [
        line(org=org, period=period, date=date, no=str(no), line_no="1", summary=summary, code=debit_code, debit=amount),
        line(org=org, period=period, date=date, no=str(no), line_no="2", summary=summary, code=credit_code, name="银行存款", credit=amount),
    ]


def write(path: Path, rows, header=HEADER, encoding="utf-8-sig") -> Path:
    """A voucher file in the standard template (write_csv with the voucher header)."""
    return write_csv(path, rows, header=header, encoding=encoding)


@pytest.fixture
def books(tree, tmp_path):
    """A small, clean year of vouchers for unit A1X: 3 months, 2 vouchers each."""
    rows = []
    for month in (1, 2, 3):
        rows += voucher(1, date=f"2025-{month:02d}-05", amount="1200.00")
        rows += voucher(2, date=f"2025-{month:02d}-20", amount="350.50", debit_code="50205", summary="送温暖慰问")
    return write(tmp_path / "凭证.csv", rows)
