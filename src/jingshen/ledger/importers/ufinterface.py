"""用友's XML voucher interchange (T3/U8 "凭证导出", the ``ufinterface`` document) read as the
rows of a sheet, one per 分录: the fields of its ``voucher_head`` and of the ``entry`` beside
each other under their element names, and the ``auxiliary_accounting`` items as the numbered
核算类别/核算项目代码 columns 金蝶's layout has. The voucher importer then recognises the
columns by their names, as it does any other header (VOUCHER_FIELDS).

An entry's row number is the line of its ``<entry>`` tag in the file (what an editor shows).

XML is hostile input: the document is parsed by libxml2 (lxml) without loading a DTD, without
the network and without resolving entities, and any document that declares a DTD (the only
way to define an entity: XXE, "billion laughs") is refused. Vouchers are parsed one at a time
and dropped once read, so a large file is held as rows, not as a tree.
"""

import re
from pathlib import Path

from jingshen.tabular import TableError, RowError

# auxiliary_accounting item names → the 核算类别 金蝶 would write for them
AUX_CLASSES = {
    "cust": "客户",
    "customer": "客户",
    "supplier": "供应商",
    "vendor": "供应商",
    "dept": "部门",
    "personnel": "职员",
    "person": "职员",
    "item": "项目",
}
DTD_REFUSED = "XML 文件含有文档类型定义或实体（DOCTYPE/ENTITY），出于安全考虑不予读取；财务软件导出的凭证文件不含这些内容。"
GB_ENCODINGS = {"gb2312", "gbk", "gb18030", "cp936", "x-gbk", "euc-cn"}


def _local(tag) -> str:
    """The tag without its namespace ('' for what is not an element)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag


def _text(element) -> str:
    return (element.text or "").strip()


def _declared_encoding(path: Path) -> str | None:
    """GB18030 for a document that declares GB2312 or GBK (exports declare GB2312 and write
    GBK); otherwise what the document says, left to the parser."""
    with path.open("rb") as fh:
        head = fh.read(256)
    found = re.search(rb"""encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""", head)
    if found and found.group(1).decode("ascii").lower() in GB_ENCODINGS:
        return "gb18030"
    return None


def read_rows(path: Path, display: str) -> tuple[list[str], list[list[str]], list[int]]:
    """(header, rows, row numbers) of a ufinterface document; TableError naming the line of
    what is wrong (malformed XML, a DTD, another kind of document, a voucher without head or
    entries)."""
    from lxml import etree

    columns: dict[str, int] = {}
    entries: list[tuple[int, dict[str, str]]] = []
    errors: list[RowError] = []
    vouchers = 0
    try:
        # only <ufinterface> and <voucher> reach Python: the document (root, DTD) is checked as
        # the root opens, or at the end when the root is something else
        context = etree.iterparse(
            str(path), events=("start", "end"), tag=("{*}ufinterface", "{*}voucher"), encoding=_declared_encoding(path),
            resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, remove_comments=True, remove_pis=True,
        )
        for event, element in context:
            if event == "start":
                if element.getparent() is None:
                    _check_document(element.getroottree(), display)
                continue
            if _local(element.tag) != "voucher":
                continue
            vouchers += 1
            errors += _voucher(element, display, columns, entries)
            # drop what has been read: the vouchers before this one and its own subtree
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
        if not vouchers and context.root is not None:
            _check_document(context.root.getroottree(), display)
    except etree.XMLSyntaxError as exc:
        message = str(exc.msg if hasattr(exc, "msg") else exc)
        if "entity" in message.lower() or "amplification" in message.lower():
            reason = DTD_REFUSED
        elif "encoding" in message.lower() or "utf-8" in message.lower():
            reason = ("XML 文件的文字编码无法识别（既不是 UTF-8，也没有声明为 GB2312/GBK），"
                      "请在财务软件中重新导出。")
        else:
            reason = f"XML 格式错误，文件不完整或已损坏（{message}）。"
        raise TableError([RowError(display, exc.lineno or None, None, None, reason)]) from None
    if errors:
        raise TableError(errors[:200], total=len(errors))
    if not vouchers:
        raise TableError([RowError(display, None, None, None, "文件中没有凭证（ufinterface 下没有 voucher 元素）。")])
    header = list(columns)
    rows = [[values.get(name, "") for name in header] for _, values in entries]
    return header, rows, [line for line, _ in entries]


def _check_document(tree, display: str) -> None:
    root = tree.getroot()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise TableError([RowError(display, root.sourceline, None, None, DTD_REFUSED)])
    if _local(root.tag) != "ufinterface":
        raise TableError([RowError(display, root.sourceline, None, None,
                                   f"不是用友凭证交换文件：根元素应为 ufinterface，实为「{_local(root.tag)}」。")])


def _voucher(voucher, display: str, columns: dict[str, int], entries: list) -> list[RowError]:
    head = next((c for c in voucher if _local(c.tag) == "voucher_head"), None)
    body = next((c for c in voucher if _local(c.tag) == "voucher_body"), None)
    lines = [e for e in body if _local(e.tag) == "entry"] if body is not None else []
    if head is None:
        return [RowError(display, voucher.sourceline, "voucher_head", None, "凭证缺少凭证头（voucher_head）。")]
    if not lines:
        return [RowError(display, voucher.sourceline, "voucher_body", None, "凭证没有分录（voucher_body 下没有 entry）。")]
    head_values = {_local(c.tag): _text(c) for c in head if len(c) == 0 and _local(c.tag)}
    for name in head_values:
        columns.setdefault(name, len(columns))
    for entry in lines:
        values = dict(head_values)
        for child in entry:
            name = _local(child.tag)
            if name == "auxiliary_accounting":
                items = [i for i in child if _local(i.tag) == "item"]
                for n, item in enumerate(items, start=1):
                    kind = (item.get("name") or "").strip()
                    values[f"核算类别{n}"] = AUX_CLASSES.get(kind.lower(), kind)
                    values[f"核算项目代码{n}"] = _text(item)
            elif name and len(child) == 0:
                values[name] = _text(child)
        for name in values:
            columns.setdefault(name, len(columns))
        entries.append((entry.sourceline, values))
    return []
