"""The main journey end to end in a real browser, in one test and in order: 登录 → 门户 → 导入凭证 →
发起筛查 → 查看疑点 → 建立审计项目 → 核实疑点 → 生成报告 → 整改 → 归档. The 审计员 logs in, lands on the
portal, imports last year's vouchers of the audited unit on the 数据采集 page, starts a screening run
and opens a flag; then one audit project goes from 立项 to 归档, every step taken through the pages by
the role the workflow names — the 经审负责人 (approves, reviews the workpaper, ends the review, issues
the report, archives), the 组长 (plans, serves the notice, assigns flags, signs the review, writes the
documents, accepts the rectification), a member (verifies flags, writes the finding and the
workpaper) and the audited unit's contact (answers the draft report, reports the rectification).
Only units and users are made through services. Screenshots go to test-artifacts/ (journey-*.png),
and the Chinese text of each main page is checked to be drawn with a CJK font."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from jingshen.accounts.models import RoleCode, User
from jingshen.accounts.services import create_user
from jingshen.audits.models import AuditProject, Finding, FlagVerification, Rectification, ReviewNote, Stage, Workpaper
from jingshen.orgs.models import Org
from jingshen.screening.models import ScreeningRun
from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_chinese_rendered, assert_fits_width, log_in
from tests.ledger.conftest import write
from tests.screening.conftest import entry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CODE = "经审〔2026〕9号"
NAME = "甲市一区电子公司工会经费收支审计"
DESCRIPTION = "以工会经费购买慰问购物卡 18,000.00 元发放给职工，违反工会经费不得发放购物卡、储值卡的规定。"
BASIS = "《基层工会经费收支管理办法》第十二条"
DISMISS_REASON = "经核对为代会员统一购买的超市提货券，已由个人全额退款，附退款凭证。"


@pytest.fixture
def audit_setup(catalogues, personas, tree, tmp_path):
    """The 经审会 of county A1 (经审负责人 赵建国, 组长 钱立新, 审计员 孙晓梅 — personas' a1_auditor), the
    contact 李红 of the audited unit A1X, and the file of last year's vouchers of A1X with two 购物卡
    payments, which the journey imports."""
    a1 = Org.objects.get(code="A1")
    director = create_user(org=a1, username="a1_director", password=PASSWORD, roles=[RoleCode.DIRECTOR], display_name="赵建国")
    lead = create_user(org=a1, username="a1_lead", password=PASSWORD, roles=[RoleCode.TEAM_LEAD], display_name="钱立新")
    User.objects.filter(username="a1_auditor").update(display_name="孙晓梅")
    User.objects.filter(username="contact").update(display_name="李红")
    year = timezone.localdate().year - 1
    rows = entry(1, f"{year}-03-15", "50104", "102", "18000.00", "购买慰问购物卡", "银泰百货")
    rows += entry(2, f"{year}-05-20", "50104", "102", "2600.00", "购买超市购物卡")
    rows += entry(3, f"{year}-06-10", "50102", "102", "800.00", "职工篮球赛场地费")
    return {"director": director, "lead": lead, "year": year, "vouchers": write(tmp_path / "甲市一区电子公司凭证.csv", rows)}


@pytest.fixture(autouse=True)
def _patient_expect():
    """Four people take some forty steps on a live server sharing two cores with the browser:
    give each wait more than the default 5 s, and restore the default for the other tests."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def people(browser, live_server, audit_setup):
    """people("a1_lead") -> a page of that user's own browser (own cookies), logged in once."""
    contexts, pages = [], {}

    def page_of(username):
        if username not in pages:
            context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN", accept_downloads=True)
            contexts.append(context)
            pages[username] = context.new_page()
            log_in(pages[username], live_server, username)
        return pages[username]

    yield page_of
    for context in contexts:
        context.close()


def message(page):
    return page.locator(".message")


def open_project(page, live_server, project_id):
    page.goto(f"{live_server.url}/audits/{project_id}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)


def advance(page, to_label, note=""):
    """Press 转到「to_label」 in the 流程 panel (with its 说明), and wait for the stage tag."""
    form = page.locator("#workflow form", has=page.get_by_role("button", name=f"转到「{to_label}」"))
    if note:
        form.get_by_label("说明").fill(note)
    form.get_by_role("button", name=f"转到「{to_label}」").click()
    expect(page.locator("h1 .tag")).to_have_text(to_label)


def docx_text(path) -> str:
    from docx import Document

    doc = Document(path)
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_the_main_journey_from_login_to_archive(people, live_server, audit_setup, artifacts, tmp_path):
    year = audit_setup["year"]
    today = timezone.localdate()

    # --- 登录 → 门户: the 审计员 logs in and lands on the portal ------------------------------------
    member = people("a1_auditor")
    expect(member).to_have_url(live_server.url + "/")
    expect(member.locator("nav.sidebar li.active")).to_have_text("门户")
    assert_chinese_rendered(member)
    assert_fits_width(member)
    member.screenshot(path=str(artifacts / "journey-01-portal.png"), full_page=True)

    # --- 导入凭证 on the 数据采集 page ------------------------------------------------------------------
    member.get_by_role("navigation", name="主菜单").get_by_role("link", name="数据采集").click()
    member.get_by_label("数据类型").select_option("vouchers")
    member.get_by_label("文件", exact=True).set_input_files(str(audit_setup["vouchers"]))
    member.get_by_role("button", name="上传并导入").click()
    expect(member.locator("#job-status")).to_contain_text("已完成")
    expect(member.locator("#job-status")).to_contain_text("共 6 行凭证分录")
    assert_chinese_rendered(member)
    assert_fits_width(member)
    member.screenshot(path=str(artifacts / "journey-02-import.png"), full_page=True)

    # --- 发起筛查: the 购物卡 rule over the county's data ---------------------------------------------
    member.get_by_role("navigation", name="主菜单").get_by_role("link", name="疑点筛查").click()
    expect(member.get_by_label("会计年度")).to_have_value(str(year))
    expect(member.get_by_label("筛查范围")).to_have_value("A1")
    member.get_by_text("选择规则").click()
    member.get_by_role("button", name="全不选").click()
    member.get_by_label("JS-CARD-001", exact=False).check()
    member.get_by_role("button", name="开始筛查").click()
    expect(member.locator("#flags")).to_contain_text("JS-CARD-001", timeout=60_000)
    run = ScreeningRun.objects.get()
    assert run.status == "done" and run.flags.count() == 2
    expect(member.locator("#ranking")).to_contain_text("甲市一区电子公司工会委员会")
    expect(member.locator("#ranking-title ~ p").first).to_contain_text("共 1 个单位")
    expect(member.locator("#flags tbody tr")).to_have_count(2)
    member.wait_for_timeout(1000)  # the ranking chart animates its bars
    assert_chinese_rendered(member)
    assert_fits_width(member)
    member.screenshot(path=str(artifacts / "journey-03-screening-run.png"), full_page=True)

    # --- 查看疑点: the flag with its voucher; the breadcrumb leads back to the run ----------------------
    member.locator("#flags tbody tr", has_text="18,000.00").get_by_role("link").click()
    expect(member.locator("body")).to_contain_text("购买慰问购物卡")
    expect(member.locator("nav.breadcrumb")).to_contain_text(f"筛查 #{run.pk}")
    assert_chinese_rendered(member)
    assert_fits_width(member)
    member.screenshot(path=str(artifacts / "journey-04-flag.png"), full_page=True)
    member.locator("nav.breadcrumb").get_by_role("link", name=f"筛查 #{run.pk}").click()
    expect(member.locator("#flags")).to_be_visible()

    # --- 立项 by the 组长 -------------------------------------------------------------------------
    lead = people("a1_lead")
    lead.get_by_role("navigation", name="主菜单").get_by_role("link", name="审计作业").click()
    lead.get_by_role("link", name="审计立项").click()
    expect(lead.get_by_role("heading", name="审计立项")).to_be_visible()
    lead.get_by_label("项目编号").fill(CODE)
    lead.get_by_label("项目名称").fill(NAME)
    lead.get_by_label("审计类型").select_option(label="财务收支审计")
    lead.get_by_label("甲市一区电子公司工会委员会").check()
    expect(lead.get_by_label(f"{year} 年")).to_be_checked()  # last year is the default
    lead.get_by_label("计划结束").fill((today + datetime.timedelta(days=60)).isoformat())
    lead.get_by_label("通知书提前送达天数").fill("0")  # the notice is served and fieldwork starts today
    expect(lead.get_by_label("组长")).to_have_value("a1_lead")
    lead.get_by_role("checkbox", name="孙晓梅").check()
    lead.get_by_role("button", name="提交立项").click()
    expect(lead.get_by_role("heading", level=1)).to_contain_text(NAME)
    expect(lead.locator("h1 .tag")).to_have_text("立项")
    project = AuditProject.objects.get(code=CODE)
    pid = project.pk
    # the completed run over the pinned vouchers is the project's: its flags are the project's flags
    expect(lead.locator("#pins")).to_contain_text("第 1 版")
    expect(lead.locator("#runs")).to_contain_text(f"{year} 年：筛查 #{run.pk}（已完成）")
    assert list(project.screening_runs.all()) == [run]
    # only the 经审负责人 approves
    expect(lead.get_by_role("button", name="转到「审前调查」")).to_be_disabled()

    # --- 立项审批 by the 经审负责人 -------------------------------------------------------------------
    director = people("a1_director")
    director.get_by_role("navigation", name="主菜单").get_by_role("link", name="审计作业").click()
    director.locator("#projects").get_by_role("link", name=CODE).click()
    advance(director, "审前调查", "同意立项")
    expect(director.locator("table.fields").first).to_contain_text("立项审批")
    expect(director.locator("table.fields").first).to_contain_text("赵建国")

    # --- the team acknowledges the audit discipline before opening the project's data ------------
    open_project(member, live_server, pid)
    expect(member.locator("#discipline")).to_contain_text("四严禁、八不准")
    expect(member.locator("#pins").get_by_role("link", name="第 1 版")).to_have_count(0)  # no data yet
    expect(member.locator("#workpapers-link")).to_have_count(0)
    member.get_by_role("button", name="我已阅读并承诺遵守审计纪律").click()
    expect(member.locator("#discipline")).to_have_count(0)
    expect(member.locator("#team tr", has_text="孙晓梅")).to_contain_text("已确认")
    expect(member.locator("#pins").get_by_role("link", name="第 1 版")).to_be_visible()

    lead.reload()
    lead.get_by_role("button", name="我已阅读并承诺遵守审计纪律").click()
    expect(lead.locator("#team tr", has_text="钱立新")).to_contain_text("已确认")

    # --- 实施方案 and 审计通知书 by the 组长 ------------------------------------------------------------
    advance(lead, "实施方案")
    lead.get_by_text("编写实施方案", exact=True).click()
    lead.get_by_label("审计目标").fill("检查工会经费收支的真实性、合法性和合规性。")
    lead.get_by_label("审计重点").fill("慰问品发放、购物卡、大额现金支付。")
    lead.get_by_label("审计方法和步骤").fill("疑点筛查，抽查凭证，访谈经办人。")
    lead.get_by_label("人员分工").fill("钱立新负责全面工作；孙晓梅核实疑点、编制底稿。")
    lead.get_by_role("button", name="保存", exact=True).click()
    expect(lead.locator("#plan")).to_contain_text("慰问品发放、购物卡")
    lead.get_by_role("button", name="生成审计通知书（.docx）").click()
    expect(lead.locator("#documents")).to_contain_text(f"{CODE} 审计通知书")
    advance(lead, "审计通知")
    expect(lead.locator("table.fields").first).to_contain_text(f"审计通知书 {today:%Y-%m-%d} 送达")
    advance(lead, "实施")
    assert_chinese_rendered(lead)
    assert_fits_width(lead)
    lead.screenshot(path=str(artifacts / "journey-05-project-fieldwork.png"), full_page=True)

    # --- 疑点核实: the 组长 assigns both flags to the member ---------------------------------------------
    lead.locator("#verification-links").get_by_role("link", name="疑点核实").click()
    expect(lead.get_by_role("heading", level=1)).to_contain_text("疑点核实")
    flags = lead.locator("#project-flags tbody tr")
    expect(flags).to_have_count(2)
    for voucher in ("记-1/1", "记-2/1"):
        lead.locator("#project-flags tbody tr", has_text=voucher).locator("td").nth(6).get_by_role("link").click()
        lead.locator("#assign").get_by_label("核实人").select_option(label="孙晓梅")
        lead.locator("#assign").get_by_role("button", name="分派").click()
        expect(message(lead)).to_have_text("已分派。")
        expect(lead.locator("#verification")).to_contain_text("孙晓梅")
        lead.get_by_role("link", name="疑点核实", exact=True).click()
    expect(lead.locator("#project-flags tbody tr", has_text="孙晓梅")).to_have_count(2)

    # --- the member verifies them: one 属实, one 排除 with a reason ---------------------------------
    member.goto(f"{live_server.url}/audits/{pid}/flags/")
    member.get_by_label("核实人").select_option(label="孙晓梅")
    member.get_by_role("button", name="筛选").click()
    expect(member.locator("#project-flags tbody tr")).to_have_count(2)
    member.locator("#project-flags tbody tr", has_text="记-2/1").get_by_role("link", name="待核实").click()
    verify = member.locator("#verify")
    verify.get_by_label("排除", exact=True).check()
    verify.get_by_role("button", name="保存核实结果").click()
    expect(message(member)).to_have_text("排除疑点须写明理由。")  # refused without a reason
    verify.get_by_label("排除", exact=True).check()
    verify.get_by_label("排除理由").fill(DISMISS_REASON)
    verify.get_by_role("button", name="保存核实结果").click()
    expect(message(member)).to_have_text("已记录核实结果：排除。")
    expect(member.locator("#verification")).to_contain_text(DISMISS_REASON)

    member.get_by_role("link", name="疑点核实", exact=True).click()
    member.locator("#project-flags tbody tr", has_text="记-1/1").get_by_role("link", name="待核实").click()
    verify.get_by_label("属实").check()
    verify.get_by_label("核实说明").fill("凭证附银泰百货发票，购物卡已发放给 60 名职工，无领用登记。")
    verify.get_by_role("button", name="保存核实结果").click()
    expect(message(member)).to_have_text("已记录核实结果：属实。")
    expect(member.locator("h1 .tag")).to_have_text("属实")
    assert_chinese_rendered(member)
    assert_fits_width(member)
    member.screenshot(path=str(artifacts / "journey-06-verification.png"), full_page=True)
    confirmed = FlagVerification.objects.get(project=project, status="confirmed")
    assert confirmed.voucher_no == 1 and confirmed.verified_by.username == "a1_auditor"
    dismissed = FlagVerification.objects.get(project=project, status="dismissed")
    assert dismissed.voucher_no == 2 and dismissed.reason == DISMISS_REASON

    # --- a finding from the confirmed flag ---------------------------------------------------------
    member.get_by_role("link", name="据此新增审计发现").click()
    expect(member.get_by_role("heading", name="新增审计发现")).to_be_visible()
    expect(member.locator("#finding-form")).to_contain_text("据疑点核实：JS-CARD-001")
    member.get_by_label("问题类型").select_option(label="违规发放")
    member.get_by_label("问题标题").fill("违规发放购物卡")
    member.get_by_label("涉及金额（元）").fill("18,000.00")
    member.get_by_label("问题描述").fill(DESCRIPTION)
    member.get_by_label("定性依据").fill(BASIS)
    member.get_by_label("审计建议").fill("停止发放购物卡，追回或规范处理已发放的购物卡。")
    member.get_by_role("button", name="保存", exact=True).click()
    expect(message(member)).to_have_text("已保存审计发现。")
    expect(member.get_by_role("heading", level=1)).to_have_text("违规发放购物卡")
    expect(member.locator("#finding-verifications")).to_contain_text("JS-CARD-001")
    finding = Finding.objects.get(project=project)
    assert finding.amount == Decimal("18000.00") and list(finding.verifications.all()) == [confirmed]
    assert finding.vouchers == [[year, 3, "记", 1]]
    member.get_by_role("link", name="审计发现", exact=True).click()
    expect(member.locator("#findings")).to_contain_text("18,000.00")
    expect(member.get_by_text("涉及金额合计 18,000.00 元")).to_be_visible()

    # --- a workpaper, prepared by the member and submitted for review -----------------------------
    open_project(member, live_server, pid)
    member.locator("#workpapers-link").get_by_role("link").click()
    member.get_by_role("link", name="编制工作底稿").click()
    member.get_by_label("索引号").fill("B-1")
    member.get_by_label("审计事项").fill("慰问品和购物卡发放")
    member.get_by_label("所属期间（文字）").fill(f"{year} 年 1 月至 12 月")
    member.get_by_label("审计程序").fill("筛查摘要含购物卡的支出凭证 2 张，逐张核对发票、审批单和发放记录。")
    member.get_by_label("审计结论").fill("记-1 以工会经费购买购物卡 18,000.00 元发放给职工，属违规发放；记-2 已退款，排除。")
    member.get_by_label("依据（法规、制度条款）").fill(BASIS)
    member.get_by_role("button", name="保存底稿").click()
    expect(message(member)).to_have_text("已创建工作底稿「B-1」。")
    member.get_by_role("button", name="提交复核").click()
    expect(member.locator("#status")).to_have_text("待复核")
    workpaper_url = member.url

    # --- 复核意见: raised by the 经审负责人, answered by the preparer, closed; then the sign-off ---------
    director.goto(workpaper_url)
    director.get_by_label("提出复核意见").fill("请补充购物卡领用人签字名单，并注明发票号码。")
    director.get_by_role("button", name="提出").click()
    expect(director.locator("#notes")).to_contain_text("请补充购物卡领用人签字名单")
    director.get_by_role("button", name="复核签字").click()
    expect(message(director)).to_contain_text("还有 1 条复核意见未关闭，不能复核签字")

    member.reload()
    member.locator("#notes").get_by_role("textbox").fill("已补充 60 名职工的领用签字名单（取证材料 B-1-1），发票号码 No.04512377。")
    member.locator("#notes").get_by_role("button", name="答复").click()
    expect(member.locator("#notes")).to_contain_text("已答复")

    director.reload()
    director.locator("#notes").get_by_role("button", name="关闭").click()
    expect(director.locator("#notes")).to_contain_text("已关闭")
    director.get_by_role("button", name="复核签字").click()
    expect(director.locator("#status")).to_have_text("已复核")
    expect(director.locator("#workpaper")).to_contain_text("赵建国")
    director.screenshot(path=str(artifacts / "journey-07-workpaper-signed.png"), full_page=True)
    assert ReviewNote.objects.get().status == "closed"
    assert Workpaper.objects.get().reviewed_by == audit_setup["director"]

    # --- 复核: the 组长 ends fieldwork and signs; the 经审负责人 ends the review ---------------------
    open_project(lead, live_server, pid)
    advance(lead, "复核")
    lead.get_by_role("button", name="组长复核签字").click()
    expect(lead.locator("#workflow")).to_contain_text("组长已于")
    open_project(director, live_server, pid)
    advance(director, "征求意见", "复核完毕")

    # --- 征求意见: the draft report goes to the audited unit, whose contact answers on the platform ---
    open_project(lead, live_server, pid)
    lead.get_by_label("反馈期限").fill((today + datetime.timedelta(days=10)).isoformat())
    lead.get_by_role("button", name="生成征求意见稿并送被审计单位").click()
    expect(lead.locator("#documents")).to_contain_text(f"{CODE} 审计报告（征求意见稿）")
    expect(lead.locator("#requests")).to_contain_text("审计报告（征求意见稿）征求意见")

    contact = people("contact")
    contact.get_by_role("navigation", name="主菜单").get_by_role("link", name="审计作业").click()
    contact.locator("#projects").get_by_role("link", name=CODE).click()
    expect(contact.get_by_text("本单位是该项目的被审计单位")).to_be_visible()
    expect(contact.locator("#verification-links")).to_have_count(0)  # no flags, workpapers or team for the unit
    expect(contact.locator("#team")).to_have_count(0)
    expect(contact.locator("#documents")).to_contain_text("审计报告（征求意见稿）")
    request_row = contact.locator("#requests tbody tr", has_text="征求意见")
    request_row.get_by_role("textbox").fill("对审计发现无异议，将立即停止发放购物卡并整改。")
    request_row.get_by_role("button", name="提交答复").click()
    expect(contact.locator("#requests")).to_contain_text("对审计发现无异议")
    expect(contact.locator("#requests")).to_contain_text("李红")

    # --- 审计报告: generated, downloaded through the page, read back with python-docx --------------
    lead.reload()
    expect(lead.locator("#requests")).to_contain_text("对审计发现无异议")
    advance(lead, "审计报告")
    lead.get_by_role("button", name="生成审计报告（.docx）").click()
    report_link = lead.locator("#documents").get_by_role("link", name=f"{CODE} 审计报告", exact=True)
    expect(report_link).to_be_visible()
    assert_chinese_rendered(lead)
    assert_fits_width(lead)
    lead.screenshot(path=str(artifacts / "journey-08-report.png"), full_page=True)
    with lead.expect_download() as download:
        report_link.click()
    assert download.value.suggested_filename == f"{CODE} 审计报告.docx"
    report_path = tmp_path / "report.docx"
    download.value.save_as(report_path)
    text = docx_text(report_path)
    assert DESCRIPTION in text
    assert "18,000.00 元" in text and "人民币壹万捌仟元整" in text
    assert "违规发放" in text and BASIS in text and CODE in text

    # --- 整改: the 经审负责人 issues the report; the unit reports its measures; the 组长 accepts --------
    open_project(director, live_server, pid)
    advance(director, "整改", "报告已出具")
    expect(director.locator("#rectifications")).to_contain_text("违规发放购物卡")
    contact.reload()
    expect(contact.locator("#documents")).to_contain_text(f"{CODE} 审计报告")
    item = contact.locator("#rectifications tbody tr", has_text="违规发放购物卡")
    expect(item).to_contain_text("未整改")
    item.get_by_role("textbox").first.fill("已收回未使用的购物卡 40 张，其余按规定补办审批；修订慰问品发放制度。")
    item.get_by_label("责任人").fill("工会主席 周强")
    item.get_by_role("button", name="报送").click()
    expect(contact.locator("#rectifications")).to_contain_text("已收回未使用的购物卡 40 张")

    lead.reload()
    lead.locator("#rectifications tbody tr", has_text="违规发放购物卡").get_by_role("button", name="确认整改").click()
    expect(lead.locator("#rectifications tbody tr", has_text="违规发放购物卡")).to_contain_text("已整改")
    expect(lead.get_by_role("heading", name=re.compile("^整改"))).to_contain_text("共 1 项，已整改 1 项")
    assert Rectification.objects.get().status == "done"
    assert_chinese_rendered(lead)
    assert_fits_width(lead)
    lead.screenshot(path=str(artifacts / "journey-09-rectification.png"), full_page=True)

    # --- 归档 by the 经审负责人 -----------------------------------------------------------------------
    director.reload()
    advance(director, "归档", "整改完毕，归档")
    assert_chinese_rendered(director)
    assert_fits_width(director)
    director.screenshot(path=str(artifacts / "journey-10-archived.png"), full_page=True)
    project.refresh_from_db()
    assert project.stage == Stage.ARCHIVED and project.archived_at is not None
    history = list(project.history.values_list("to_stage", flat=True))
    assert history == ["initiation", "survey", "plan", "notice", "fieldwork", "review", "consultation", "report",
                       "rectification", "archived"]

    # --- archived: the forms and buttons are gone ... --------------------------------------------------
    for page in (director, lead):
        open_project(page, live_server, pid)
        expect(page.locator("#workflow")).to_have_count(0)
        expect(page.get_by_role("button", name=re.compile("^生成"))).to_have_count(0)
    lead.goto(f"{live_server.url}/audits/{pid}/verifications/{confirmed.pk}/")
    expect(lead.locator("#verification")).to_be_visible()
    expect(lead.locator("#assign, #verify, #to-finding")).to_have_count(0)
    member.goto(f"{live_server.url}/audits/{pid}/findings/{finding.pk}/")
    expect(member.locator("#finding")).to_contain_text(DESCRIPTION)  # read-only
    expect(member.locator("#finding-form")).to_have_count(0)
    member.goto(workpaper_url)
    expect(member.locator("#workpaper")).to_be_visible()
    expect(member.locator("#edit, #review-actions, #notes form, form[enctype]")).to_have_count(0)
    expect(member.get_by_role("button", name=re.compile("提交复核|复核签字|保存|上传|答复|提出"))).to_have_count(0)
    contact.reload()
    expect(contact.locator("#rectifications form")).to_have_count(0)

    # --- ... and a write posted directly is refused, in Chinese, with nothing changed ------------------
    refusal = f'<div class="message error">审计项目「{CODE}」已归档，不能再修改。</div>'

    def refused(response):
        """403/404, or the page the write came back to says, in Chinese, that the project is archived."""
        return response.status in (403, 404) or (response.ok and refusal in response.text())

    token = member.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    response = member.request.post(f"{live_server.url}/audits/{pid}/findings/{finding.pk}/", form={
        "csrfmiddlewaretoken": token, "problem_type": str(finding.problem_type_id), "org": "A1X", "title": "改过的标题",
        "amount": "1.00", "description": "改过的描述", "basis": "", "recommendation": "", "vouchers": ""})
    assert refused(response), (response.status, response.url)
    response = member.request.post(f"{workpaper_url}", form={
        "csrfmiddlewaretoken": token, "org": "A1X", "index_no": "B-9", "matter": "改过的事项", "procedures": "改",
        "conclusion": "改"})
    assert refused(response), (response.status, response.url)
    token = director.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    response = director.request.post(f"{live_server.url}/audits/{pid}/advance/",
                                      form={"csrfmiddlewaretoken": token, "to_stage": "rectification", "note": "重开"})
    assert refused(response), (response.status, response.url)
    item = Rectification.objects.get()
    token = contact.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    response = contact.request.post(f"{live_server.url}/audits/{pid}/rectifications/{item.pk}/",
                                    form={"csrfmiddlewaretoken": token, "action": "submit", "measures": "改过的整改措施"})
    assert refused(response), (response.status, response.url)

    finding.refresh_from_db()
    assert (finding.title, finding.amount, finding.description) == ("违规发放购物卡", Decimal("18000.00"), DESCRIPTION)
    assert Workpaper.objects.get().index_no == "B-1" and Workpaper.objects.get().matter == "慰问品和购物卡发放"
    assert AuditProject.objects.get(pk=pid).stage == Stage.ARCHIVED and project.history.count() == 10
    item.refresh_from_db()
    assert item.status == "done" and item.measures.startswith("已收回未使用的购物卡")
