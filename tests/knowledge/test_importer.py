"""Splitting a regulation's text (knowledge/importer.py): the real 工会法 in every accepted
form, and every refusal, named by file and line."""

import io
import zipfile

import pytest
from docx import Document

from jingshen.knowledge.importer import number_of, parse_file, parse_lines
from jingshen.tabular import TableError


def refused(path_or_file) -> str:
    with pytest.raises(TableError) as exc:
        parse_file(path_or_file)
    return exc.value.report()


def check_union_law(parsed):
    assert len(parsed.articles) == 58
    assert parsed.chapters == ["第一章 总则", "第二章 工会组织", "第三章 工会的权利和义务", "第四章 基层工会组织",
                               "第五章 工会的经费和财产", "第六章 法律责任", "第七章 附则"]
    assert [a.number for a in parsed.articles] == list(range(1, 59))
    art43 = parsed.articles[42]
    assert art43.number_text == "第四十三条" and art43.chapter == "第五章 工会的经费和财产"
    assert [i["label"] for i in art43.items] == ["（一）", "（二）", "（三）", "（四）", "（五）"]
    assert "百分之二" in art43.items[1]["text"] and art43.items[4]["text"] == "其他收入。"
    # the paragraphs after the items stay in the article
    assert art43.text.startswith("工会经费的来源：\n（一）") and "税前列支" in art43.text
    assert art43.text.endswith("经费使用的具体办法由中华全国总工会制定。")
    assert parsed.articles[1].text.count("\n") == 1  # 第二条 has two paragraphs
    assert parsed.articles[-1].number_text == "第五十八条"


def test_the_union_law_from_markdown(union_law):
    parsed = parse_file(union_law)
    check_union_law(parsed)
    assert parsed.title == "中华人民共和国工会法"
    assert parsed.preamble.startswith("1992年4月3日") and "第三次修正" in parsed.preamble
    assert parsed.summary() == "7 章 58 条（其中 4 条分项）"


def test_the_union_law_as_plain_text_with_bom_and_in_gb18030(union_law, tmp_path):
    text = union_law.read_text(encoding="utf-8").replace("## ", "").replace("# ", "")
    bom = tmp_path / "工会法.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    check_union_law(parse_file(bom))
    gb = tmp_path / "工会法-gbk.txt"
    gb.write_bytes(text.replace("\n", "\r\n").encode("gb18030"))
    check_union_law(parse_file(gb))


def test_the_union_law_as_docx(union_law, tmp_path):
    document = Document()
    for line in union_law.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            document.add_heading(line[3:], level=2)
        elif line.startswith("# "):
            document.add_heading(line[2:], level=1)
        elif line.strip():
            document.add_paragraph(line)
    path = tmp_path / "工会法.docx"
    document.save(path)
    parsed = parse_file(path)
    assert parsed.kind == "docx"
    check_union_law(parsed)
    # an uploaded file (anything with read()) works the same
    with path.open("rb") as fh:
        check_union_law(parse_file(fh, "上传.docx"))


def test_chinese_numerals_up_to_the_hundreds():
    assert [number_of(n) for n in ("一", "十", "十三", "四十三", "一百", "一百零五", "一百一十", "二百三十九", "105")] == \
        [1, 10, 13, 43, 100, 105, 110, 239, 105]
    assert number_of("零") is None
    lines = ["第九十九条 甲。", *[f"第{n}条 条文。" for n in ("一百", "一百零一", "一百零五", "一百一十")]]
    assert [a.number for a in parse_lines(lines, "x.txt").articles] == [99, 100, 101, 105, 110]


