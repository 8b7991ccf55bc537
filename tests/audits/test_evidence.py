"""Evidence files: judged by content, refused in Chinese, stored once under their SHA-256."""

import hashlib
import io
import os
import struct
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile, TemporaryUploadedFile
from django.test import override_settings
from PIL import Image

from jingshen.audits import evidence
from jingshen.audits.evidence import ALLOWED, EvidenceError, check_and_store, clean_name, open_evidence, verify


@pytest.fixture(autouse=True)
def media(tmp_path):
    with override_settings(MEDIA_ROOT=str(tmp_path / "files")):
        yield tmp_path / "files"


def stored_files(media: Path) -> list[Path]:
    return sorted(p for p in (media / "evidence").rglob("*") if p.is_file() and ".incoming" not in p.parts)


# --- real tiny files of every allowed kind ---------------------------------------------------

PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
       b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def image(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    d = docx.Document()
    d.add_paragraph("审计取证单：2025 年 3 月 12 日购物卡发放")
    d.save(buf)
    return buf.getvalue()


def xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active.append(["凭证号", "金额"])
    wb.active.append(["记-12", 1200.5])
    wb.save(buf)
    return buf.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


OFD = zip_bytes({
    "OFD.xml": '<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" '
               'Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>'
               "</ofd:DocBody></ofd:OFD>".encode(),
    "Doc_0/Document.xml": b"<ofd:Document/>",
})


def cfb(*streams: str) -> bytes:
    """A minimal OLE2 compound file (MS-CFB v3, 512-byte sectors): sector 0 is the FAT, then
    the directory (Root Entry plus the named empty streams, four entries a sector), its
    sectors chained in the FAT."""
    free, end, fatsect = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD

    def entry(name: str, kind: int, child=free, right=free) -> bytes:
        e = bytearray(128)
        raw = (name + "\0").encode("utf-16-le")
        e[: len(raw)] = raw
        struct.pack_into("<HBB", e, 64, len(raw), kind, 1)
        struct.pack_into("<III", e, 68, free, right, child)
        struct.pack_into("<II", e, 116, end, 0)
        return bytes(e)

    entries = [entry("Root Entry", 5, child=1 if streams else free)]
    for i, name in enumerate(streams):
        entries.append(entry(name, 2, right=i + 2 if i + 1 < len(streams) else free))
    dir_sectors = (len(entries) + 3) // 4
    directory = b"".join(entries).ljust(dir_sectors * 512, b"\0")
    chain = [n + 1 for n in range(1, dir_sectors)] + [end]
    fat = struct.pack("<128I", fatsect, *chain, *([free] * (127 - len(chain))))

    header = bytearray(512)
    header[0:8] = evidence.OLE_MAGIC
    struct.pack_into("<HHHH", header, 24, 0x3E, 3, 0xFFFE, 9)  # minor, major, byte order, sector shift
    struct.pack_into("<H", header, 32, 6)  # mini sector shift
    struct.pack_into("<IIII", header, 44, 1, 1, 0, 0x1000)  # FAT sectors, dir start, txn, mini cutoff
    struct.pack_into("<IIII", header, 60, end, 0, end, 0)  # mini FAT, DIFAT: none
    struct.pack_into("<109I", header, 76, 0, *([free] * 108))
    return bytes(header) + fat + directory


GB_TEXT = "单位编码,摘要,金额\n330101,发放购物卡,1200.00\n".encode("gb18030")

ALLOWED_FILES = [
    ("发票.pdf", PDF, "pdf", "application/pdf"),
    ("电子发票.ofd", OFD, "ofd", "application/ofd"),
    ("现场照片.JPG", image("JPEG"), "jpeg", "image/jpeg"),
    ("截图.png", image("PNG"), "png", "image/png"),
    ("扫描件.tif", image("TIFF"), "tiff", "image/tiff"),
    ("取证单.docx", docx_bytes(), "docx", ALLOWED["docx"].mime),
    ("明细.xlsx", xlsx_bytes(), "xlsx", ALLOWED["xlsx"].mime),
    ("旧文档.doc", cfb("WordDocument", "1Table"), "doc", "application/msword"),
    ("旧表格.xls", cfb("Workbook"), "xls", "application/vnd.ms-excel"),
    ("明细.csv", GB_TEXT, "text", "text/csv; charset=gb18030"),
    ("说明.txt", "情况说明：经核实属实。\n".encode(), "text", "text/plain; charset=utf-8"),
]


@pytest.mark.parametrize(("name", "content", "code", "mime"), ALLOWED_FILES,
                         ids=[f"{f[2]}-{f[0]}" for f in ALLOWED_FILES])
def test_every_allowed_kind_is_stored_under_its_hash(media, name, content, code, mime):
    stored = check_and_store(SimpleUploadedFile(name, content, content_type="application/octet-stream"))
    sha = hashlib.sha256(content).hexdigest()
    assert stored.sha256 == sha
    assert stored.size == len(content)
    assert stored.kind == ALLOWED[code].label
    assert stored.content_type == mime
    assert stored.original_name == name
    assert stored.storage_name == f"evidence/{sha[:2]}/{sha}"
    assert (media / stored.storage_name).read_bytes() == content
    assert verify(stored.storage_name, sha)
    with open_evidence(stored.storage_name) as fh:
        assert fh.read() == content


def test_the_browser_content_type_decides_nothing():
    stored = check_and_store(SimpleUploadedFile("发票.pdf", PDF, content_type="application/x-msdownload"))
    assert stored.content_type == "application/pdf"


def test_the_ole2_directory_is_followed_past_its_first_sector():
    streams = ["\x05SummaryInformation", "\x05DocumentSummaryInformation", "CompObj", "1Table", "Data",
               "ObjectPool", "WordDocument"]
    stored = check_and_store(SimpleUploadedFile("会议纪要.doc", cfb(*streams)))
    assert stored.kind == "Word 97-2003 文档（DOC）"
    assert evidence._ole_names(io.BytesIO(cfb(*streams))) >= {"WordDocument", "Root Entry"}


def test_a_broken_ole2_chain_is_refused():
    content = bytearray(cfb("WordDocument"))
    struct.pack_into("<I", content, 512 + 4, 1)  # the directory sector points at itself
    assert "损坏的 OLE2 复合文档" in refused("坏.doc", bytes(content))


# --- refusals --------------------------------------------------------------------------------

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
PE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 52 + struct.pack("<I", 64) + b"PE\x00\x00" + b"\x00" * 64


def refused(name: str, content: bytes) -> str:
    with pytest.raises(EvidenceError) as info:
        check_and_store(SimpleUploadedFile(name, content))
    return str(info.value)


def test_a_windows_executable_renamed_pdf_is_refused_and_named(media):
    assert refused("发票.pdf", PE) == "文件「发票.pdf」的内容是 Windows 可执行程序，不是 PDF 文档：不能作为证据上传。"
    assert not stored_files(media)


@pytest.mark.parametrize(("name", "content", "what"), [
    ("发票.pdf", ELF, "Linux 可执行程序"),
    ("发票.pdf", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 32, "Mach-O"),
    ("run.txt", b"#!/bin/sh\nrm -rf ~\n", "脚本程序"),
    ("page.txt", b"<html><body><script>alert(1)</script></body></html>", "网页"),
    ("notes.txt", "说明\n点击 <SCRIPT src=x></script>\n".encode(), "含脚本"),
    ("图.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>', "SVG"),
    ("资料.docx", zip_bytes({"a.txt": b"hello"}), "ZIP 压缩包"),
    ("资料.zip", zip_bytes({"a.txt": b"hello"}), "ZIP 压缩包"),
    ("宏.docx", zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>",
                           "word/vbaProject.bin": b"\x00"}), "启用宏"),
    ("宏.doc", cfb("WordDocument", "Macros"), "含宏"),
    ("setup.doc", cfb("SummaryInformation"), "OLE2 复合文档"),
    ("加密.xlsx", cfb("EncryptedPackage", "EncryptionInfo"), "加密"),
    ("动图.jpg", image("GIF"), "GIF 图片"),
    ("坏.xlsx", b"PK\x03\x04" + b"\x00" * 40, "损坏"),
    ("炸弹.xlsx", zip_bytes({"[Content_Types].xml": b" " * (2 * 1024 * 1024), "xl/workbook.xml": b"<w/>"}), "过大"),
    ("binary.txt", b"abc\x00def", "不能作为证据上传"),
])
def test_content_that_is_not_evidence_is_refused(media, name, content, what):
    message = refused(name, content)
    assert message.startswith(f"文件「{name}」的内容是")
    assert what in message
    assert "不能作为证据上传" in message
    assert not stored_files(media)


