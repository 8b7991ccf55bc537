"""Evidence files (取证): checked by content, stored once by their SHA-256.

    stored = check_and_store(request.FILES["file"])   # raises EvidenceError (Chinese message)
    stored.sha256, stored.size, stored.content_type, stored.kind, stored.original_name,
    stored.storage_name                                 # keep these on the Evidence row
    with open_evidence(stored.storage_name) as fh: ...  # downloads
    verify(stored.storage_name, stored.sha256)          # re-hash (archive manifest, integrity check)

This module is pure: no models, no database, no activity log. The audits services call it
inside their own write (and log it); a refused file raises before anything is stored.

**What is evidence.** ``ALLOWED`` lists the kinds an auditor really collects: PDF, OFD (the
national e-invoice and document format), JPEG/PNG/TIFF scans and photos, Word and Excel
(DOCX/XLSX and the 97-2003 DOC/XLS), and plain text or CSV in UTF-8 or GB18030. Nothing else:
no archives (a ZIP would hide what it holds; OFD, DOCX and XLSX are ZIPs and are told apart
by their members), no HTML/SVG/XML, no executables, no macro-enabled or encrypted Office
files (their content cannot be checked).

**Type judged by content, never by name.** Neither the file name nor the browser's content
type decides anything. The first bytes decide the family (PDF ``%PDF-``, PNG, JPEG, TIFF,
ZIP, OLE2); a ZIP must then hold ``OFD.xml`` (OFD), ``[Content_Types].xml`` with
``word/document.xml`` (DOCX) or ``xl/workbook.xml`` (XLSX); an OLE2 compound file must hold a
``WordDocument`` stream (DOC) or ``Workbook``/``Book`` (XLS), which a small reader of the
compound file's directory checks (an MSI installer is OLE2 too). Text must have no NUL or
other control bytes and decode entirely as UTF-8 or GB18030. Executables are always refused
and named in the message: PE (``MZ``), ELF, Mach-O, scripts starting with ``#!``, and text
holding HTML/SVG/XML markup or ``<script``. puremagic (its magic-number database) names
whatever else is refused (RAR, 7z, GIF, MP4 …); it does not decide acceptance, because it
answers candidate lists ranked by confidence (OLE2 is .doc, .spo, .opt or .rvt; ``%PDF`` is
.pdf or .fdf) and performs no structural check.

Then the name: its extension must be one of the content's kind (a real PDF named .jpg is
refused, and the message says both). A name without an extension gets the kind's own
(``passwd`` of text content is kept as ``passwd.txt``), so a download opens with the right
program.

**Size.** ``settings.JINGSHEN_EVIDENCE_MAX_MB`` (default 50, a number of MB, fractions allowed).
A declared ``size`` over the limit is refused at once; the content is counted while it is
copied in chunks, so an upload that lies about its size (or a plain file object) is stopped
one chunk past the limit and never read fully into memory. An empty file is refused.

**Names.** The stored name is never the user's: ``evidence/<sha256[:2]>/<sha256>`` in
Django's default storage (``MEDIA_ROOT`` = ``$JINGSHEN_HOME/files``). The user's name is kept
as metadata after ``clean_name``: path parts dropped (``../../etc/passwd`` → ``passwd``),
control and format characters removed (NUL, the right-to-left override that makes
``invoice‮fdp.exe`` look like a PDF), Windows-reserved characters replaced by ``_``,
reserved device names (CON, NUL, COM1 …) prefixed, leading/trailing dots and spaces
stripped, at most ``MAX_NAME_CHARS`` characters with the extension kept; Chinese is kept.

**Stored once, crash-safe.** The name is the content's hash, so identical content is one
file. With a file-system storage (the default) the content is copied into
``evidence/.incoming/<random>.part`` inside the storage folder while it is hashed and checked,
flushed with fsync, and renamed to its final name with ``os.replace`` (atomic on one file
system), and the folder is fsynced: a crash leaves either no file or the whole file under
the final name, never a truncated one that deduplication would later trust. Django's own
``FileSystemStorage.save`` writes straight into the final name, which is why it is not used
there. Two uploads of the same content racing each other both rename identical bytes onto
the same name. ``.part`` files left by a crash are removed after a day. Other storages
(object stores) create an object only when its upload completes, so there the checked copy
(a local temporary file) is saved under the final name with ``storage.save``; if a racing
upload got there first and the storage picked another name, the duplicate is deleted.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import os
import re
import struct
import tempfile
import time
import unicodedata
import uuid
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

import puremagic
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage

log = logging.getLogger(__name__)

DEFAULT_MAX_MB = 50
CHUNK = 1024 * 1024
MAX_NAME_CHARS = 120
FOLDER = "evidence"
INCOMING = f"{FOLDER}/.incoming"
STALE_SECONDS = 24 * 60 * 60
MAX_CONTENT_TYPES = 1024 * 1024  # the one ZIP member read (a zip bomb could claim gigabytes)
STORAGE_NAME = re.compile(r"evidence/([0-9a-f]{2})/([0-9a-f]{64})")


class EvidenceError(ValueError):
    """A refused evidence file; the message is Chinese and names the file."""


@dataclass(frozen=True)
class Kind:
    code: str
    label: str  # Chinese, shown to users
    mime: str
    extensions: tuple[str, ...]  # lower case, the first is the kind's own


@dataclass(frozen=True)
class StoredEvidence:
    sha256: str
    size: int
    content_type: str  # MIME judged from the content (text: with its charset)
    kind: str  # Chinese label of the kind
    original_name: str  # cleaned, metadata only
    storage_name: str  # evidence/<sha256[:2]>/<sha256> in default_storage


ALLOWED: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind("pdf", "PDF 文档", "application/pdf", (".pdf",)),
        Kind("ofd", "OFD 版式文件", "application/ofd", (".ofd",)),
        Kind("jpeg", "JPEG 图片", "image/jpeg", (".jpg", ".jpeg", ".jpe", ".jfif")),
        Kind("png", "PNG 图片", "image/png", (".png",)),
        Kind("tiff", "TIFF 图片", "image/tiff", (".tif", ".tiff")),
        Kind("docx", "Word 文档（DOCX）", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             (".docx",)),
        Kind("xlsx", "Excel 工作簿（XLSX）", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             (".xlsx",)),
        Kind("doc", "Word 97-2003 文档（DOC）", "application/msword", (".doc", ".wps")),
        Kind("xls", "Excel 97-2003 工作簿（XLS）", "application/vnd.ms-excel", (".xls", ".et")),
        Kind("text", "文本文件（TXT/CSV）", "text/plain", (".txt", ".csv", ".tsv")),
    )
}
_BY_EXTENSION = {ext: kind for kind in ALLOWED.values() for ext in kind.extensions}
ALLOWED_LABELS = "、".join(k.label for k in ALLOWED.values())


# --- names ---------------------------------------------------------------------------------

_RESERVED_CHARS = re.compile(r'[<>:"/\\|?*]')
_WINDOWS_DEVICES = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?")
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def clean_name(name) -> str:
    """The user's file name made safe to keep and show (never used as a path)."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(" " if unicodedata.category(c) == "Zs" else c for c in text
                   if unicodedata.category(c) not in _DROPPED_CATEGORIES)
    text = _RESERVED_CHARS.sub("_", text)
    text = re.sub(r" {2,}", " ", text).strip(" .")
    if _WINDOWS_DEVICES.fullmatch(text):
        text = "_" + text
    if len(text) > MAX_NAME_CHARS:
        stem, ext = _split(text)
        ext = ext if len(ext) <= 16 else ""
        text = stem[: MAX_NAME_CHARS - len(ext)].rstrip(" .") + ext
    return text


