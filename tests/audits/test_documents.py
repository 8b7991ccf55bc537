"""The .docx documents of 作业管理 (jingshen.audits.documents): content, GB/T 9704 layout read
back from the files, amounts in figures and capitals, deterministic bytes, hostile text."""

import io
import zipfile
from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Emu

from jingshen.audits.documents import (
    FONT_BODY,
    FONT_H1,
    FONT_H2,
    FONT_PAGE_NUMBER,
    FONT_TITLE,
    AuditNoticeData,
    AuditReportData,
    CitationData,
    ContactData,
    FindingData,
    RectificationItemData,
    RectificationNoticeData,
    ScreeningSummaryData,
    amount_in_capitals,
    amount_in_figures,
    build_audit_notice,
    build_audit_report,
    build_draft_report,
    build_rectification_notice,
    format_years,
)

ISSUER = "甲市总工会经费审查委员会"
AUDITEE = "甲市一区电子公司工会委员会"

CARDS = FindingData(
    problem_type="违规发放",
    title="以购物卡形式发放节日慰问品",
    description="2025年春节、中秋节期间，该单位购买超市购物卡86张发放给会员。\n其中中秋节发放36张",
    amount=Decimal("12345.60"),
    basis=(CitationData(regulation="基层工会经费收支管理办法", version="总工办发〔2017〕32号", article="第十条",
                        text="不得发放购物卡、代金券"),),
    recommendation="立即停止发放购物卡，追究相关人员责任",
    reference="底稿 DG-03",
)
BIRTHDAY = FindingData(problem_type="违规发放", title="超标准发放生日慰问", description="生日慰问每人500元",
                       amount=Decimal("1000000.01"))
VOUCHERS = FindingData(problem_type="会计核算不规范", title="原始凭证不完整", description="部分支出凭证缺少签收表")

REPORT = AuditReportData(
    issuer=ISSUER, addressee=AUDITEE, issue_date=date(2026, 12, 2), doc_number="经审报〔2026〕3号",
    auditee=AUDITEE, matter="财务收支情况", fiscal_years=(2025, 2024),
    fieldwork_start=date(2026, 11, 2), fieldwork_end=date(2026, 11, 20),
    basic_facts=("该单位有会员120人，2025年收入合计465,000.00元。",),
    scope_and_method=("审计组采取了审阅、核对、询问等方法。",),
    screening=ScreeningSummaryData(run_ref="第12次筛查", run_date=date(2026, 11, 1), rule_count=44,
                                   voucher_count=1234, line_count=5678, flag_count=37, confirmed_count=5,
                                   dismissed_count=32),
    findings=(CARDS, BIRTHDAY, VOUCHERS),
    recommendations=("健全经费收支内部控制制度",),
    feedback_deadline=date(2026, 12, 12),
    feedback_contact=ContactData(name="张三", phone="0571-12345678"),
)
NOTICE = AuditNoticeData(
    issuer=ISSUER, addressee=AUDITEE, issue_date=date(2026, 10, 28), doc_number="经审通〔2026〕3号",
    matter="财务收支情况", fiscal_years=(2025,), team_leader="张三", team_members=("李四", "王五"),
    start_date=date(2026, 11, 2), scope="必要时将追溯到相关年度", materials_due=date(2026, 11, 2),
    discipline_reference="承诺书见附件", supervision_contact=ContactData(name="甲市总工会经审办", phone="0571-87654321"),
    contact=ContactData(name="李四", phone="13800000000"), attachments=("审计组成员遵守审计工作纪律承诺书",),
)
RECTIFICATION = RectificationNoticeData(
    issuer=ISSUER, addressee=AUDITEE, issue_date=date(2026, 12, 20), doc_number="经审整〔2026〕3号",
    report_title="关于甲市一区电子公司工会委员会2024年度至2025年度财务收支情况的审计报告",
    report_number="经审报〔2026〕3号", report_date=date(2026, 12, 2),
    items=(RectificationItemData(finding=CARDS, deadline=date(2027, 1, 31)),
           RectificationItemData(finding=VOUCHERS, deadline=date(2027, 2, 18), requirement="补齐凭证附件")),
    report_back_by=date(2027, 3, 1), contact=ContactData(name="李四", phone="13800000000"),
)

