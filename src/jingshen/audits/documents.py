"""作业管理 documents: the audit notice (审计通知书), the draft report (审计报告（征求意见稿）), the
report (审计报告) and the rectification notice (整改通知书) as .docx, in the layout of Chinese
official documents (GB/T 9704-2012 党政机关公文格式).

Pure functions: each takes a plain dataclass and returns the document's bytes; nothing here
touches the database, so the audits services map their models onto these dataclasses, store the
bytes and hash them (SHA-256) when they archive a document.

    build_audit_notice(AuditNoticeData)            -> bytes   审计通知书
    build_draft_report(AuditReportData)            -> bytes   审计报告（征求意见稿）
    build_audit_report(AuditReportData)            -> bytes   审计报告
    build_rectification_notice(RectificationNoticeData) -> bytes   整改通知书
    amount_in_figures(Decimal)  -> "12,345.60 元"
    amount_in_capitals(Decimal) -> "人民币壹万贰仟叁佰肆拾伍元陆角" (cn2an's "rmb" mode)

Layout (GB/T 9704-2012):

- A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm: a 156 × 225 mm text block.
- Body (Normal, Word's 正文): 3号 (16 pt) 仿宋_GB2312, justified, first line indented two
  characters, line spacing exactly 28.95 pt (225 mm / 22 lines, also the section's line grid);
  characters condensed by 0.25 pt so that 28 fit a line (16 pt ones would fit only 27). Not
  Word's character grid (``linesAndChars``): LibreOffice gives each 16 pt character two cells
  of a 15.8 pt grid and prints 14 spaced-out characters a line.
- Title (公文标题): 2号 (22 pt) 方正小标宋简体, centred, not condensed; the issuing body
  on the first title line, the kind of document on the second (审计通知书, 审计整改通知书) or one
  line 关于……的审计报告 for reports; a draft adds （征求意见稿） in 楷体 under it.
- 发文字号 (e.g. 经审〔2026〕3号) centred under the title in 仿宋, as audit documents customarily
  carry it; drafts carry none (a draft is not yet issued). 份号 is only for classified
  documents and is not printed.
- Headings: 一级 “一、” 3号 黑体, 二级 “（一）” 3号 楷体_GB2312, 三级 “1.” 仿宋 — indented like body
  text, with outline levels so Word's navigation pane lists them.
- 落款: the issuing body and the date right-aligned (the date four characters from the right
  margin, the body centred over it as far as the width allows), the date in Arabic figures
  (2026年12月2日).
- Page numbers: 4号 宋体 “— 1 —” about 7 mm below the text block, at the outer edge: odd pages
  right, even pages left, one character in from the margin (even/odd footers).

Fonts. Each style names the official font in ``w:eastAsia`` (python-docx sets only ``w:ascii``
and ``w:hAnsi``; the theme attributes the default template carries, which win over explicit
names, are removed) and Times New Roman for Latin letters and figures, with ``w:hint="eastAsia"``
so that Chinese punctuation (“”、——) takes the Chinese font. OOXML allows one name per
script and no fallback list, so no fallback is named in ``w:eastAsia``: a second name there
would replace the official font on the machines that have it. Instead the document's font table
declares each official font with its English name (``w:altName``: FangSong_GB2312, KaiTi_GB2312,
SimHei, SimSun, FZXiaoBiaoSong-B05S), the GB2312 character set and its family (roman for the
serif faces, swiss for 黑体): the hints Word and WPS use to pick an installed substitute (not
checked here: no Windows machine). LibreOffice falls back through fontconfig to an installed CJK
face (checked with LibreOffice 7.4 here: Noto Sans CJK for every face, as fontconfig knows no
alias for these names; docs/architecture.md shows the aliases that give serif faces). The layout does not depend on the substitute's metrics: line
spacing is exact and CJK faces share the same square advance, so lines and pages break where they
would with the official fonts.

Text. Every string from the caller is inserted as literal text runs, never read as markup or a
template; characters XML 1.0 cannot hold (NUL, \\x0b, \\x0c, other C0/C1 controls, lone
surrogates, U+FFFE/U+FFFF) are removed, tabs become spaces, and line breaks in multi-line fields
start new paragraphs (single-line fields fold them into spaces).

Determinism: the same input gives the same bytes. The core properties (created, modified) are
the document's date, and the package is re-zipped with fixed member timestamps (python-docx
stamps each member with the current time); the template's thumbnail and its Word 2010 copy of the
template's styles (stylesWithEffects.xml, stale once ours are set) are dropped.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation

import cn2an
from lxml import etree
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"

# --- fonts and sizes (GB/T 9704-2012) -----------------------------------------------------------

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_H1 = "黑体"
FONT_H2 = "楷体_GB2312"
FONT_PAGE_NUMBER = "宋体"
FONT_LATIN = "Times New Roman"
# name -> (altName: the font's English name, family) for the font table
FONT_TABLE = {
    FONT_TITLE: ("FZXiaoBiaoSong-B05S", "roman"),
    FONT_BODY: ("FangSong_GB2312", "roman"),
    FONT_H1: ("SimHei", "swiss"),
    FONT_H2: ("KaiTi_GB2312", "roman"),
    FONT_PAGE_NUMBER: ("SimSun", "roman"),
}

SIZE_2 = Pt(22)  # 2号
SIZE_3 = Pt(16)  # 3号
SIZE_4 = Pt(14)  # 4号
LINE_PITCH = Pt(28.95)  # 225 mm / 22 lines
INDENT_2_CHARS = Pt(32)
# 28 characters of 16 pt in 156 mm (442 pt) need a pitch of at most 15.79 pt: condense by 0.25 pt.
CHAR_SPACING_TWENTIETHS = -5

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
FOOTER_DISTANCE = Mm(21.5)  # an 18 pt footer line then starts ~7 mm below the text block

# Chinese style names: Word shows them to the user in its style pane.
STYLE_BODY = "Normal"  # shown by Word as 正文
STYLE_TITLE = "公文标题"
STYLE_SUBTITLE = "公文副标题"
STYLE_NUMBER = "公文发文字号"
STYLE_ADDRESSEE = "公文主送机关"
STYLE_H1 = "公文一级标题"
STYLE_H2 = "公文二级标题"
STYLE_H3 = "公文三级标题"
STYLE_SIGNATURE = "公文落款"
STYLE_PAGE_NUMBER = "公文页码"

# --- amounts ------------------------------------------------------------------------------------

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal(10) ** 16  # DECIMAL(18,2): 16 integer digits, also cn2an's limit


def _money(value: Decimal) -> Decimal:
    """A valid amount: Decimal (or int), finite, at most two decimals, within DECIMAL(18,2)."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError("金额必须是 Decimal 类型。")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError("金额不是有效数字。")
    if abs(value) >= MAX_AMOUNT:
        raise ValueError("金额超出范围（最多16位整数）。")
    try:
        rounded = value.quantize(CENT)
    except InvalidOperation:  # pragma: no cover - guarded by MAX_AMOUNT
        raise ValueError("金额超出范围。") from None
    if rounded != value:
        raise ValueError("金额最多保留两位小数（分）。")
    return rounded.copy_abs() if rounded.is_zero() else rounded


