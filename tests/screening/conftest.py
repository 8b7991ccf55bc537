"""Helpers for rule tests: book a few vouchers for unit A1X and run one rule over them."""

import pytest

from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.screening.services import run_screening
from tests.ledger.conftest import line, write


def entry(no, date, debit_code, credit_code, amount, summary="支付职工活动费", payee="", vtype="记", org="A1X",
          preparer="张伟", reviewer="李娜", attach="2", invoice=""):
    """A balanced two-line voucher: debit one account, credit another."""
    period = str(int(date[5:7]))
    common = dict(org=org, period=period, date=date, vtype=vtype, no=str(no), summary=summary, payee=payee,
                  preparer=preparer, reviewer=reviewer, attach=attach, invoice=invoice)
    return [
        line(line_no="1", code=debit_code, name="", debit=amount, **common),
        line(line_no="2", code=credit_code, name="", credit=amount, **common),
    ]


@pytest.fixture
def screen(tree, tmp_path):
    """screen(rows, "JS-XXX-001", **params) -> the rule's flags over those rows, in order."""
    counter = iter(range(1000))

    def run(rows, code, **params):
        path = write(tmp_path / f"books-{next(counter)}.csv", rows)
        import_vouchers(path, create_accounts=True)
        result = run_screening(year=2025, rule_codes=[code], params={code: params} if params else None)
        return list(result.flags.order_by("org__code", "period", "voucher_no", "line_no", "id"))

    return run
