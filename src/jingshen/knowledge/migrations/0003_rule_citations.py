"""The basis lines of the rule pack and the free-text 定性依据 of findings become citations (issue
16 item 2).

This migration keeps its own small reader of the rule files (TOML, read directly) and of
citation lines, frozen here, instead of importing the app's code that may change later. A
citation is resolved when its regulation (exact name; document number or edition when given,
else the current edition) and article are in the library at migration time, with the article's
text frozen; otherwise it is a plain citation, as written. A finding's lines are all plain here:
a finding resolves in the library its author reads, which only the app's access code knows. On
an upgrade the library is empty anyway: ``knowledge.citations.resolve_plain`` upgrades plain
citations after each regulation import. Findings of archived projects are left as they are (their free text is kept in any
case); the free text of every finding is kept."""

import re
import tomllib
from pathlib import Path

from django.db import migrations

RULES_DIR = Path(__file__).resolve().parents[2] / "screening" / "rules"
DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
NUM = r"[0-9０-９]+|[零〇一二两三四五六七八九十百千]+"
ARTICLE = re.compile(rf"第\s*({NUM})\s*条(?:\s*第\s*({NUM})\s*款)?(?:\s*第\s*[(（]?\s*({NUM})\s*[)）]?\s*项)?")


def number(text):
    text = text.translate({0xFF10 + i: ord("0") + i for i in range(10)})
    if text.isdigit():
        return int(text)
    total = current = 0
    for ch in text:
        if ch in DIGITS:
            current = DIGITS[ch]
        else:
            total += (current or 1) * UNITS[ch]
            current = 0
    return total + current


def split_version(version):
    """A rule file's ``version``: a document number (…〔2017〕32号) or an edition (2021年修正, 1988)."""
    version = (version or "").strip()
    return (version, "") if version.endswith("号") else ("", version)


def read_line(line):
    """(name, doc_no, edition, article, label) of one free-text citation line."""
    line = " ".join(line.split())[:300]
    m = ARTICLE.search(line)
    head = line[: m.start()] if m else line
    article = number(m[1]) if m else None
    label = m[0].replace(" ", "") if m else ""
    quoted = re.search(r"《([^《》]+)》", head)
    doc_no = edition = ""
    if quoted:
        name = quoted[1].strip()
        for group in re.findall(r"[(（]([^()（）]*)[)）]", head[quoted.end():]):
            doc_no, edition = split_version(group) if group.strip() else (doc_no, edition)
    else:
        name = head.strip(" ，,、：:") or line
    return name[:200], doc_no[:100], edition[:100], article or None, label[:60]


def find(Regulation, Article, name, doc_no, edition, article):
    regs = Regulation.objects.filter(name=name)
    if doc_no:
        regs = regs.filter(doc_no=doc_no)
    if edition:
        regs = regs.filter(edition__startswith=edition)
    reg = regs.order_by("status", "-edition_date", "-id").first()  # "current" sorts before "repealed"/"revised"
    if reg is None or article is None:
        return reg, None
    return reg, Article.objects.filter(regulation=reg, number=article).first()


def fields(Regulation, Article, name, doc_no, edition, article, label):
    reg, art = find(Regulation, Article, name, doc_no, edition, article)
    if art is not None:
        return {"regulation": reg, "article": art, "regulation_name": reg.name, "edition": reg.edition,
                "doc_no": reg.doc_no or doc_no, "article_number": art.number, "article_label": art.number_text,
                "quoted_text": re.sub(rf"^\s*第\s*(?:{NUM})\s*条\s*", "", art.text.strip()), "plain": False}
    return {"regulation": reg, "article": None, "regulation_name": name, "edition": edition or (reg.edition if reg else ""),
            "doc_no": doc_no or (reg.doc_no if reg else ""), "article_number": article, "article_label": label,
            "quoted_text": "", "plain": True}


def rule_citations(apps, schema_editor):
    Citation, Regulation, Article = (apps.get_model("knowledge", n) for n in ("Citation", "Regulation", "Article"))
    for path in sorted(RULES_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        code = data.get("code") or path.stem
        if Citation.objects.filter(rule=code).exists():
            continue
        for position, basis in enumerate(data.get("basis", [])):
            doc_no, edition = split_version(basis.get("version", ""))
            article = basis.get("article", "")
            m = ARTICLE.search(article) if article else None
            Citation.objects.create(rule=code, position=position, **fields(
                Regulation, Article, basis["regulation"].strip("《》 ")[:200], doc_no, edition,
                number(m[1]) if m else None, article[:60]))


def finding_citations(apps, schema_editor):
    Citation, Regulation, Article = (apps.get_model("knowledge", n) for n in ("Citation", "Regulation", "Article"))
    Finding = apps.get_model("audits", "Finding")
    for finding in Finding.objects.exclude(basis="").exclude(project__stage="archived").iterator():
        if Citation.objects.filter(finding=finding).exists():
            continue
        lines = [line for line in finding.basis.splitlines() if line.strip()][:50]
        for position, line in enumerate(lines):
            name, doc_no, edition, article, label = read_line(line)
            # plain: a finding resolves in what its author reads, which resolve_plain decides
            Citation.objects.create(finding=finding, position=position, created_by_id=finding.created_by_id,
                                    regulation_name=name, doc_no=doc_no, edition=edition, article_number=article,
                                    article_label=label, plain=True)


def remove(apps, schema_editor):
    Citation = apps.get_model("knowledge", "Citation")
    Citation.objects.exclude(rule="").delete()
    Citation.objects.filter(finding__isnull=False).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("knowledge", "0002_search_index"),
        ("audits", "0008_time_entries"),
    ]

    operations = [
        migrations.RunPython(rule_citations, remove),
        migrations.RunPython(finding_citations, migrations.RunPython.noop),
    ]