def amount_in_figures(value: Decimal) -> str:
    """Two decimals with thousands separators and the unit: ``12,345.60 元``."""
    return f"{_money(value):,.2f} 元"


def amount_in_capitals(value: Decimal) -> str:
    """人民币大写 as written on vouchers and in audit documents: ``人民币壹万贰仟叁佰肆拾伍元陆角``,
    ``人民币壹拾元整``, ``人民币壹佰万元零壹分``. Negative amounts are refused (a finding's amount
    is never negative; a refund is described in words)."""
    value = _money(value)
    if value < 0:
        raise ValueError("金额不能为负数。")
    return "人民币" + cn2an.an2cn(format(value, "f"), "rmb")


def _amount_sentence(value: Decimal, lead: str = "涉及金额") -> str:
    return f"{lead}{amount_in_figures(value)}（{amount_in_capitals(value)}）。"


# --- input --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ContactData:
    """A person to contact: 联系人 and 联系电话 (and optionally an address or e-mail)."""

    name: str
    phone: str = ""
    address: str = ""


@dataclass(frozen=True, kw_only=True)
class CitationData:
    """A legal basis: the regulation (with or without 《》), its version or document number
    (e.g. 总工办发〔2017〕32号), the article (第十条) and optionally the quoted provision."""

    regulation: str
    article: str = ""
    version: str = ""
    text: str = ""


@dataclass(frozen=True, kw_only=True)
class FindingData:
    """One verified problem (审计发现). ``problem_type`` groups findings in the report (违规发放,
    超标准 …, in the order first seen); ``amount`` None when no amount is involved."""

    problem_type: str
    title: str
    description: str
    amount: Decimal | None = None
    basis: tuple[CitationData, ...] = ()
    recommendation: str = ""
    reference: str = ""  # e.g. the workpaper index number, shown after the title