BUILDERS = {
    "notice": (build_audit_notice, NOTICE),
    "draft": (build_draft_report, REPORT),
    "report": (build_audit_report, REPORT),
    "rectification": (build_rectification_notice, RECTIFICATION),
}


def open_docx(blob: bytes):
    return docx.Document(io.BytesIO(blob))


def texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def full_text(document) -> str:
    return "\n".join(texts(document))


def east_asia(style) -> str | None:
    fonts = style.element.rPr.find(qn("w:rFonts"))
    return fonts.get(qn("w:eastAsia"))


# --- amounts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("0", "人民币零元整"),
    ("0.00", "人民币零元整"),
    ("-0.00", "人民币零元整"),
    ("0.05", "人民币伍分"),
    ("0.50", "人民币伍角"),
    ("10.00", "人民币壹拾元整"),
    ("12345.6", "人民币壹万贰仟叁佰肆拾伍元陆角"),
    ("1000000.01", "人民币壹佰万元零壹分"),
    ("100000010.10", "人民币壹亿零壹拾元壹角"),
    # the examples of 《正确填写票据和结算凭证的基本规定》
    ("1409.50", "人民币壹仟肆佰零玖元伍角"),
    ("6007.14", "人民币陆仟零柒元壹角肆分"),
    ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分"),
    ("325.04", "人民币叁佰贰拾伍元零肆分"),
    ("1E+3", "人民币壹仟元整"),  # a Decimal that prints in exponent form
    ("9999999999999999.99", "人民币玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
])
def test_amount_in_capitals(value, expected):
    assert amount_in_capitals(Decimal(value)) == expected


def test_amount_in_capitals_takes_whole_yuan_as_int():
    assert amount_in_capitals(10) == "人民币壹拾元整"


@pytest.mark.parametrize("value, error", [
    (Decimal("-0.01"), ValueError),
    (Decimal("-12345.60"), ValueError),
    (Decimal("0.001"), ValueError),  # fractions of a 分
    (Decimal("NaN"), ValueError),
    (Decimal("Infinity"), ValueError),
    (Decimal("10000000000000000"), ValueError),  # beyond DECIMAL(18,2)
    (12.5, TypeError),  # never float for money
    ("12.50", TypeError),
    (True, TypeError),
])
def test_amount_in_capitals_refuses(value, error):
    with pytest.raises(error):
        amount_in_capitals(value)


@pytest.mark.parametrize("value, expected", [
    ("12345.6", "12,345.60 元"),
    ("0", "0.00 元"),
    ("-0.00", "0.00 元"),
    ("1E+3", "1,000.00 元"),
    ("1000000.01", "1,000,000.01 元"),
    ("-5.5", "-5.50 元"),
])
def test_amount_in_figures(value, expected):
    assert amount_in_figures(Decimal(value)) == expected


def test_amount_in_figures_refuses_fractions_of_a_fen():
    with pytest.raises(ValueError):
        amount_in_figures(Decimal("1.005"))


def test_format_years():
    assert format_years([2025]) == "2025年度"
    assert format_years([2025, 2024, 2024]) == "2024年度至2025年度"
    assert format_years([2022, 2024]) == "2022、2024年度"
    with pytest.raises(ValueError):
        format_years([])


# --- layout -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", BUILDERS)
def test_page_setup_is_gbt_9704(kind):
    build, data = BUILDERS[kind]
    document = open_docx(build(data))
    (section,) = document.sections
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    for margin, mm in (("top_margin", 37), ("bottom_margin", 35), ("left_margin", 28), ("right_margin", 26)):
        assert getattr(section, margin).mm == pytest.approx(mm, abs=0.05), margin
    text_width = Emu(section.page_width - section.left_margin - section.right_margin)
    text_height = Emu(section.page_height - section.top_margin - section.bottom_margin)
    assert text_width.mm == pytest.approx(156, abs=0.1) and text_height.mm == pytest.approx(225, abs=0.1)
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"  # 28.95 pt: 22 lines in 225 mm