def _split(name: str) -> tuple[str, str]:
    """(stem, extension with its dot, lower case); no extension for ".x" or "x."."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or not ext or " " in ext:
        return name, ""
    return stem, "." + ext.lower()


# --- size ------------------------------------------------------------------------------------

def max_bytes() -> int:
    mb = getattr(settings, "JINGSHEN_EVIDENCE_MAX_MB", DEFAULT_MAX_MB)
    return int(float(mb) * 1024 * 1024)


def _limit_text() -> str:
    mb = float(getattr(settings, "JINGSHEN_EVIDENCE_MAX_MB", DEFAULT_MAX_MB))
    return f"{mb:g} MB" if mb >= 1 else f"{mb * 1024:g} KB"


# --- content ---------------------------------------------------------------------------------

class _Refused(Exception):
    """Content that is not evidence; ``what`` is its Chinese description."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MACHO = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x19\x1b-\x1f\x7f]")
_MARKUP_START = re.compile(r"(?is)\A\s*<(!doctype\s+html|html|svg|\?xml|head|body|iframe|object|embed)\b")
_SCRIPT = re.compile(r"(?i)<\s*script\b|javascript\s*:")

# How puremagic's answers are named in messages (by the extension of its best candidate).
_NAMES = {
    ".exe": "Windows 可执行程序", ".dll": "Windows 可执行程序", ".msi": "Windows 安装程序",
    ".rar": "RAR 压缩包", ".7z": "7z 压缩包", ".gz": "gzip 压缩包", ".bz2": "bzip2 压缩包", ".xz": "xz 压缩包",
    ".tar": "tar 归档", ".zip": "ZIP 压缩包", ".cab": "CAB 压缩包", ".iso": "光盘映像",
    ".gif": "GIF 图片", ".bmp": "BMP 图片", ".webp": "WebP 图片", ".heic": "HEIC 图片", ".ico": "图标文件",
    ".psd": "Photoshop 文件", ".mp4": "MP4 视频", ".mov": "QuickTime 视频", ".avi": "AVI 视频",
    ".mp3": "MP3 音频", ".wav": "WAV 音频", ".amr": "AMR 音频", ".swf": "Flash 程序", ".class": "Java 程序",
    ".jar": "Java 程序", ".apk": "Android 安装包", ".sqlite": "SQLite 数据库", ".rtf": "RTF 文档",
}