def test_an_unknown_extension_lists_what_may_be_uploaded():
    message = refused("tool.exe", PE)
    assert " Windows 可执行程序：不能作为证据上传" in message
    assert "可以上传的证据类型：PDF 文档、OFD 版式文件" in message


def test_a_pdf_named_jpg_is_refused_saying_both(media):
    message = refused("现场照片.jpg", PDF)
    assert message == "文件「现场照片.jpg」的扩展名是 .jpg（JPEG 图片），内容却是 PDF 文档：请把文件名改为「现场照片.pdf」后再上传。"
    assert not stored_files(media)


def test_a_docx_named_xlsx_and_an_unknown_extension_are_refused():
    assert "内容却是 Word 文档（DOCX）" in refused("明细.xlsx", docx_bytes())
    assert refused("发票.dat", PDF) == "文件「发票.dat」的内容是 PDF 文档，扩展名 .dat 与内容不符：请把文件名改为「发票.pdf」后再上传。"


def test_an_empty_file_is_refused(media):
    assert refused("空.pdf", b"") == "文件「空.pdf」为空（0 字节），不能作为证据上传。"
    assert not list((media / "evidence" / ".incoming").iterdir())


@override_settings(JINGSHEN_EVIDENCE_MAX_MB=0.01)
def test_a_file_over_the_limit_is_refused(media):
    content = b"%PDF-1.4\n" + b"0" * 20_000
    assert refused("大.pdf", content) == "文件「大.pdf」超过证据文件的大小上限 10.24 KB，不能上传。"
    assert not stored_files(media)