@pytest.mark.parametrize("kind", BUILDERS)
def test_styles_name_the_official_fonts(kind):
    build, data = BUILDERS[kind]
    document = open_docx(build(data))
    styles = document.styles
    body = styles["Normal"]
    assert east_asia(body) == FONT_BODY == "仿宋_GB2312"
    assert body.font.size.pt == 16  # 3号
    assert body.font.name == "Times New Roman"
    assert body.paragraph_format.line_spacing.pt == pytest.approx(28.95, abs=0.05)  # exact
    assert body.paragraph_format.first_line_indent.pt == 32  # two characters
    assert body.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert body.element.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    title = styles["公文标题"]
    assert east_asia(title) == FONT_TITLE == "方正小标宋简体"
    assert title.font.size.pt == 22  # 2号
    assert title.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert east_asia(styles["公文一级标题"]) == FONT_H1 == "黑体"
    assert east_asia(styles["公文二级标题"]) == FONT_H2 == "楷体_GB2312"
    assert styles["公文一级标题"].font.size.pt == styles["公文二级标题"].font.size.pt == 16
    number = styles["公文页码"]
    assert east_asia(number) == FONT_PAGE_NUMBER == "宋体" and number.font.name == "宋体"
    assert number.font.size.pt == 14  # 4号
    assert styles["公文落款"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    # No theme font anywhere in our styles or the defaults: it would override the names above.
    defaults = styles.element.find(qn("w:docDefaults"))
    for element in [defaults, *(styles[name].element for name in ("Normal", "公文标题", "公文一级标题", "公文二级标题"))]:
        for fonts in element.iter(qn("w:rFonts")):
            assert not [attr for attr in fonts.attrib if attr.lower().endswith("theme")]
    assert defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia")) == FONT_BODY


def test_font_table_declares_the_official_fonts_with_their_english_names():
    blob = build_audit_report(REPORT)
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        table = z.read("word/fontTable.xml").decode()
        names = z.namelist()
    for name, alt in ((FONT_TITLE, "FZXiaoBiaoSong-B05S"), (FONT_BODY, "FangSong_GB2312"), (FONT_H1, "SimHei"),
                      (FONT_H2, "KaiTi_GB2312"), (FONT_PAGE_NUMBER, "SimSun")):
        assert f'w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>' in table
    assert "docProps/thumbnail.jpeg" not in names and "word/stylesWithEffects.xml" not in names


@pytest.mark.parametrize("kind", BUILDERS)
def test_page_numbers_at_the_outer_edge(kind):
    build, data = BUILDERS[kind]
    document = open_docx(build(data))
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    for footer, alignment in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        (p,) = footer.paragraphs
        assert p.style.name == "公文页码"
        assert p.paragraph_format.alignment == alignment
        assert p.text == "— 1 —"  # the PAGE field's cached result between the 一字线
        assert "PAGE" in p._p.xml and 'w:fldCharType="begin"' in p._p.xml
    assert section.footer.paragraphs[0].paragraph_format.right_indent.pt == 14  # 空一字
    assert section.even_page_footer.paragraphs[0].paragraph_format.left_indent.pt == 14


# --- content ------------------------------------------------------------------------------------


def test_audit_notice():
    document = open_docx(build_audit_notice(NOTICE))
    lines = texts(document)
    styled = [(p.style.name, p.text) for p in document.paragraphs]
    assert styled[:3] == [("公文标题", ISSUER), ("公文标题", "审计通知书"), ("公文发文字号", "经审通〔2026〕3号")]
    assert f"{AUDITEE}：" in lines
    text = full_text(document)
    for expected in ("《中华人民共和国工会法》《中国工会审计条例》", "自2026年11月2日起", "2025年度财务收支情况进行审计",
                     "必要时将追溯到相关年度", "审计组组长：张三", "审计组成员：李四、王五", "于2026年11月2日前",
                     "会计凭证", "“四严禁”“八不准”（承诺书见附件）", "0571-87654321", "联系人：李四，联系电话：13800000000",
                     "附件：审计组成员遵守审计工作纪律承诺书"):
        assert expected in text, expected
    assert ("公文一级标题", "一、审计组组成") in styled
    assert styled[-2:] == [("公文落款", ISSUER), ("公文落款", "2026年10月28日")]
    assert document.core_properties.title == f"{ISSUER}审计通知书"


def test_audit_report():
    document = open_docx(build_audit_report(REPORT))
    styled = [(p.style.name, p.text) for p in document.paragraphs]
    title = f"关于{AUDITEE}2024年度至2025年度财务收支情况的审计报告"
    assert styled[:2] == [("公文标题", title), ("公文发文字号", "经审报〔2026〕3号")]
    text = full_text(document)
    assert "征求意见" not in text
    for h1 in ("一、基本情况", "二、审计范围和方法", "三、审计发现的主要问题", "四、审计意见和建议"):
        assert ("公文一级标题", h1) in styled
    # grouped by problem type, in the order first seen
    assert [t for s, t in styled if s == "公文二级标题"] == ["（一）违规发放", "（二）会计核算不规范"]
    assert [t for s, t in styled if s == "公文三级标题"] == [
        "1.以购物卡形式发放节日慰问品（底稿 DG-03）", "2.超标准发放生日慰问", "1.原始凭证不完整"]
    for expected in (
        "该单位购买超市购物卡86张发放给会员。", "其中中秋节发放36张。", "部分支出凭证缺少签收表。",
        "涉及金额12,345.60 元（人民币壹万贰仟叁佰肆拾伍元陆角）。",
        "涉及金额1,000,000.01 元（人民币壹佰万元零壹分）。",
        "涉及金额合计1,012,345.61 元（人民币壹佰零壹万贰仟叁佰肆拾伍元陆角壹分）",
        "本次审计共发现问题3个",
        "上述问题不符合《基层工会经费收支管理办法》（总工办发〔2017〕32号）第十条“不得发放购物卡、代金券”的规定。",
        "1.关于“以购物卡形式发放节日慰问品”问题，立即停止发放购物卡，追究相关人员责任。", "2.健全经费收支内部控制制度。",
        "运行筛查规则44条", "共筛查凭证1,234张、分录5,678条，提示疑点37条", "确认属实5条，排除32条",
        "于2026年11月2日至2026年11月20日",
    ):
        assert expected in text, expected
    assert styled[-1] == ("公文落款", "2026年12月2日")


def test_draft_report_is_marked_and_has_a_feedback_deadline():
    document = open_docx(build_draft_report(REPORT))
    styled = [(p.style.name, p.text) for p in document.paragraphs]
    assert styled[1] == ("公文副标题", "（征求意见稿）")
    assert "公文发文字号" not in [s for s, _ in styled]  # not issued yet
    text = full_text(document)
    assert "于2026年12月12日前将书面意见反馈审计组（联系人：张三，联系电话：0571-12345678）" in text
    assert "逾期未反馈的，视同无异议。" in text
    assert "人民币壹万贰仟叁佰肆拾伍元陆角" in text
    assert document.core_properties.title.endswith("审计报告（征求意见稿）")
    with pytest.raises(ValueError, match="反馈期限"):
        build_draft_report(replace(REPORT, feedback_deadline=None))


def test_report_without_findings():
    text = full_text(open_docx(build_audit_report(replace(REPORT, findings=(), recommendations=()))))
    assert "本次审计未发现需要报告的问题。" in text
    assert "审计意见和建议" not in text


def test_rectification_notice():
    document = open_docx(build_rectification_notice(RECTIFICATION))
    styled = [(p.style.name, p.text) for p in document.paragraphs]
    assert styled[:3] == [("公文标题", ISSUER), ("公文标题", "审计整改通知书"), ("公文发文字号", "经审整〔2026〕3号")]
    text = full_text(document)
    for expected in (
        "于2026年12月2日向你单位出具《关于甲市一区电子公司工会委员会2024年度至2025年度财务收支情况的审计报告》（经审报〔2026〕3号）",
        "其中中秋节发放36张。", "涉及金额12,345.60 元（人民币壹万贰仟叁佰肆拾伍元陆角）。",
        "整改要求：立即停止发放购物卡，追究相关人员责任。", "整改期限：2027年1月31日前。",
        "整改要求：补齐凭证附件。", "整改期限：2027年2月18日前。",
        "请你单位于2027年3月1日前将整改结果书面报送本会", "1.每个问题的整改措施、整改结果及完成时间。",
    ):
        assert expected in text, expected
    assert [t for s, t in styled if s == "公文二级标题"] == ["（一）以购物卡形式发放节日慰问品（底稿 DG-03）", "（二）原始凭证不完整"]
    with pytest.raises(ValueError):
        build_rectification_notice(replace(RECTIFICATION, items=()))


def test_negative_finding_amount_is_refused():
    bad = replace(REPORT, findings=(replace(CARDS, amount=Decimal("-1.00")),))
    with pytest.raises(ValueError, match="负数"):
        build_audit_report(bad)
    with pytest.raises(ValueError, match="负数"):
        build_rectification_notice(replace(RECTIFICATION, items=(RectificationItemData(
            finding=bad.findings[0], deadline=date(2027, 1, 31)),)))


# --- determinism --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", BUILDERS)
def test_same_input_same_bytes(kind):
    build, data = BUILDERS[kind]
    first = build(data)
    assert build(data) == first
    assert build(replace(data)) == first
    changed = build(replace(data, issue_date=date(2027, 1, 5)))
    assert changed != first
    props = open_docx(first).core_properties
    expected = datetime(data.issue_date.year, data.issue_date.month, data.issue_date.day, tzinfo=timezone.utc)
    assert props.created == props.modified == expected
    assert props.author == ISSUER
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {info.date_time for info in z.infolist()} == {(*data.issue_date.timetuple()[:3], 0, 0, 0)}


# --- hostile text -------------------------------------------------------------------------------

HOSTILE = "{{ project.code }}{% if 1 %}<w:t>x</w:t></w:r><script>&amp;\x00\x0b\x0c\x1f\x7f\ud800\ufffe"


def test_hostile_text_is_literal_and_xml_safe():
    finding = FindingData(problem_type="违规发放" + HOSTILE, title="标题" + HOSTILE,
                          description="第一段" + HOSTILE + "\r\n第二段\t{{ x }}", amount=Decimal("1.00"),
                          basis=(CitationData(regulation=HOSTILE, article="第\x00一条"),), recommendation=HOSTILE)
    report = replace(REPORT, auditee="单位" + HOSTILE, addressee="单位" + HOSTILE, findings=(finding,),
                     basic_facts=(HOSTILE,), doc_number="经审〔2026〕\x003号")
    literal = "{{ project.code }}{% if 1 %}<w:t>x</w:t></w:r><script>&amp;"
    for blob in (build_audit_report(report), build_draft_report(report),
                 build_rectification_notice(replace(RECTIFICATION, addressee=HOSTILE, report_title=HOSTILE,
                                                    items=(RectificationItemData(finding=finding, deadline=date(2027, 1, 1)),))),
                 build_audit_notice(replace(NOTICE, addressee=HOSTILE, team_members=(HOSTILE,), matter=HOSTILE,
                                            contact=ContactData(name=HOSTILE, phone="\x00")))):
        document = open_docx(blob)
        text = full_text(document)
        assert literal in text
        for bad in ("\x00", "\x0b", "\x0c", "\x1f", "\x7f", "\ufffe"):
            assert bad not in text
        # the markup-looking text is character data, not elements
        assert not document.element.body.xpath("//w:script")
        assert len(document.element.body.xpath('//w:t[text()="x"]')) == 0
    text = full_text(open_docx(build_audit_report(report)))
    assert "第二段 {{ x }}" in text  # a tab became a space, the line break a new paragraph
    assert "经审〔2026〕3号" in text