def _identify(fh, size: int) -> tuple[Kind, str]:
    """The allowed kind of the content and its MIME type, or raise _Refused."""
    fh.seek(0)
    head = fh.read(4096)
    if head.startswith(b"\x7fELF"):
        raise _Refused("Linux 可执行程序（ELF）")
    if head.startswith(b"MZ") and (b"\x00" in head[:64] or _pe_signature(head)):
        raise _Refused("Windows 可执行程序")
    if head.startswith(_MACHO) or head.startswith(b"\xca\xfe\xba\xbe"):
        raise _Refused("macOS 可执行程序（Mach-O）" if not head.startswith(b"\xca\xfe\xba\xbe") or head[4:6] == b"\x00\x00"
                       else "Java 程序")
    if head.startswith(b"#!"):
        raise _Refused("脚本程序（以 #! 开头）")
    if head.startswith(b"%PDF-"):
        return ALLOWED["pdf"], ALLOWED["pdf"].mime
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ALLOWED["png"], ALLOWED["png"].mime
    if head.startswith(b"\xff\xd8\xff"):
        return ALLOWED["jpeg"], ALLOWED["jpeg"].mime
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return ALLOWED["tiff"], ALLOWED["tiff"].mime
    if head.startswith(b"PK\x03\x04"):
        kind = ALLOWED[_zip_kind(fh)]
        return kind, kind.mime
    if head.startswith(OLE_MAGIC):
        kind = ALLOWED[_ole_kind(fh)]
        return kind, kind.mime
    if not _CONTROL_BYTES.search(head):
        charset = _text_charset(fh)
        if charset:
            return ALLOWED["text"], f"text/plain; charset={charset}"
    raise _Refused(_puremagic_name(fh))


def _pe_signature(head: bytes) -> bool:
    if len(head) < 64:
        return False
    (offset,) = struct.unpack_from("<I", head, 0x3C)
    return head[offset:offset + 4] == b"PE\x00\x00"