class Endless(io.RawIOBase):
    """A stream that never ends and lies about nothing: it has no size at all."""

    name = "无尽.pdf"

    def __init__(self):
        self.served = 0

    def readable(self):
        return True

    def readinto(self, b):
        b[:] = b"%" * len(b)
        self.served += len(b)
        return len(b)


@override_settings(JINGSHEN_EVIDENCE_MAX_MB=1)
def test_an_unbounded_upload_is_stopped_while_reading(media):
    stream = Endless()
    with pytest.raises(EvidenceError, match="超过证据文件的大小上限 1 MB"):
        check_and_store(stream)
    assert stream.served <= 2 * 1024 * 1024 + evidence.CHUNK
    assert not stored_files(media)


@override_settings(JINGSHEN_EVIDENCE_MAX_MB=0.01)
def test_an_upload_that_understates_its_size_is_counted():
    content = b"%PDF-1.4\n" + b"0" * 20_000
    lying = InMemoryUploadedFile(io.BytesIO(content), "file", "小.pdf", "application/pdf", 100, None)
    with pytest.raises(EvidenceError, match="大小上限"):
        check_and_store(lying)


def test_the_default_limit_is_50_mb(settings):
    if hasattr(settings, "JINGSHEN_EVIDENCE_MAX_MB"):
        del settings.JINGSHEN_EVIDENCE_MAX_MB
    assert evidence.max_bytes() == 50 * 1024 * 1024
    big = SimpleUploadedFile("大.pdf", b"%PDF-")
    big.size = 50 * 1024 * 1024 + 1  # refused from its declared size, before reading
    with pytest.raises(EvidenceError, match="50 MB"):
        check_and_store(big)


# --- names -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "clean"), [
    ("../../etc/passwd", "passwd"),
    ("a\x00b.pdf", "ab.pdf"),
    ("C:\\Users\\张三\\Desktop\\发票（2025）.pdf", "发票（2025）.pdf"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),  # the right-to-left override is gone
    ('a<b>c:d"e|f?g*.pdf', "a_b_c_d_e_f_g_.pdf"),
    ("  .hidden.pdf. ", "hidden.pdf"),
    ("CON.txt", "_CON.txt"),
    ("报告\t\n 终稿.docx", "报告 终稿.docx"),
    ("", ""),
    ("..", ""),
])
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


def test_a_long_name_is_cut_keeping_its_extension():
    name = clean_name("审" * 300 + ".pdf")
    assert len(name) == evidence.MAX_NAME_CHARS and name.endswith("审.pdf")


@pytest.mark.parametrize(("raw", "kept"), [("../../etc/passwd", "passwd.txt"), ("a\x00b.pdf", "ab.pdf"),
                                           ("../", "证据.txt")])
def test_a_hostile_name_is_metadata_never_a_path(media, tmp_path, raw, kept):
    content = b"%PDF-1.4\n" if raw.endswith(".pdf") else b"root:x:0:0\n"
    stored = check_and_store(_named(raw, content))
    assert stored.original_name == kept
    assert stored.storage_name == f"evidence/{stored.sha256[:2]}/{stored.sha256}"
    assert [p.relative_to(media).as_posix() for p in stored_files(media)] == [stored.storage_name]
    assert not (tmp_path / "etc").exists()


def _named(name: str, content: bytes):
    upload = SimpleUploadedFile("placeholder", content)
    upload._name = name  # Django's setter would already strip the path; the module must not rely on it
    return upload


