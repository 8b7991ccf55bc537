"""Reading a regulation's text (法规正文) into chapters, sections, articles and items — pure
parsing, no database (knowledge/services.import_regulation writes what this returns).

Accepted files (judged by content, not by the name's extension): plain text or Markdown in
UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030 (a superset of GBK/GB2312), and Word
.docx documents (each paragraph a line). The text is split on its headings as written:

- the title and the adoption/amendment history (题注) above the first chapter or article;
- chapters 第一章 …, sections 第一节 … (the heading may run on to the next line when the
  number stands alone: ``第一章`` / ``总则``); Markdown ``#`` marks and ``**`` are ignored;
- articles 第一条 … 第一百零五条 (Chinese numerals up to the thousands, or Arabic digits),
  the number followed by a space; every paragraph up to the next heading belongs to the
  article (paragraphs joined by a line break);
- items （一）（二）… (or (一)) inside an article, kept in order with their label.

A file is refused whole (``tabular.TableError``, errors naming the file and the line — the
paragraph of a .docx) when it is empty, is not text or not a Word document, holds a byte no
encoding fits (named by offset and line), has no recognisable article, or numbers its articles
twice or out of order."""

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import cn2an

from jingshen.tabular import RowError, TableError

MAX_BYTES = 20 * 1024 * 1024  # the longest codes and laws are well under 2 MB of text
MAX_HEADING = 200  # Article.chapter / Article.section

NUMERAL = r"[零〇一二两三四五六七八九十百千\d]+"
CHAPTER = re.compile(rf"^第({NUMERAL})章(?:\s+(.*))?$")
SECTION = re.compile(rf"^第({NUMERAL})节(?:\s+(.*))?$")
ARTICLE = re.compile(rf"^第({NUMERAL})条(?:\s+(.*))?$")
ITEM = re.compile(r"^[（(]([零〇一二两三四五六七八九十百]+)[）)]\s*(.*)$")
MARKUP = re.compile(r"^#{1,6}\s*|^>\s*|\*\*|__")
SPACES = re.compile(r"[\s\u3000]+")
TOC = {"目录", "目次"}


@dataclass
class ParsedArticle:
    number: int
    number_text: str  # as written: 第四十三条
    chapter: str  # normalised: 第五章 工会的经费和财产
    section: str
    paragraphs: list[str]
    items: list[dict]  # [{"label": "（一）", "text": "…"}]
    line: int

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass
class ParsedRegulation:
    display: str
    title: str
    preamble: str
    articles: list[ParsedArticle] = field(default_factory=list)
    kind: str = "text"  # text | docx

    @property
    def chapters(self) -> list[str]:
        """The chapters that hold articles, in order."""
        seen: list[str] = []
        for a in self.articles:
            if a.chapter and (not seen or seen[-1] != a.chapter):
                seen.append(a.chapter)
        return seen

    def summary(self) -> str:
        chapters = len(self.chapters)
        with_items = sum(1 for a in self.articles if a.items)
        head = f"{chapters} 章 " if chapters else ""
        items = f"（其中 {with_items} 条分项）" if with_items else ""
        return f"{head}{len(self.articles)} 条{items}"


def number_of(numeral: str) -> int | None:
    """第四十三条 → 43 (the part between 第 and 条); None when it is not a number."""
    if numeral.isdigit():
        return int(numeral)
    try:
        value = cn2an.cn2an(numeral.replace("〇", "零"), "normal")
    except (ValueError, KeyError, IndexError):
        return None
    return int(value) if value == int(value) and value > 0 else None


def normalise_heading(kind_match: re.Match, word: str) -> str:
    """``第一章 总  则`` → ``第一章 总则``: the number, one space, the title without inner spaces."""
    title = SPACES.sub("", kind_match.group(2) or "")
    return f"第{kind_match.group(1)}{word} {title}".strip()


def clean_line(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw).replace("\ufeff", "")
    text = MARKUP.sub("", text.strip())
    return text.strip().strip("\u3000").strip()


# --- reading the file ------------------------------------------------------------------------------