def _zip_kind(fh) -> str:
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as zf:
            names = set(zf.namelist())
            types = b""
            if "[Content_Types].xml" in names:
                if zf.getinfo("[Content_Types].xml").file_size > MAX_CONTENT_TYPES:
                    raise _Refused("异常的压缩包（[Content_Types].xml 过大）")
                types = zf.read("[Content_Types].xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, RuntimeError, KeyError):
        raise _Refused("损坏的压缩包") from None
    if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in types:
        raise _Refused("启用宏的 Office 文档")
    if "OFD.xml" in names:
        return "ofd"
    if types and "word/document.xml" in names:
        return "docx"
    if types and "xl/workbook.xml" in names:
        return "xlsx"
    if "META-INF/MANIFEST.MF" in names:
        raise _Refused("Java 程序（JAR）")
    if "AndroidManifest.xml" in names:
        raise _Refused("Android 安装包")
    raise _Refused("ZIP 压缩包")


def _ole_kind(fh) -> str:
    names = _ole_names(fh)
    if names is None:
        raise _Refused("损坏的 OLE2 复合文档")
    if "EncryptedPackage" in names:
        raise _Refused("加密的 Office 文档")
    if names & {"Macros", "_VBA_PROJECT_CUR", "VBA"}:
        raise _Refused("含宏的 Office 97-2003 文档")
    if "WordDocument" in names:
        return "doc"
    if names & {"Workbook", "Book"}:
        return "xls"
    raise _Refused("其他 OLE2 复合文档（可能是安装程序）")


_END = 0xFFFFFFFA  # sector numbers from here on are markers (end of chain, free, FAT …)


def _ole_names(fh) -> set[str] | None:
    """The names of the storages and streams in an OLE2 compound file's directory, or None if
    the structure is broken (MS-CFB: header, DIFAT, FAT chain of the directory sectors)."""
    fh.seek(0, os.SEEK_END)
    file_size = fh.tell()
    fh.seek(0)
    header = fh.read(512)
    if len(header) < 512 or not header.startswith(OLE_MAGIC):
        return None
    shift = struct.unpack_from("<H", header, 30)[0]
    if shift not in (9, 12):
        return None
    ssize = 1 << shift
    per_sector = ssize // 4
    max_sectors = file_size // ssize + 1
    num_fat, dir_start = struct.unpack_from("<II", header, 44)
    difat_start, num_difat = struct.unpack_from("<II", header, 68)

    def sector(n: int) -> bytes:
        if n >= max_sectors:
            raise ValueError
        fh.seek((n + 1) * ssize)
        data = fh.read(ssize)
        if len(data) < ssize:
            raise ValueError
        return data

    try:
        fat_sectors = [s for s in struct.unpack_from("<109I", header, 76) if s < _END]
        n, seen = difat_start, 0
        while n < _END and seen < min(num_difat, max_sectors):
            entries = struct.unpack(f"<{per_sector}I", sector(n))
            fat_sectors += [s for s in entries[:-1] if s < _END]
            n, seen = entries[-1], seen + 1
        fat_sectors = fat_sectors[:num_fat]

        def next_sector(n: int) -> int:
            index, slot = divmod(n, per_sector)
            if index >= len(fat_sectors):
                raise ValueError
            return struct.unpack_from("<I", sector(fat_sectors[index]), slot * 4)[0]

        names: set[str] = set()
        n, visited = dir_start, set()
        while n < _END:
            if n in visited or len(visited) > max_sectors:
                return None
            visited.add(n)
            data = sector(n)
            for off in range(0, ssize, 128):
                length = struct.unpack_from("<H", data, off + 64)[0]
                if data[off + 66] in (1, 2, 5) and 2 <= length <= 64:
                    names.add(data[off:off + length - 2].decode("utf-16-le", "replace"))
            n = next_sector(n)
    except (ValueError, struct.error):
        return None
    return names


def _text_charset(fh) -> str | None:
    """'utf-8' or 'gb18030' if the whole file is text in it (no control bytes), after the
    markup and script checks; None if it is not text."""
    for charset in ("utf-8-sig", "gb18030"):
        fh.seek(0)
        decoder = codecs.getincrementaldecoder(charset)()
        tail, first = "", True
        try:
            while chunk := fh.read(CHUNK):
                if _CONTROL_BYTES.search(chunk):
                    return None
                text = decoder.decode(chunk)
                if first and _MARKUP_START.match(text):
                    raise _Refused("网页或 SVG/XML 文档")
                first = first and not text.strip()
                if _SCRIPT.search(tail + text):
                    raise _Refused("含脚本的网页内容")
                tail = text[-32:]
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return "utf-8" if charset == "utf-8-sig" else "gb18030"
    return None


def _puremagic_name(fh) -> str:
    fh.seek(0)
    try:
        found = puremagic.magic_stream(fh)
    except (puremagic.PureError, ValueError, OSError):
        found = []
    for match in found:
        ext = match.extension.lower()
        if ext in _NAMES:
            return _NAMES[ext]
        if "executable" in match.name.lower():
            return f"可执行程序（{match.name}）"
    if found:
        return f"{found[0].name}（{found[0].extension or '无扩展名'}）格式"
    return "无法识别的二进制数据"


# --- storing -----------------------------------------------------------------------------------

def storage_name_for(sha256: str) -> str:
    return f"{FOLDER}/{sha256[:2]}/{sha256}"


def _local_path(storage, name: str) -> str | None:
    """The file's path if the storage keeps files in a local folder. Not every storage with a
    ``path()`` does (InMemoryStorage answers paths it never writes), so the class decides."""
    if not isinstance(storage, FileSystemStorage):
        return None
    return storage.path(name)


@contextmanager
def _incoming(storage):
    """A temporary file for the checked copy: inside the storage folder when it is a file
    system (so the final rename stays on one file system), else a local temporary file."""
    folder = _local_path(storage, INCOMING)
    if folder is None:
        with tempfile.TemporaryFile() as fh:
            yield fh, None
        return
    os.makedirs(folder, exist_ok=True)
    _remove_stale(folder)
    path = os.path.join(folder, f"{uuid.uuid4().hex}.part")
    fh = open(path, "xb+")
    try:
        yield fh, path
    finally:
        fh.close()
        if os.path.exists(path):
            os.unlink(path)


def _remove_stale(folder: str) -> None:
    cutoff = time.time() - STALE_SECONDS
    for entry in os.scandir(folder):
        try:
            if entry.name.endswith(".part") and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
        except OSError:
            pass


def _copy(uploaded_file, fh, limit: int, display: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    source = uploaded_file if isinstance(uploaded_file, File) else File(uploaded_file)
    for chunk in source.chunks(CHUNK):
        size += len(chunk)
        if size > limit:
            raise EvidenceError(f"文件「{display}」超过证据文件的大小上限 {_limit_text()}，不能上传。")
        digest.update(chunk)
        fh.write(chunk)
    fh.flush()
    return digest.hexdigest(), size


def _commit(storage, fh, temp_path: str | None, name: str, size: int) -> None:
    final = _local_path(storage, name)
    if final is not None and temp_path is not None:
        if os.path.isfile(final) and os.path.getsize(final) == size:
            return  # the same content is already stored
        if os.path.exists(final):
            log.warning("evidence file %s had the wrong size; stored again from a new upload", name)
        os.fsync(fh.fileno())
        os.chmod(temp_path, storage.file_permissions_mode or 0o644)
        folder = os.path.dirname(final)
        os.makedirs(folder, exist_ok=True)
        os.replace(temp_path, final)
        _fsync_dir(folder)
        return
    if storage.exists(name):
        return
    fh.seek(0)
    saved = storage.save(name, File(fh, name=name))
    if saved != name:  # a racing upload stored the same content first
        storage.delete(saved)


def _fsync_dir(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sp(text: str) -> str:
    """A space between a Chinese word and a following Latin one (是 PDF 文档, 是损坏的压缩包)."""
    return " " + text if text[:1].isascii() else text


def check_and_store(uploaded_file) -> StoredEvidence:
    """Check an upload (Django UploadedFile, or any binary file object with a ``name``) and
    store it; raise EvidenceError with a Chinese message naming the file if it is refused."""
    original = clean_name(getattr(uploaded_file, "name", ""))
    display = original or "（无文件名）"
    limit = max_bytes()
    declared = getattr(uploaded_file, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise EvidenceError(f"文件「{display}」超过证据文件的大小上限 {_limit_text()}，不能上传。")
    storage = default_storage
    with _incoming(storage) as (fh, temp_path):
        sha256, size = _copy(uploaded_file, fh, limit, display)
        if size == 0:
            raise EvidenceError(f"文件「{display}」为空（0 字节），不能作为证据上传。")
        stem, ext = _split(original)
        named = _BY_EXTENSION.get(ext)
        try:
            kind, content_type = _identify(fh, size)
        except _Refused as refused:
            if named:
                raise EvidenceError(
                    f"文件「{display}」的内容是{_sp(refused.what)}，不是{_sp(named.label)}：不能作为证据上传。") from None
            raise EvidenceError(
                f"文件「{display}」的内容是{_sp(refused.what)}：不能作为证据上传。"
                f"可以上传的证据类型：{ALLOWED_LABELS}。") from None
        if not ext:
            original = (original or "证据") + kind.extensions[0]
        elif named is None:
            raise EvidenceError(
                f"文件「{display}」的内容是{_sp(kind.label)}，扩展名 {ext} 与内容不符："
                f"请把文件名改为「{stem}{kind.extensions[0]}」后再上传。")
        elif named is not kind:
            raise EvidenceError(
                f"文件「{display}」的扩展名是 {ext}（{named.label}），内容却是{_sp(kind.label)}："
                f"请把文件名改为「{stem}{kind.extensions[0]}」后再上传。")
        if kind.code == "text" and ext == ".csv":
            content_type = content_type.replace("text/plain", "text/csv")
        name = storage_name_for(sha256)
        _commit(storage, fh, temp_path, name, size)
    return StoredEvidence(sha256=sha256, size=size, content_type=content_type, kind=kind.label,
                          original_name=original, storage_name=name)


# --- reading -------------------------------------------------------------------------------------

def _checked_name(storage_name: str) -> str:
    m = STORAGE_NAME.fullmatch(storage_name or "")
    if not m or not m.group(2).startswith(m.group(1)):
        raise EvidenceError(f"证据文件名「{clean_name(storage_name)}」无效。")
    return storage_name


def open_evidence(storage_name: str):
    """The stored file, opened for reading in binary (a Django File; close it, or use it in a
    ``with``). Raises EvidenceError for a name that is not an evidence name and
    FileNotFoundError (or the storage's error) if the file is missing."""
    return default_storage.open(_checked_name(storage_name), "rb")


def file_response(storage_name: str, content_type: str, original_name: str, fallback_stem: str):
    """A stored file as a download: the content type judged at upload, ``nosniff``, and the
    user's name per RFC 5987 with an ASCII fallback (``fallback_stem`` plus the extension).
    Raises EvidenceError or the storage's OSError when the file cannot be opened."""
    from django.http import FileResponse

    fh = open_evidence(storage_name)
    _, dot, ext = original_name.rpartition(".")
    fallback = fallback_stem + (f".{ext}" if dot and ext.isascii() and ext.isalnum() else "")
    response = FileResponse(fh, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(original_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def verify(storage_name: str, sha256: str) -> bool:
    """Whether the stored file exists and its content still has this SHA-256."""
    name = _checked_name(storage_name)
    if not default_storage.exists(name):
        return False
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as fh:
        for chunk in fh.chunks(CHUNK):
            digest.update(chunk)
    return digest.hexdigest() == (sha256 or "").lower()