# --- storing ---------------------------------------------------------------------------------

def test_the_same_content_twice_is_one_file(media):
    first = check_and_store(SimpleUploadedFile("发票.pdf", PDF))
    second = check_and_store(SimpleUploadedFile("另一张发票.pdf", PDF))
    assert first.storage_name == second.storage_name
    assert (first.original_name, second.original_name) == ("发票.pdf", "另一张发票.pdf")
    assert stored_files(media) == [media / first.storage_name]
    assert not list((media / "evidence" / ".incoming").iterdir())


def test_uploads_of_every_django_kind_and_plain_files(tmp_path, media):
    with override_settings(FILE_UPLOAD_TEMP_DIR=str(tmp_path)):
        temp = TemporaryUploadedFile("大文件.pdf", "application/pdf", len(PDF), None)
    temp.write(PDF)
    temp.seek(0)
    memory = InMemoryUploadedFile(io.BytesIO(GB_TEXT), "file", "明细.csv", "text/csv", len(GB_TEXT), None)
    path = tmp_path / "截图.png"
    path.write_bytes(image("PNG"))
    with path.open("rb") as plain:
        results = [check_and_store(temp), check_and_store(memory), check_and_store(plain)]
    temp.close()
    assert [r.kind for r in results] == ["PDF 文档", "文本文件（TXT/CSV）", "PNG 图片"]
    assert results[2].original_name == "截图.png"
    assert len(stored_files(media)) == 3


def test_a_crash_before_the_rename_leaves_no_evidence_file(media, monkeypatch):
    def crash(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(evidence.os, "replace", crash)
    with pytest.raises(OSError):
        check_and_store(SimpleUploadedFile("发票.pdf", PDF))
    assert not stored_files(media)
    assert not list((media / "evidence" / ".incoming").iterdir())
    monkeypatch.undo()
    stored = check_and_store(SimpleUploadedFile("发票.pdf", PDF))
    assert verify(stored.storage_name, stored.sha256)


def test_a_truncated_file_under_the_final_name_is_replaced(media):
    sha = hashlib.sha256(PDF).hexdigest()
    target = media / "evidence" / sha[:2] / sha
    target.parent.mkdir(parents=True)
    target.write_bytes(PDF[:10])
    stored = check_and_store(SimpleUploadedFile("发票.pdf", PDF))
    assert target.read_bytes() == PDF and verify(stored.storage_name, sha)


def test_stale_part_files_are_removed(media):
    incoming = media / "evidence" / ".incoming"
    incoming.mkdir(parents=True)
    old, fresh = incoming / "old.part", incoming / "fresh.part"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    os.utime(old, (1, 1))
    check_and_store(SimpleUploadedFile("发票.pdf", PDF))
    assert not old.exists() and fresh.exists()


def test_a_storage_without_paths_gets_the_checked_copy():
    memory = {"BACKEND": "django.core.files.storage.InMemoryStorage"}
    with override_settings(STORAGES={"default": memory, "staticfiles": memory}):
        first = check_and_store(SimpleUploadedFile("发票.pdf", PDF))
        second = check_and_store(SimpleUploadedFile("副本.pdf", PDF))
        assert first.storage_name == second.storage_name
        assert default_storage.listdir(f"evidence/{first.sha256[:2]}") == ([], [first.sha256])
        assert verify(first.storage_name, first.sha256)
        with pytest.raises(EvidenceError):
            check_and_store(SimpleUploadedFile("发票.jpg", PDF))


# --- reading ---------------------------------------------------------------------------------

def test_verify_notices_a_changed_or_missing_file(media):
    stored = check_and_store(SimpleUploadedFile("发票.pdf", PDF))
    assert verify(stored.storage_name, stored.sha256.upper())
    assert not verify(stored.storage_name, "0" * 64)
    (media / stored.storage_name).write_bytes(PDF + b"tampered")
    assert not verify(stored.storage_name, stored.sha256)
    (media / stored.storage_name).unlink()
    assert not verify(stored.storage_name, stored.sha256)
    with pytest.raises(FileNotFoundError):
        open_evidence(stored.storage_name)


@pytest.mark.parametrize("name", ["../secret_key", "evidence/ab/" + "cd" * 32, "evidence/ab/../../secret_key",
                                  "/etc/passwd", ""])
def test_only_evidence_names_are_opened(name):
    with pytest.raises(EvidenceError, match="证据文件名"):
        open_evidence(name)
    with pytest.raises(EvidenceError):
        verify(name, "0" * 64)