@dataclass(frozen=True, kw_only=True)
class ScreeningSummaryData:
    """The data screening run the audit worked from (疑点筛查), as the report states it."""

    run_ref: str  # how the platform names the run, e.g. 第12次筛查
    run_date: date
    rule_count: int
    voucher_count: int
    line_count: int
    flag_count: int
    confirmed_count: int
    dismissed_count: int
    datasets: str = ""  # e.g. 2025年度凭证数据（第3版）


@dataclass(frozen=True, kw_only=True)
class _DocumentData:
    issuer: str  # 发文机关, e.g. 甲市总工会经费审查委员会
    addressee: str  # 主送机关: the audited unit
    issue_date: date  # 成文日期
    doc_number: str = ""  # 发文字号, e.g. 经审〔2026〕3号
    legal_basis: tuple[str, ...] = ("《中华人民共和国工会法》", "《中国工会审计条例》")
    attachments: tuple[str, ...] = ()  # 附件说明: names of attached documents


DEFAULT_MATERIALS = (
    "审计期间的会计凭证、会计账簿、财务会计报告及相关电子数据",
    "经费收支预算、决算及预算执行情况资料",
    "银行账户开立情况及银行对账单",
    "固定资产登记台账及盘点资料",
    "工会委员会、经费审查委员会会议纪要及重大经济事项决策资料",
    "内部控制制度及其他与审计事项有关的资料",
)
DEFAULT_REQUIREMENTS = (
    "指定一名联络人，负责与审计组的日常联系",
    "为审计组提供必要的工作场所和工作条件",
    "对所提供资料的真实性、完整性作出书面承诺",
)


@dataclass(frozen=True, kw_only=True)
class AuditNoticeData(_DocumentData):
    """审计通知书. ``matter`` is what is audited (财务收支情况, 送温暖资金使用情况 …), ``scope`` an
    optional clause on its extent (必要时将追溯到相关年度或者延伸审计有关单位)."""

    matter: str
    fiscal_years: tuple[int, ...]
    team_leader: str
    team_members: tuple[str, ...]
    start_date: date
    scope: str = ""
    materials: tuple[str, ...] = DEFAULT_MATERIALS
    materials_due: date | None = None
    requirements: tuple[str, ...] = DEFAULT_REQUIREMENTS
    discipline_reference: str = ""  # where the signed 四严禁、八不准 acknowledgements are, e.g. 见附件
    supervision_contact: ContactData | None = None  # whom to tell of a breach of discipline
    contact: ContactData


@dataclass(frozen=True, kw_only=True)
class AuditReportData(_DocumentData):
    """审计报告 and its draft (征求意见稿). The draft needs ``feedback_deadline``."""

    auditee: str  # the audited unit as named in the title; usually the addressee
    matter: str
    fiscal_years: tuple[int, ...]
    fieldwork_start: date
    fieldwork_end: date
    basic_facts: tuple[str, ...] = ()
    scope_and_method: tuple[str, ...] = ()
    screening: ScreeningSummaryData | None = None
    findings: tuple[FindingData, ...] = ()
    recommendations: tuple[str, ...] = ()  # general ones, after each finding's own
    feedback_deadline: date | None = None
    feedback_contact: ContactData | None = None


DEFAULT_REPORT_BACK = (
    "每个问题的整改措施、整改结果及完成时间",
    "相关证明材料，如退回款项的银行回单、调整账务的记账凭证、新建或修订的制度文件等",
    "未能按期完成整改的问题，说明原因、后续整改措施及计划完成时间",
)


@dataclass(frozen=True, kw_only=True)
class RectificationItemData:
    """One finding to rectify, with its deadline; ``requirement`` defaults to the finding's
    recommendation."""

    finding: FindingData
    deadline: date
    requirement: str = ""


@dataclass(frozen=True, kw_only=True)
class RectificationNoticeData(_DocumentData):
    """整改通知书: the findings of a report with deadlines and what to report back."""

    report_title: str  # 关于……的审计报告
    items: tuple[RectificationItemData, ...]
    report_number: str = ""
    report_date: date | None = None
    report_back: tuple[str, ...] = DEFAULT_REPORT_BACK
    report_back_by: date | None = None
    contact: ContactData | None = None


# --- text ---------------------------------------------------------------------------------------

# Characters XML 1.0 cannot hold (and C1 controls, DEL), removed from every string.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NEWLINES = re.compile("\r\n|[\r\n\u2028\u2029\x85]")


def clean_text(value) -> str:
    """A caller's string as plain text safe for the document's XML: tabs become spaces,
    characters XML cannot hold are removed. Line breaks are kept (see ``_lines``)."""
    text = "" if value is None else str(value)
    text = _NEWLINES.sub("\n", text).replace("\t", " ")
    return _ILLEGAL.sub("", text)


