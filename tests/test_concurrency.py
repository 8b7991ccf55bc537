"""The data pages answer correctly when many requests run at once.

``jingshen serve`` (waitress) answers requests from several threads. Each DuckDB use must own
its connection: DuckDB's module-level default connection (``duckdb.sql``, ``duckdb.execute``
…) is shared by every thread and refuses a second caller ("connection is busy with another
call"), which once made the dataset page answer 500 under load."""

import threading

import pytest
from django.test import Client

from jingshen.accounts.models import RoleCode
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset
from jingshen.screening.services import run_screening
from tests.conftest import make_user
from tests.ledger.conftest import voucher, write

THREADS = 6
ROUNDS = 2


@pytest.mark.django_db(transaction=True)
def test_data_pages_answer_200_from_many_threads_at_once(tree, tmp_path):
    rows = []
    for month in range(1, 13):
        for no in (1, 3, 5, 8, 13):  # gaps in the numbering: the quality report has rows to page through
            rows += voucher(no, date=f"2025-{month:02d}-{no + 9:02d}", amount=f"{month * 1000 + no}.00")
    import_vouchers(write(tmp_path / "v.csv", rows))
    ds = Dataset.objects.get(org__code="A1X", kind="vouchers")
    assert ds.quality.get("voucher_gap")
    run = run_screening(year=2025, org=tree["A"], rule_codes=["JS-CASH-001", "JS-ROUND-001"])
    user = make_user("A", "busy_director", RoleCode.DIRECTOR)
    urls = [
        f"/collect/datasets/{ds.pk}/",
        f"/collect/datasets/{ds.pk}/?issue=voucher_gap",
        f"/collect/datasets/{ds.pk}/?page=2",
        f"/books/{ds.pk}/balances/",
        f"/books/{ds.pk}/balances/?from=2&to=5",
        f"/books/{ds.pk}/ledger/102/",
        f"/books/{ds.pk}/ledger/50102/?page=2",
        f"/books/{ds.pk}/voucher/1/记/1/",
        f"/books/{ds.pk}/journal/",
        f"/books/{ds.pk}/journal/?amount_min=3000&words=篮球",
        f"/screening/runs/{run.pk}/",
        f"/screening/runs/{run.pk}/?amount_min=1000",
    ]
    login = Client()
    login.force_login(user)  # one session, created before the threads start (SQLite writes one at a time)
    answers: list[tuple[str, int | str]] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS, timeout=60)

    def browse(offset: int) -> None:
        from django.db import connection

        client = Client()
        client.cookies = login.cookies
        try:
            start.wait()  # every thread asks at the same moment
            for i in range(ROUNDS * len(urls)):
                url = urls[(offset + i) % len(urls)]
                try:
                    status = client.get(url).status_code
                except Exception as exc:  # the test client re-raises a view's exception: a 500
                    status = f"{type(exc).__name__}: {exc}"
                with lock:
                    answers.append((url, status))
        finally:
            connection.close()  # each thread's own database connection

    threads = [threading.Thread(target=browse, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert len(answers) == THREADS * ROUNDS * len(urls)
    failed = [(url, status) for url, status in answers if status != 200]
    assert not failed, f"{len(failed)} of {len(answers)} answers were not 200: {failed[:5]}"


def test_no_code_uses_duckdbs_shared_default_connection():
    # duckdb.sql / duckdb.execute / duckdb.read_csv … run on one connection shared by every
    # thread of the process; code must use a connection (or cursor) it owns.
    import re
    from pathlib import Path

    import jingshen

    shared = re.compile(r"\bduckdb\.(sql|query|execute|executemany|fetch\w*|read_\w+|from_\w+|values|table|view|register|"
                        r"arrow|df|pl|load_extension|install_extension)\(")
    found = [f"{path}:{n}" for path in Path(jingshen.__file__).parent.rglob("*.py")
             for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if shared.search(text)]
    assert not found, f"DuckDB's default connection used at {found}"