def read_source(source, display: str | None = None) -> tuple[bytes, str]:
    """The bytes and the display name of a path, or of an uploaded file (anything with read())."""
    if hasattr(source, "read"):
        display = display or Path(getattr(source, "name", "") or "上传的文件").name
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read(MAX_BYTES + 1)
    else:
        path = Path(source)
        display = display or path.name
        if not path.is_file():
            raise TableError([RowError(display, None, None, None, "文件不存在或不是普通文件。")])
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise TableError([RowError(display, None, None, None, f"文件超过 {MAX_BYTES // 1024 // 1024} MB，不像是一份法规正文。")])
    return data, display


def decode_text(data: bytes, display: str) -> str:
    """UTF-16 (BOM), UTF-8 (BOM optional) or GB18030; else the first byte no encoding fits,
    by offset and line, from the encoding that read furthest."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _undecodable(data, exc, display) from None
    failures = []
    for codec in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError as exc:
            failures.append(exc)
    raise _undecodable(data, max(failures, key=lambda e: e.start), display) from None


def _undecodable(data: bytes, exc: UnicodeDecodeError, display: str) -> TableError:
    offset = exc.start
    line = data.count(b"\n", 0, offset) + 1
    bad = data[offset:offset + 4].hex(" ").upper()
    return TableError([RowError(
        display, line, None, None,
        f"第 {offset + 1} 个字节起含有无法识别的字节（{bad}），文件既不是 UTF-8 也不是 GB18030/GBK 编码，"
        "请另存为 UTF-8 文本或 .docx 后重试。")])


def docx_paragraphs(data: bytes, display: str) -> list[str]:
    """The paragraphs of a .docx, in order (tables are not read: regulations are paragraphs)."""
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise TableError([RowError(display, None, None, None, "是压缩包但不是 Word 文档（.docx），无法读取。")])
        document = Document(io.BytesIO(data))
    except TableError:
        raise
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise TableError([RowError(display, None, None, None, f"不是有效的 Word 文档（.docx），无法读取：{type(exc).__name__}。")]) from None
    except Exception as exc:  # a malformed part inside the package (lxml and python-docx raise many kinds)
        raise TableError([RowError(display, None, None, None, f"Word 文档已损坏，无法读取：{type(exc).__name__}。")]) from None
    return [p.text for p in document.paragraphs]


def source_lines(data: bytes, display: str) -> tuple[list[str], str]:
    """The file's lines (paragraphs of a .docx) and its kind, judged by content."""
    if not data.strip():
        raise TableError([RowError(display, None, None, None, "文件为空，没有可导入的内容。")])
    if data.startswith(b"PK\x03\x04"):
        return docx_paragraphs(data, display), "docx"
    if display.lower().endswith(".docx"):
        raise TableError([RowError(display, None, None, None, "文件扩展名是 .docx，但内容不是 Word 文档（可能已损坏或改过扩展名）。")])
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableError([RowError(display, None, None, None, "这是旧版 Word（.doc）文件，请在 Word 或 WPS 中另存为 .docx 后重试。")])
    if data.startswith(b"%PDF"):
        raise TableError([RowError(display, None, None, None, "这是 PDF 文件，无法按条拆分；请导入 .docx、.md 或 .txt 格式的正文。")])
    text = decode_text(data, display)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise TableError([RowError(display, line, None, None, "含有空字符（NUL），不是文本文件。")])
    return text.splitlines(), "text"


# --- splitting --------------------------------------------------------------------------------------


def parse_file(source, display: str | None = None) -> ParsedRegulation:
    data, display = read_source(source, display)
    lines, kind = source_lines(data, display)
    parsed = parse_lines(lines, display, paragraphs=kind == "docx")
    parsed.kind = kind
    return parsed