def _one_line(value) -> str:
    return " ".join(part.strip() for part in clean_text(value).split("\n") if part.strip())


def _lines(value) -> list[str]:
    return [line.strip() for line in clean_text(value).split("\n") if line.strip()]


def format_date(value: date) -> str:
    """成文日期 in Arabic figures: 2026年12月2日."""
    return f"{value.year}年{value.month}月{value.day}日"


def format_years(years: Iterable[int]) -> str:
    """2025年度; 2024年度至2025年度 for consecutive years; 2022、2024年度 otherwise."""
    years = sorted(set(int(y) for y in years))
    if not years:
        raise ValueError("审计年度不能为空。")
    if len(years) == 1:
        return f"{years[0]}年度"
    if years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}年度至{years[-1]}年度"
    return "、".join(str(y) for y in years) + "年度"


def _title_quoted(name: str) -> str:
    name = _one_line(name)
    return name if name.startswith("《") else f"《{name}》"


def _basis_list(names: Sequence[str]) -> str:
    return "".join(_title_quoted(n) for n in names if _one_line(n)) or "有关规定"


def _citation(c: CitationData) -> str:
    text = _title_quoted(c.regulation)
    if _one_line(c.version):
        text += f"（{_one_line(c.version)}）"
    text += _one_line(c.article)
    if _one_line(c.text):
        text += f"“{_one_line(c.text).strip('“”')}”"
    return text


def _contact(c: ContactData) -> str:
    parts = [f"联系人：{_one_line(c.name)}"]
    if _one_line(c.phone):
        parts.append(f"联系电话：{_one_line(c.phone)}")
    if _one_line(c.address):
        parts.append(f"地址：{_one_line(c.address)}")
    return "，".join(parts) + "。"


def _sentence(text: str) -> str:
    """Close a sentence with 。 unless it already ends with punctuation."""
    text = text.rstrip()
    return text if not text or text[-1] in "。！？；：…”）" else text + "。"


def chinese_number(n: int) -> str:
    """一, 二 … 十, 十一 for heading numbers."""
    return cn2an.an2cn(n, "low")


def _width(text: str) -> float:
    """Width in characters of the body size: ASCII is half a character."""
    return sum(0.5 if ord(ch) < 0x80 else 1.0 for ch in text)


# --- building -----------------------------------------------------------------------------------


RPR_AFTER_SPACING = (
    "w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText",
    "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath",
)


def _set_char_spacing(rpr, twentieths: int) -> None:
    """Character spacing (expanded > 0, condensed < 0) in 1/20 pt, in its schema position."""
    rpr.remove_all("w:spacing")
    element = parse_xml(f'<w:spacing {nsdecls("w")} w:val="{twentieths}"/>')
    rpr.insert_element_before(element, *RPR_AFTER_SPACING)


