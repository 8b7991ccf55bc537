"""The jingshen command as a user runs it: a separate process on a fresh JINGSHEN_HOME."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TREE, write_csv

JINGSHEN = str(Path(sys.executable).with_name("jingshen"))


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # the embedded default
    env["JINGSHEN_HOME"] = str(home)
    return subprocess.run([JINGSHEN, *args], env=env, capture_output=True, text=True, timeout=300)


def test_first_command_creates_and_migrates_home(tmp_path):
    home = tmp_path / "新目录" / "home"
    result = run(home, "import", "orgs", str(write_csv(tmp_path / "units.csv", TREE)))
    assert result.returncode == 0, result.stderr
    assert "新增 8 个单位" in result.stdout
    assert (home / "jingshen.sqlite3").exists() and (home / "secret_key").exists() and (home / "logs").is_dir()
    listed = run(home, "users", "list")
    assert listed.returncode == 0 and listed.stdout == ""


def test_help_and_unknown_command_are_chinese(tmp_path):
    result = run(tmp_path, "--help")
    assert result.returncode == 0 and "用法：jingshen <命令>" in result.stdout and "导入单位" in result.stdout
    result = run(tmp_path, "import", "orgs", "--help")
    assert result.returncode == 0 and "用法：jingshen import orgs" in result.stdout and "显示本帮助并退出" in result.stdout
    result = run(tmp_path, "frobnicate")
    assert result.returncode == 2 and "未知命令「frobnicate」" in result.stderr


def test_bad_arguments_get_a_chinese_error_and_usage(tmp_path):
    for args, message in (
        (("users", "reset-password"), "错误：缺少必需的参数：username, --by"),
        (("screen", "--year", "abc"), "错误：参数 --year 的值“abc”不是整数"),
        (("screen", "--year", "2025", "--frobnicate"), "错误：无法识别的参数：--frobnicate"),
        (("screen", "--year"), "错误：参数 --year 后面需要一个值"),
    ):
        result = run(tmp_path, *args)
        assert result.returncode == 2 and message in result.stderr and "用法：jingshen" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_refused_file_exits_non_zero(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    result = run(tmp_path / "home", "import", "orgs", str(bad))
    assert result.returncode == 1
    assert "错误：文件被拒绝，系统中的数据未做任何改动。" in result.stderr
    assert "文件「bad.csv」：文件为空" in result.stderr


def test_grants_commands(tmp_path):
    today = datetime.date.today()
    start, end = str(today - datetime.timedelta(days=1)), str(today + datetime.timedelta(days=60))
    home = tmp_path / "home"
    assert run(home, "import", "orgs", str(write_csv(tmp_path / "units.csv", TREE))).returncode == 0
    secret = tmp_path / "pw.txt"
    secret.write_text("Audit2026pass\n", encoding="utf-8")
    for org, role, name in (("P", "系统管理员", "p_admin"), ("A", "经审负责人", "a_director")):
        made = run(home, "users", "create", "--org", org, "--role", role, "--username", name, "--password-file", str(secret))
        assert made.returncode == 0, made.stderr
    grant = ("grants", "create", "--target", "A1X", "--grantee-org", "B", "--from", start, "--until", end, "--purpose", "交叉互审")
    # the issuer is named, and scope decides: 甲市's director plans 下审一级, not the grassroots unit
    refused = run(home, *grant, "--by", "a_director")
    assert refused.returncode == 1 and "被审计单位不存在或不在您可以组织交叉互审的范围内" in refused.stderr
    created = run(home, *grant, "--by", "p_admin")
    assert created.returncode == 0, created.stderr
    assert "已创建授权 #1" in created.stdout
    assert f"#1\t生效中\t乙市总工会（B） → 甲市一区电子公司工会委员会（A1X）（{start}～{end}）\t交叉互审" in run(home, "grants", "list").stdout
    assert run(home, "grants", "revoke", "1", "--by", "p_admin", "--reason", "审计结束").returncode == 0
    assert "已撤销" in run(home, "grants", "list").stdout
    bad = run(home, "grants", "create", "--target", "A1X", "--grantee-org", "B", "--from", "2026-02-30", "--until", "2026-12-31", "--purpose", "x",
              "--by", "p_admin")
    assert bad.returncode == 1 and "日期「2026-02-30」格式不正确" in bad.stderr


def test_import_prior_audits_command(tmp_path):
    home = tmp_path / "home"
    assert run(home, "import", "orgs", str(write_csv(tmp_path / "units.csv", TREE))).returncode == 0
    secret = tmp_path / "pw.txt"
    secret.write_text("Audit2026pass\n", encoding="utf-8")
    assert run(home, "users", "create", "--org", "A", "--role", "经审负责人", "--username", "a_director",
               "--password-file", str(secret)).returncode == 0
    good = tmp_path / "往期.csv"
    good.write_text("单位编码,审计年度,审计类型,报告文号,审计单位编码\nA1,2022,财务收支审计,甲审〔2022〕1号,A\n", encoding="utf-8")
    first = run(home, "import", "prior-audits", str(good), "--by", "a_director")
    assert first.returncode == 0 and "新增往期审计记录 1 条" in first.stdout, first.stderr
    again = run(home, "import", "prior-audits", str(good), "--by", "a_director")
    assert again.returncode == 0 and "新增往期审计记录 0 条，跳过与已有记录或前面行重复的 1 行" in again.stdout
    foreign = tmp_path / "乙市.csv"
    foreign.write_text("单位编码,审计年度,审计类型\nB1,2022,财务收支审计\n", encoding="utf-8")
    refused = run(home, "import", "prior-audits", str(foreign), "--by", "a_director")
    assert refused.returncode == 1 and "文件被拒绝，系统中的数据未做任何改动" in refused.stderr
    assert "文件「乙市.csv」第 2 行「单位编码」列（值“B1”）" in refused.stderr and "Traceback" not in refused.stderr
    missing = run(home, "import", "prior-audits", str(tmp_path / "无此文件.csv"), "--by", "a_director")
    assert missing.returncode == 1 and "不存在" in missing.stderr and "Traceback" not in missing.stderr
