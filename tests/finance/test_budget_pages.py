"""预算表 pages: import on the page (refused files list every problem, nothing written), the list
and a version's table, each in the user's scope."""

from django.core.files.uploadedfile import SimpleUploadedFile

from jingshen.finance.models import Budget
from jingshen.finance.services import import_budget
from tests.finance.test_budget_import import PUBLISHED, changed, write


def upload(tmp_path, rows, name="2021年预算.csv"):
    return SimpleUploadedFile(name, write(tmp_path, rows, name=name).read_bytes())


def test_import_on_the_page(client_for, tmp_path, tree):
    client = client_for("a_auditor")
    page = client.get("/finance/budgets/import/")
    assert page.status_code == 200 and 'list="import-units"' in page.content.decode()
    response = client.post("/finance/budgets/import/", {"org": "A1X", "year": "2021", "file": upload(tmp_path, PUBLISHED)})
    budget = Budget.objects.get()
    assert response.status_code == 302 and response.url == f"/finance/budgets/{budget.pk}/"
    shown = client.get(response.url).content.decode()
    assert "甲市一区电子公司工会委员会 2021 年工会经费收支预算表" in shown and "2,139,904.21" in shown and "40306" in shown
    listed = client.get("/finance/budgets/?org=A1&year=2021").content.decode()
    assert "第 1 版" in listed and "2021年预算.csv" in listed


def test_a_refused_file_lists_the_lines_and_writes_nothing(client_for, tmp_path, tree):
    client = client_for("a_auditor")
    bad = changed("专项补助", 2, "373,300.00")
    page = client.post("/finance/budgets/import/", {"org": "A1X", "year": "2021", "file": upload(tmp_path, bad, "坏.csv")})
    text = page.content.decode()
    assert page.status_code == 200 and "文件被拒绝，系统中的数据未做任何改动" in text
    assert "文件「坏.csv」第 7 行「上年决算数」列" in text and "712,300.00" in text
    assert not Budget.objects.exists()
    # a form error: no year, no file
    page = client.post("/finance/budgets/import/", {"org": "A1X", "year": "abc"})
    assert "预算年度应为四位年份" in page.content.decode() and "请选择要导入的文件" in page.content.decode()


def test_scope(client_for, tmp_path, tree):
    budget = import_budget(write(tmp_path, PUBLISHED), org=tree["A1X"], year=2021)
    b_auditor = client_for("b_auditor")
    assert b_auditor.get(f"/finance/budgets/{budget.pk}/").status_code == 404
    assert "尚未导入预算表" in b_auditor.get("/finance/budgets/").content.decode()
    # a unit outside the importer's scope answers like an unknown one, and nothing is written
    response = b_auditor.post("/finance/budgets/import/", {"org": "A1X", "year": "2021", "file": upload(tmp_path, PUBLISHED)})
    assert response.status_code == 404 and Budget.objects.count() == 1
    # the audited unit's contact reads its own budget and imports for it; the leader reads it
    assert client_for("contact").get(f"/finance/budgets/{budget.pk}/").status_code == 200
    assert client_for("leader").get(f"/finance/budgets/{budget.pk}/").status_code == 200
    assert client_for("leader").get("/finance/budgets/import/").status_code == 404  # 领导查阅 imports nothing
    # a foreign unit in the filter is ignored with a message
    text = b_auditor.get("/finance/budgets/?org=A1X").content.decode()
    assert "不存在或不在您的查看范围内，已忽略该条件" in text