def _set_fonts(rpr, east_asia: str, latin: str = FONT_LATIN) -> None:
    """Name the fonts of an rPr explicitly, for every script, without theme fonts."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
        rpr.insert(0, fonts)
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:hint"), "eastAsia")


# The order of pPr's children in the schema (CT_PPrBase), up to those we add.
PPR_ORDER = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl", "w:numPr",
    "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
    "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
    "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
    "w:sectPr", "w:pPrChange",
)


def _ppr_set(ppr, tag: str, val: str) -> None:
    """Add ``<w:tag w:val=…/>`` to a pPr in its schema position (Word rejects misordered
    children as a damaged file)."""
    seq = PPR_ORDER
    ppr.remove_all(f"w:{tag}")
    element = parse_xml(f'<w:{tag} {nsdecls("w")} w:val="{val}"/>')
    ppr.insert_element_before(element, *seq[seq.index(f"w:{tag}") + 1:])


class _Builder:
    """One document: page set-up, styles, font table and footers, then paragraphs in order."""

    def __init__(self, data: _DocumentData, kind: str):
        self.data = data
        self.kind = kind
        self.doc = Document()
        self.h1 = 0
        self.h2 = 0
        self._page()
        self._styles()
        self._font_table()
        self._footers()

    # set-up

    def _page(self) -> None:
        section = self.doc.sections[0]
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
        section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
        section.header_distance, section.footer_distance = Mm(15), FOOTER_DISTANCE
        section.gutter = 0
        # 22 lines: a line grid of the body's exact line pitch. Not a character grid: LibreOffice
        # gives a 16 pt character two cells of a 15.8 pt grid (a line of 14 spaced-out characters);
        # 28 characters a line come from the body's condensed spacing instead (CHAR_SPACING).
        grid = section._sectPr.find(qn("w:docGrid"))
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))

    def _styles(self) -> None:
        styles = self.doc.styles
        defaults = styles.element.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _set_fonts(rpr, FONT_BODY)
        rpr.find(qn("w:sz")).set(qn("w:val"), str(int(SIZE_3.pt * 2)))
        rpr.find(qn("w:szCs")).set(qn("w:val"), str(int(SIZE_3.pt * 2)))
        lang = rpr.find(qn("w:lang"))
        lang.set(qn("w:eastAsia"), "zh-CN")
        lang.set(qn("w:val"), "en-US")
        spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
        spacing.set(qn("w:after"), "0")

        body = styles[STYLE_BODY]
        self._style_format(body, FONT_BODY, SIZE_3, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        _set_char_spacing(body.element.get_or_add_rPr(), CHAR_SPACING_TWENTIETHS)

        def add(name, font, size, *, indent, align, outline=None, grid=True, keep=False):
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = body
            style.quick_style = True
            self._style_format(style, font, size, indent=indent, align=align)
            if keep:
                style.paragraph_format.keep_with_next = True
            ppr = style.element.get_or_add_pPr()
            if outline is not None:
                _ppr_set(ppr, "outlineLvl", str(outline))
            if not grid:
                _ppr_set(ppr, "snapToGrid", "0")
            return style

        center, left, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT
        title = add(STYLE_TITLE, FONT_TITLE, SIZE_2, indent=False, align=center, grid=False, keep=True)
        _set_char_spacing(title.element.get_or_add_rPr(), 0)
        add(STYLE_SUBTITLE, FONT_H2, SIZE_3, indent=False, align=center, grid=False, keep=True)
        add(STYLE_NUMBER, FONT_BODY, SIZE_3, indent=False, align=center, grid=False)
        add(STYLE_ADDRESSEE, FONT_BODY, SIZE_3, indent=False, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        add(STYLE_H1, FONT_H1, SIZE_3, indent=True, align=left, outline=0, keep=True)
        add(STYLE_H2, FONT_H2, SIZE_3, indent=True, align=left, outline=1, keep=True)
        add(STYLE_H3, FONT_BODY, SIZE_3, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, outline=2, keep=True)
        add(STYLE_SIGNATURE, FONT_BODY, SIZE_3, indent=False, align=right, grid=False)
        number = add(STYLE_PAGE_NUMBER, FONT_PAGE_NUMBER, SIZE_4, indent=False, align=right, grid=False)
        _set_fonts(number.element.get_or_add_rPr(), FONT_PAGE_NUMBER, latin=FONT_PAGE_NUMBER)
        number.paragraph_format.line_spacing = Pt(18)
        _set_char_spacing(number.element.get_or_add_rPr(), 0)

    @staticmethod
    def _style_format(style, font, size, *, indent, align) -> None:
        style.font.size = size
        _set_fonts(style.element.get_or_add_rPr(), font)
        pf = style.paragraph_format
        pf.alignment = align
        pf.line_spacing = LINE_PITCH  # a Length: lineRule "exact"
        pf.space_before = pf.space_after = Pt(0)
        pf.widow_control = True
        # firstLine for readers that ignore character units, firstLineChars (1/100 character) for Word
        pf.first_line_indent = INDENT_2_CHARS if indent else Pt(0)
        style.element.get_or_add_pPr().find(qn("w:ind")).set(qn("w:firstLineChars"), "200" if indent else "0")

    def _font_table(self) -> None:
        part = next(p for p in self.doc.part.package.iter_parts() if p.partname == "/word/fontTable.xml")
        root = parse_xml(part.blob)
        for name, (alt, family) in FONT_TABLE.items():
            root.append(parse_xml(
                f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
                f'<w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>'
            ))
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    def _footers(self) -> None:
        self.doc.settings.odd_and_even_pages_header_footer = True
        section = self.doc.sections[0]
        for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
            footer.is_linked_to_previous = False
            p = footer.paragraphs[0]
            p.style = self.doc.styles[STYLE_PAGE_NUMBER]
            pf = p.paragraph_format
            if align == "right":  # 单页码居右空一字
                pf.alignment, pf.right_indent = WD_ALIGN_PARAGRAPH.RIGHT, SIZE_4
            else:  # 双页码居左空一字
                pf.alignment, pf.left_indent = WD_ALIGN_PARAGRAPH.LEFT, SIZE_4
            p.add_run("— ")
            self._page_field(p)
            p.add_run(" —")
        # The even headers exist (empty) so Word does not repeat the odd ones.
        section.even_page_header.is_linked_to_previous = False

    @staticmethod
    def _page_field(paragraph) -> None:
        for xml in (
            '<w:fldChar %s w:fldCharType="begin"/>',
            '<w:instrText %s xml:space="preserve"> PAGE </w:instrText>',
            '<w:fldChar %s w:fldCharType="separate"/>',
            '<w:t %s>1</w:t>',
            '<w:fldChar %s w:fldCharType="end"/>',
        ):
            run = paragraph.add_run()
            run._r.append(parse_xml(xml % nsdecls("w")))

    # content

    def para(self, text: str, style: str = STYLE_BODY):
        """A paragraph holding ``text`` as one literal run."""
        p = self.doc.add_paragraph(style=self.doc.styles[style] if style != STYLE_BODY else None)
        if text:
            p.add_run(text)
        return p

    def paras(self, text: str, style: str = STYLE_BODY) -> None:
        for line in _lines(text):
            self.para(line, style)

    def blank(self) -> None:
        self.para("", STYLE_ADDRESSEE)

    def title(self, *lines: str) -> None:
        for line in lines:
            self.para(_one_line(line), STYLE_TITLE)

    def head(self, subtitle: str = "", number: bool = True) -> None:
        if subtitle:
            self.para(subtitle, STYLE_SUBTITLE)
        if number and _one_line(self.data.doc_number):
            self.para(_one_line(self.data.doc_number), STYLE_NUMBER)
        self.blank()
        self.para(f"{_one_line(self.data.addressee)}：", STYLE_ADDRESSEE)

    def heading1(self, text: str) -> None:
        self.h1 += 1
        self.h2 = 0
        self.para(f"{chinese_number(self.h1)}、{_one_line(text)}", STYLE_H1)

    def heading2(self, text: str) -> None:
        self.h2 += 1
        self.para(f"（{chinese_number(self.h2)}）{_one_line(text)}", STYLE_H2)

    def numbered(self, items: Iterable[str], style: str = STYLE_BODY) -> None:
        n = 0
        for item in items:
            lines = _lines(item)
            if not lines:
                continue
            n += 1
            lines[0] = f"{n}.{lines[0]}"
            lines[-1] = _sentence(lines[-1])
            for line in lines:
                self.para(line, style)

    def close(self, title: str) -> bytes:
        data = self.data
        attachments = [a for a in (_one_line(x) for x in data.attachments) if a]
        if attachments:
            self.blank()
            if len(attachments) == 1:
                self.para(f"附件：{attachments[0]}")
            else:
                for i, name in enumerate(attachments, start=1):
                    self.para(f"附件：{i}.{name}" if i == 1 else f"{'　' * 3}{i}.{name}")
        issuer, when = _one_line(data.issuer), format_date(data.issue_date)
        for _ in range(2):  # room for the seal
            self.blank()
        # the date four characters from the right margin, the issuer centred over it
        offset = max(0.0, 4 + (_width(when) - _width(issuer)) / 2)
        self.para(issuer, STYLE_SIGNATURE).paragraph_format.right_indent = Pt(16 * offset)
        self.para(when, STYLE_SIGNATURE).paragraph_format.right_indent = Pt(16 * 4)
        return _package(self.doc, title=title, kind=self.kind, author=issuer, when=data.issue_date)


def _package(doc, *, title: str, kind: str, author: str, when: date) -> bytes:
    """Save with fixed metadata and timestamps, so the same input gives the same bytes."""
    package = doc.part.package
    for rels, reltype in ((package.rels, RT.THUMBNAIL), (doc.part.rels, STYLES_WITH_EFFECTS)):
        for rid, rel in list(rels.items()):
            if rel.reltype == reltype:  # the template's picture; Word 2010's copy of the styles
                del rels[rid]
    stamp = datetime(when.year, when.month, when.day, tzinfo=timezone.utc)
    props = doc.core_properties
    props.title, props.subject, props.author = title, kind, author
    props.category, props.keywords, props.comments = "经审文书", kind, ""
    props.last_modified_by, props.revision = author, 1
    props.created = props.modified = stamp
    props.last_printed = stamp
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    zip_time = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=zip_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 0
            member.external_attr = 0
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


# --- findings, shared by the report and the rectification notice --------------------------------


def _finding_body(b: _Builder, f: FindingData) -> None:
    lines = _lines(f.description)
    if lines:
        lines[-1] = _sentence(lines[-1])
    for line in lines:
        b.para(line)
    if f.amount is not None:
        b.para(_amount_sentence(f.amount))
    citations = [_citation(c) for c in f.basis if _one_line(c.regulation)]
    if citations:
        b.para(f"上述问题不符合{'、'.join(citations)}的规定。")


def _finding_title(f: FindingData) -> str:
    title = _one_line(f.title)
    ref = _one_line(f.reference)
    return f"{title}（{ref}）" if ref else title


def _require(value, message: str) -> None:
    if not value or (isinstance(value, str) and not _one_line(value)):
        raise ValueError(message)


def _check_amounts(findings: Iterable[FindingData]) -> None:
    for f in findings:
        if f.amount is not None:
            amount_in_capitals(f.amount)  # refuses negative and malformed amounts


# --- the documents ------------------------------------------------------------------------------


def build_audit_notice(data: AuditNoticeData) -> bytes:
    """审计通知书: who audits what, when, with which team; what the auditee provides; the audit
    discipline; contacts."""
    _require(data.addressee, "被审计单位不能为空。")
    _require(data.team_leader, "审计组组长不能为空。")
    years = format_years(data.fiscal_years)
    b = _Builder(data, "审计通知书")
    b.title(data.issuer, "审计通知书")
    b.head()
    scope = _one_line(data.scope)
    b.para(
        f"根据{_basis_list(data.legal_basis)}的有关规定，本会决定派出审计组，自{format_date(data.start_date)}起，"
        f"对你单位{years}{_one_line(data.matter)}进行审计{'，' + scope.rstrip('。') if scope else ''}。"
        "请予以积极配合，并提供有关资料和必要的工作条件。"
    )

    b.heading1("审计组组成")
    b.para(f"审计组组长：{_one_line(data.team_leader)}")
    members = [m for m in (_one_line(x) for x in data.team_members) if m]
    if members:
        b.para(f"审计组成员：{'、'.join(members)}")

    materials = [m for m in data.materials if _lines(m)]
    if materials:
        b.heading1("需要提供的资料")
        due = f"于{format_date(data.materials_due)}前" if data.materials_due else "在审计组进点时"
        b.para(f"请你单位{due}向审计组提供下列资料（包括电子数据），并对所提供资料的真实性、完整性负责：")
        b.numbered(materials)

    b.heading1("工作要求")
    b.numbered(data.requirements)
    ref = _one_line(data.discipline_reference)
    discipline = "审计组全体成员均已承诺严格遵守审计工作纪律“四严禁”“八不准”"
    discipline += f"（{ref.strip('（）()')}）" if ref else ""
    discipline += "，欢迎你单位予以监督。"
    if data.supervision_contact:
        c = data.supervision_contact
        phone = f"（联系电话：{_one_line(c.phone)}）" if _one_line(c.phone) else ""
        discipline += f"如发现审计人员有违反审计工作纪律的行为，请向{_one_line(c.name)}{phone}反映。"
    b.para(discipline)

    b.heading1("联系方式")
    b.para(f"审计组{_contact(data.contact)}")
    return b.close(f"{_one_line(data.issuer)}审计通知书")


def report_title(data: AuditReportData) -> str:
    """关于{被审计单位}{年度}{事项}的审计报告."""
    return f"关于{_one_line(data.auditee)}{format_years(data.fiscal_years)}{_one_line(data.matter)}的审计报告"


def _report(data: AuditReportData, *, draft: bool) -> bytes:
    _require(data.auditee, "被审计单位不能为空。")
    _require(data.addressee, "主送单位不能为空。")
    if draft and data.feedback_deadline is None:
        raise ValueError("征求意见稿必须注明反馈期限。")
    _check_amounts(data.findings)
    title = report_title(data)
    auditee, years = _one_line(data.auditee), format_years(data.fiscal_years)
    b = _Builder(data, "审计报告（征求意见稿）" if draft else "审计报告")
    b.title(title)
    b.head("（征求意见稿）" if draft else "", number=not draft)
    b.para(
        f"根据{_basis_list(data.legal_basis)}的有关规定，本会派出审计组，于{format_date(data.fieldwork_start)}"
        f"至{format_date(data.fieldwork_end)}，对{auditee}{years}{_one_line(data.matter)}进行了审计。"
        f"{auditee}对其提供的财务会计资料及其他相关资料的真实性、完整性负责，本会的责任是依法独立实施审计并出具审计报告。"
        "现将审计情况报告如下："
    )

    facts = [line for item in data.basic_facts for line in _lines(item)]
    if facts:
        b.heading1("基本情况")
        for line in facts:
            b.para(line)

    b.heading1("审计范围和方法")
    for item in data.scope_and_method:
        b.paras(item)
    if data.screening:
        s = data.screening
        datasets = _one_line(s.datasets) or f"{years}财务数据"
        b.para(
            f"审计组运用智慧经审平台，对{datasets}进行了全量数据筛查（{_one_line(s.run_ref)}，"
            f"{format_date(s.run_date)}，运行筛查规则{s.rule_count:,}条），共筛查凭证{s.voucher_count:,}张、"
            f"分录{s.line_count:,}条，提示疑点{s.flag_count:,}条；经逐条核实，确认属实{s.confirmed_count:,}条，"
            f"排除{s.dismissed_count:,}条。"
        )

    b.heading1("审计发现的主要问题")
    findings = list(data.findings)
    if not findings:
        b.para("本次审计未发现需要报告的问题。")
    else:
        amounts = [f.amount for f in findings if f.amount is not None]
        summary = f"本次审计共发现问题{len(findings)}个"
        b.para(summary + ("，" + _amount_sentence(sum(amounts, Decimal(0)), "涉及金额合计") if amounts else "。"))
        groups: dict[str, list[FindingData]] = {}
        for f in findings:
            groups.setdefault(_one_line(f.problem_type) or "其他问题", []).append(f)
        for problem_type, members in groups.items():
            b.heading2(problem_type)
            for n, f in enumerate(members, start=1):
                b.para(f"{n}.{_finding_title(f)}", STYLE_H3)
                _finding_body(b, f)

    recommendations = [(f, _lines(f.recommendation)) for f in findings]
    general = [item for item in data.recommendations if _lines(item)]
    if any(lines for _, lines in recommendations) or general:
        b.heading1("审计意见和建议")
        items = [f"关于“{_one_line(f.title)}”问题，" + "\n".join(lines) for f, lines in recommendations if lines]
        b.numbered(items + general)

    if draft:
        contact = f"（{_contact(data.feedback_contact).rstrip('。')}）" if data.feedback_contact else ""
        b.para(
            f"请你单位对本征求意见稿进行认真研究，于{format_date(data.feedback_deadline)}前将书面意见反馈审计组{contact}。"
            "逾期未反馈的，视同无异议。"
        )
    return b.close(title + ("（征求意见稿）" if draft else ""))


def build_draft_report(data: AuditReportData) -> bytes:
    """审计报告（征求意见稿）: the report marked as a draft for the auditee's comments, with the
    feedback deadline (required) and without 发文字号."""
    return _report(data, draft=True)


def build_audit_report(data: AuditReportData) -> bytes:
    """审计报告: basic facts, scope and method (with the screening run), findings grouped by
    problem type with amounts in figures and capitals and their legal basis, recommendations."""
    return _report(data, draft=False)


def build_rectification_notice(data: RectificationNoticeData) -> bytes:
    """整改通知书: each finding with its rectification requirement and deadline, then what to
    report back and by when."""
    _require(data.addressee, "被审计单位不能为空。")
    if not data.items:
        raise ValueError("整改通知书至少需要一项整改事项。")
    _check_amounts(item.finding for item in data.items)
    b = _Builder(data, "审计整改通知书")
    b.title(data.issuer, "审计整改通知书")
    b.head()
    report = _title_quoted(data.report_title)
    if _one_line(data.report_number):
        report += f"（{_one_line(data.report_number)}）"
    when = f"于{format_date(data.report_date)}" if data.report_date else "已"
    b.para(
        f"本会{when}向你单位出具{report}。根据{_basis_list(data.legal_basis)}的有关规定，"
        "现将审计发现问题的整改要求通知如下，请认真组织整改："
    )

    b.heading1("整改事项")
    for item in data.items:
        f = item.finding
        b.heading2(_finding_title(f))
        _finding_body(b, f)
        requirement = _lines(item.requirement) or _lines(f.recommendation)
        if requirement:
            requirement[0] = "整改要求：" + requirement[0]
            requirement[-1] = _sentence(requirement[-1])
            for line in requirement:
                b.para(line)
        b.para(f"整改期限：{format_date(item.deadline)}前。")

    b.heading1("整改结果报告")
    by = f"于{format_date(data.report_back_by)}前" if data.report_back_by else "在整改期限届满后15日内"
    b.para(f"请你单位{by}将整改结果书面报送本会，报告应包括以下内容：")
    b.numbered(data.report_back)
    b.para("整改措施及证明材料可通过智慧经审平台逐项提交。本会将对整改情况进行跟踪检查。")

    if data.contact:
        b.heading1("联系方式")
        b.para(_contact(data.contact))
    return b.close(f"{_one_line(data.issuer)}审计整改通知书")
