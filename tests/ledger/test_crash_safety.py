"""A crash at any point of an import leaves the old state or the new one, never half a
dataset. Each case runs the real command in its own process and kills it."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import TREE, write_csv
from tests.ledger.conftest import voucher, write

JINGSHEN = str(Path(sys.executable).with_name("jingshen"))


def cli(home: Path, *args, crash_at: str | None = None, wait=True):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JINGSHEN_CRASH_AT")}
    env["JINGSHEN_HOME"] = str(home)
    if crash_at:
        env["JINGSHEN_CRASH_AT"] = crash_at
    cmd = [JINGSHEN, *map(str, args)]
    if not wait:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def datasets(home: Path) -> list[dict]:
    return json.loads(cli(home, "datasets", "list", "--json").stdout)


def readable(home: Path, ds: dict) -> int:
    """The dataset's lines in its pack."""
    data = home / "datasets" / ds["path"] / "data.parquet"
    return duckdb.sql(f"SELECT count(*) FROM read_parquet('{data}', hive_partitioning = false) "
                      f"WHERE org = '{ds['org']}' AND fiscal_year = {ds['fiscal_year']}").fetchall()[0][0]


def packs(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "datasets" / "kind=vouchers").iterdir())


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    assert cli(home, "import", "orgs", write_csv(tmp_path / "units.csv", TREE)).returncode == 0
    first = write(tmp_path / "v1.csv", voucher(1) + voucher(2))
    assert cli(home, "import", "vouchers", first).returncode == 0
    return home


@pytest.mark.parametrize("point", ["after-rename", "before-commit"])
def test_crash_while_publishing_keeps_the_old_state(home, tmp_path, point):
    second = write(tmp_path / "v2.csv", voucher(1) + voucher(2) + voucher(3))
    crashed = cli(home, "import", "vouchers", second, crash_at=point)
    assert crashed.returncode == 137
    listed = datasets(home)
    assert [(d["version"], d["rows"]) for d in listed] == [(1, 4)]
    assert readable(home, listed[0]) == 4
    assert len(packs(home)) == 2  # the old pack and the leftover one
    # the next import publishes cleanly and removes the leftover pack
    again = cli(home, "import", "vouchers", second)
    assert again.returncode == 0, again.stderr
    listed = datasets(home)
    assert [(d["version"], d["rows"]) for d in listed] == [(1, 4), (2, 6)]
    assert readable(home, listed[1]) == 6
    assert packs(home) == sorted(Path(d["path"]).name for d in listed)


@pytest.mark.parametrize("point", ["after-rename", "before-commit"])
def test_a_crash_publishing_a_pack_of_many_units_registers_none_of_them(home, tmp_path, point):
    """A file of three units makes one pack: a crash before its commit leaves none of the three
    (nor unit A's new version), and the next import of the file publishes all of them."""
    rows = voucher(1) + voucher(2) + voucher(3) + voucher(1, org="A2") + voucher(1, org="B1X") + voucher(2, org="B1X")
    many = write(tmp_path / "many.csv", rows)
    assert cli(home, "import", "vouchers", many, crash_at=point).returncode == 137
    assert [(d["org"], d["version"]) for d in datasets(home)] == [("A1X", 1)]
    again = cli(home, "import", "vouchers", many)
    assert again.returncode == 0, again.stderr
    listed = datasets(home)
    assert [(d["org"], d["version"], d["rows"]) for d in listed] == [("A1X", 1, 4), ("A1X", 2, 6), ("A2", 1, 2), ("B1X", 1, 4)]
    assert len({d["path"] for d in listed[1:]}) == 1  # one pack for the three new unit-years
    assert [readable(home, d) for d in listed] == [4, 6, 2, 4]
    assert packs(home) == sorted({Path(d["path"]).name for d in listed})


def test_kill_minus_nine_mid_import(home, tmp_path):
    rows = []
    for n in range(1, 40001):
        rows += voucher(n % 9000 + 1, date=f"2025-{n % 12 + 1:02d}-11", amount=f"{n}.00")
    big = write(tmp_path / "big.csv", rows)
    for delay in (0.3, 1.0, 2.0):
        proc = cli(home, "import", "vouchers", big, wait=False)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for ds in datasets(home):  # whatever is registered is complete
            assert readable(home, ds) == ds["rows"]
    assert {d["rows"] for d in datasets(home)} <= {4, 80000}