def parse_lines(lines: list[str], display: str, *, paragraphs: bool = False) -> ParsedRegulation:
    """Split the lines of one regulation; ``paragraphs`` when they are the paragraphs of a .docx
    (errors then name the paragraph, not the line)."""

    def error(line_no: int, reason: str) -> RowError:
        if paragraphs:
            return RowError(display, None, None, None, f"第 {line_no} 段：{reason}")
        return RowError(display, line_no, None, None, reason)

    errors: list[RowError] = []
    title, preamble = "", []
    chapter = section = ""
    pending: tuple[str, int] | None = None  # a heading (章/节) whose title may be on the next line
    articles: list[ParsedArticle] = []
    current: ParsedArticle | None = None
    in_toc = False
    any_text = False
    highest: ParsedArticle | None = None
    by_number: dict[int, ParsedArticle] = {}

    for line_no, raw in enumerate(lines, start=1):
        text = clean_line(raw)
        if not text:
            continue
        any_text = True
        compact = SPACES.sub("", text)
        if compact in TOC and not articles:
            in_toc = True  # a table of contents: its chapter lines are passed over
            continue
        if m := CHAPTER.match(text):
            chapter, section, current = normalise_heading(m, "章"), "", None
            pending = ("chapter", line_no) if not m.group(2) else None
            if len(chapter) > MAX_HEADING:
                errors.append(error(line_no, f"章标题超过 {MAX_HEADING} 个字。"))
            continue
        if m := SECTION.match(text):
            section, current = normalise_heading(m, "节"), None
            pending = ("section", line_no) if not m.group(2) else None
            if len(section) > MAX_HEADING:
                errors.append(error(line_no, f"节标题超过 {MAX_HEADING} 个字。"))
            continue
        if m := ARTICLE.match(text):
            in_toc, pending = False, None
            number = number_of(m.group(1))
            number_text = f"第{m.group(1)}条"
            if number is None:
                errors.append(error(line_no, f"条号「{number_text}」不是有效的数字。"))
                current = None
                continue
            if highest is not None and number <= highest.number:
                before = highest
                same = by_number.get(number)
                if same is not None:
                    errors.append(error(line_no, f"条号重复：「{number_text}」（{number}）与第 {same.line} "
                                                 f"{'段' if paragraphs else '行'}的「{same.number_text}」（{same.number}）相同。"))
                else:
                    errors.append(error(line_no, f"条号顺序错误：「{number_text}」（{number}）出现在第 {before.line} "
                                                 f"{'段' if paragraphs else '行'}的「{before.number_text}」（{before.number}）之后。"))
            body = (m.group(2) or "").strip()
            current = ParsedArticle(number=number, number_text=number_text, chapter=chapter, section=section,
                                    paragraphs=[body] if body else [], items=[], line=line_no)
            articles.append(current)
            by_number.setdefault(number, current)
            if highest is None or number > highest.number:
                highest = current
            continue
        if pending is not None and len(compact) <= 30 and current is None:
            # 第一章 on its own line, its title on the next (usual in Word documents)
            kind, _ = pending
            if kind == "chapter":
                chapter = f"{chapter} {compact}"
            else:
                section = f"{section} {compact}"
            pending = None
            continue
        pending = None
        if current is not None:
            current.paragraphs.append(text)
            if m := ITEM.match(text):
                current.items.append({"label": f"（{m.group(1)}）", "text": m.group(2).strip()})
            continue
        if in_toc:
            continue
        if chapter or section:
            errors.append(error(line_no, "这段文字位于章节标题之后、第一条之前，无法归入任何条文。"))
            continue
        if not title and not preamble:
            title = text
        else:
            preamble.append(text)

    if not any_text:
        raise TableError([RowError(display, None, None, None, "文件为空，没有可导入的内容。")])
    if not articles and not errors:
        raise TableError([RowError(display, None, None, None,
                                   "没有找到任何条文：法规正文应逐条以「第一条」「第二条」……开头（条号后空一格再写条文）。"
                                   "请确认文件是法规正文而不是摘要或表格。")])
    for a in articles:
        if not a.paragraphs:
            errors.append(error(a.line, f"「{a.number_text}」没有条文内容。"))
    if errors:
        raise TableError(errors)
    return ParsedRegulation(display=display, title=title, preamble="\n".join(preamble), articles=articles)