def test_sections_headings_on_two_lines_and_a_table_of_contents():
    lines = ["某某办法", "目  录", "第一章 总则", "第二章 经费", "", "第一章", "总  则", "第一条 为了规范。",
             "第二章 经费", "第一节 收入", "第二条 收入包括：", "(一)会费；", "(二)拨缴经费。", "第二节 支出", "第三条 支出。"]
    parsed = parse_lines(lines, "办法.txt")
    assert parsed.title == "某某办法" and parsed.preamble == ""
    assert [(a.chapter, a.section) for a in parsed.articles] == [("第一章 总则", ""), ("第二章 经费", "第一节 收入"),
                                                                ("第二章 经费", "第二节 支出")]
    assert parsed.articles[1].items == [{"label": "（一）", "text": "会费；"}, {"label": "（二）", "text": "拨缴经费。"}]


def test_markdown_marks_do_not_break_the_split():
    lines = ["# 办法", "## 第一章 总则", "**第一条** 本办法。", "### 第二条 其他。", "> 第三条 引用块里的条文。"]
    parsed = parse_lines(lines, "办法.md")
    assert [a.text for a in parsed.articles] == ["本办法。", "其他。", "引用块里的条文。"]


def test_a_file_without_articles_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "摘要.md"
    path.write_text("# 工会经费\n\n工会经费主要用于为职工服务。\n", encoding="utf-8")
    report = refused(path)
    assert "文件「摘要.md」" in report and "没有找到任何条文" in report and "第一条" in report


def test_duplicate_and_out_of_order_articles_are_named_with_their_lines(tmp_path):
    path = tmp_path / "乱序.txt"
    path.write_text("第一条 甲。\n第三条 乙。\n\n第二条 丙。\n第三条 丁。\n", encoding="utf-8")
    report = refused(path)
    assert "文件「乱序.txt」第 4 行：条号顺序错误：「第二条」（2）出现在第 2 行的「第三条」（3）之后" in report
    assert "文件「乱序.txt」第 5 行：条号重复：「第三条」（3）与第 2 行的「第三条」（3）相同" in report


def test_an_empty_file_is_refused(tmp_path):
    for content in (b"", b"\n  \n\xe3\x80\x80\n", b"\xef\xbb\xbf"):
        path = tmp_path / "空.txt"
        path.write_bytes(content)
        assert "文件为空" in refused(path)


def test_undecodable_bytes_are_named_by_offset_and_line(tmp_path):
    path = tmp_path / "乱码.txt"
    path.write_bytes("第一条 正常。\n第二条 ".encode("utf-8") + b"\xff\xff\xff" + "坏字节。\n".encode("utf-8"))
    report = refused(path)
    offset = len("第一条 正常。\n第二条 ".encode("utf-8")) + 1
    assert f"文件「乱码.txt」第 2 行：第 {offset} 个字节起含有无法识别的字节（FF FF FF" in report
    assert "UTF-8" in report and "GB18030" in report


def test_a_docx_that_is_not_a_document_is_refused(tmp_path):
    fake = tmp_path / "工会法.docx"
    fake.write_text("第一条 这其实是文本。", encoding="utf-8")
    assert "扩展名是 .docx，但内容不是 Word 文档" in refused(fake)
    archive = tmp_path / "压缩包.docx"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "x")
    assert "是压缩包但不是 Word 文档" in refused(archive)
    broken = tmp_path / "损坏.docx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("word/document.xml", "<not-xml")
    broken.write_bytes(buffer.getvalue())
    assert "文件「损坏.docx」" in refused(broken)
    old = tmp_path / "旧版.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert "旧版 Word（.doc）" in refused(old)


def test_docx_errors_name_the_paragraph(tmp_path):
    document = Document()
    for text in ("第一条 甲。", "第一条 乙。"):
        document.add_paragraph(text)
    path = tmp_path / "重复.docx"
    document.save(path)
    assert "文件「重复.docx」：第 2 段：条号重复" in refused(path)


def test_text_between_a_heading_and_the_first_article_is_refused():
    with pytest.raises(TableError) as exc:
        parse_lines(["第一章 总则", "这是一段很长的不属于任何条文的说明文字，它出现在章标题之后，却在第一条之前。", "第一条 甲。"], "x.txt")
    assert "第 2 行" in exc.value.report() and "无法归入任何条文" in exc.value.report()
