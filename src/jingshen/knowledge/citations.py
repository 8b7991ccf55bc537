"""Citations (引用, issue 16 item 2): a rule, finding, workpaper or case cites an article of one
edition of a regulation, and the cited words are frozen when the citation is made.

**Parsing.** ``parse`` reads one citation as a user or a rule file writes it —
``《基层工会经费收支管理办法》（总工办发〔2017〕32号）第九条``,
``《中华人民共和国工会法》第四十三条第一款第（二）项``, ``工会法第43条`` — into the regulation's
name, its document number (文号, in brackets, any of 〔〕[]［］【】()) or edition (2021年修正, 2018),
and the article (条), paragraph (款) and item (项), in Chinese or Arabic numerals.

**Resolving.** ``resolve`` looks the name up among the regulations the citer may read
(``access.regulations_for(user)``; all of them for rule files): the exact name first, else the
one name ending with it (工会法 → 中华人民共和国工会法); the edition or document number when given,
otherwise the current edition (现行, then the latest). The article's text — or the paragraph's,
or the item's — is copied into ``quoted_text`` with the edition, so a later edition never changes
what was cited. A citation whose regulation, edition or article is not in the library is a
*plain* citation (``plain``), kept as written and shown as 「未收录」; one that names a regulation of
the library but no article keeps the regulation (``regulation`` set, still ``plain``: there is
no text to freeze) and is shown as 「未指明条款」. ``resolve_plain`` upgrades plain citations once
their article has been imported (it receives ``signals.content_changed`` for a Regulation).

**Writing.** ``cite`` adds one citation to a finding, workpaper or case; ``replace_citations``
sets a target's list, keeping the citations (and their frozen text) of the lines that did not
change. A finding or workpaper of an archived project refuses (``ArchivedError``), and only a
member who acknowledged the audit discipline (``audits.access.may_work``) changes them; a case's
citations are changed by its author. The findings and workpapers services call ``replace`` inside
their own transaction and log the change with the rest of the edit.

**Showing.** ``as_html`` (a link to the article page when resolved), ``as_text`` (the report's
wording, 《名称》（文号）第九条“条文”) and ``as_dict`` (JSON: regulation, edition, article, text,
plain)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from jingshen.knowledge import signals
from jingshen.knowledge.models import Article, Citation, Regulation, RegulationStatus

MAX_LINE = 300  # one citation as written
MAX_CITATIONS = 50  # per finding, workpaper or case

# --- numerals -------------------------------------------------------------------------------------

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
CN = "零一二三四五六七八九"
NUM = r"[0-9]+|[零〇一二两三四五六七八九十百千]+"


def cn_to_int(text: str) -> int:
    """一百零五 → 105, 四十三 → 43, 十二 → 12, 43 → 43 (Chinese numerals up to the thousands)."""
    text = unicodedata.normalize("NFKC", text).strip()
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in DIGITS:
            current = DIGITS[ch]
        elif ch in UNITS:
            total += (current or 1) * UNITS[ch]
            current = 0
        else:
            raise ValueError(f"「{text}」不是数字。")
    return total + current


def int_to_cn(n: int) -> str:
    """43 → 四十三, 105 → 一百零五, 110 → 一百一十, 12 → 十二."""
    if n < 10:
        return CN[n]
    if n < 20:
        return "十" + (CN[n % 10] if n % 10 else "")
    if n < 100:
        return CN[n // 10] + "十" + (CN[n % 10] if n % 10 else "")
    if n < 10000:
        unit, name = (1000, "千") if n >= 1000 else (100, "百")
        head, rest = divmod(n, unit)
        if rest == 0:
            tail = ""
        elif rest < unit // 10:
            tail = "零" + int_to_cn(rest)
        elif rest < 20:
            tail = "一" + int_to_cn(rest)  # 一百一十
        else:
            tail = int_to_cn(rest)
        return CN[head] + name + tail
    return str(n)


# --- parsing --------------------------------------------------------------------------------------

OPEN, CLOSE = "(（[［【〔", ")）]］】〕"
ARTICLE = re.compile(
    rf"第\s*(?P<article>{NUM})\s*条"
    rf"(?:\s*第\s*(?P<paragraph>{NUM})\s*款)?"
    rf"(?:\s*(?:第\s*[(（]?\s*(?P<item>{NUM})\s*[)）]?\s*项|[(（]\s*(?P<item2>{NUM})\s*[)）]\s*项?))?"
)
DOC_NO = re.compile(r"[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*[0-9]+\s*号")
EDITION = re.compile(r"^(?:(?:19|20)\d{2}(?:年(?:\d{1,2}月(?:\d{1,2}日)?)?)?.*|.*(?:修正|修订|修改|版|本))$")
GROUP = re.compile(r"[(（]([^()（）]*(?:[〔\[［【][^〕\]］】]*[〕\]］】][^()（）]*)*)[)）]\s*$")
ITEM_LINE = re.compile(rf"^\s*[(（]\s*(?P<n>{NUM})\s*[)）]\s*(?P<text>.*)$")
ARTICLE_HEAD = re.compile(rf"^\s*第\s*(?:{NUM})\s*条\s*")


@dataclass(frozen=True)
class Parsed:
    """One citation as read from its text. ``name`` is "" only when the text names nothing."""

    written: str
    name: str
    doc_no: str = ""
    edition: str = ""
    article: int | None = None
    paragraph: int | None = None
    item: int | None = None

    @property
    def label(self) -> str:
        return article_label(self.article, self.paragraph, self.item)


def article_label(article: int | None, paragraph: int | None = None, item: int | None = None, number_text: str = "") -> str:
    """第四十三条第一款第二项 (the article as written in the library when known)."""
    if article is None:
        return ""
    label = number_text or f"第{int_to_cn(article)}条"
    if paragraph:
        label += f"第{int_to_cn(paragraph)}款"
    if item:
        label += f"第{int_to_cn(item)}项"
    return label


def _one_line(text) -> str:
    return " ".join(str(text or "").replace("\x00", "").split())


def normal_doc_no(text: str) -> str:
    """总工办发[2017]32号, 总工办发（2017）32 号 → 总工办发〔2017〕32号."""
    text = unicodedata.normalize("NFKC", text or "").replace(" ", "")
    return re.sub(r"[\[【(（]((?:19|20)\d{2})[\]】)）]", r"〔\1〕", text)


def name_key(text: str) -> str:
    """A regulation name compared without 《》, spaces and width differences."""
    return re.sub(r"[\s《》]", "", unicodedata.normalize("NFKC", text or ""))


def _classify(group: str) -> tuple[str, str] | None:
    """A bracketed group after a name: (doc_no, edition), or None when it is part of the name
    (（试行）, （暂行）)."""
    doc_no, edition = "", ""
    for part in re.split(r"[，,、;；]", group):
        part = part.strip()
        if not part:
            continue
        if DOC_NO.search(part) or part.endswith("号"):
            doc_no = normal_doc_no(part)
        elif EDITION.match(unicodedata.normalize("NFKC", part)):
            edition = part
        else:
            return None
    return (doc_no, edition) if doc_no or edition else None


def parse(text) -> Parsed:
    """Read one citation (module docstring). ValueError (Chinese) for an empty or overlong one."""
    written = _one_line(text)
    if not written:
        raise ValueError("引用不能为空。")
    if len(written) > MAX_LINE:
        raise ValueError(f"引用「{written[:30]}…」过长：一条引用不能超过 {MAX_LINE} 个字。")
    digits = written.translate({0xFF10 + i: ord("0") + i for i in range(10)})
    match = ARTICLE.search(digits)
    head = digits[: match.start()] if match else digits
    article = paragraph = item = None
    if match:
        article = cn_to_int(match["article"])
        paragraph = cn_to_int(match["paragraph"]) if match["paragraph"] else None
        item_text = match["item"] or match["item2"]
        item = cn_to_int(item_text) if item_text else None
        if article == 0:
            article = paragraph = item = None
            head = digits
    doc_no, edition = "", ""
    quoted = re.search(r"《([^《》]+)》", head)
    if quoted:
        name = quoted[1].strip()
        rest = head[quoted.end():]
        for group in re.findall(r"[(（]([^()（）]*)[)）]", rest):
            found = _classify(group)
            if found:
                doc_no, edition = found[0] or doc_no, found[1] or edition
    else:
        name = re.sub(r"^(?:根据|依据|按照|参照|违反了?|不符合)", "", head.strip(" ，,、：:")).strip()
        while True:  # trailing （文号） or （版本） groups; （试行） stays in the name
            group = GROUP.search(name)
            found = _classify(group[1]) if group else None
            if not found:
                break
            doc_no, edition = found[0] or doc_no, found[1] or edition
            name = name[: group.start()].rstrip()
    name = name[:200] if name else written[:200]
    return Parsed(written=written, name=name, doc_no=doc_no[:100], edition=edition[:100],
                  article=article, paragraph=paragraph, item=item)


def parse_lines(text) -> list[Parsed]:
    """One citation a line (several on a line when separated by “；” before a 《); blank lines skipped."""
    lines = []
    for line in str(text or "").splitlines():
        lines.extend(p for p in re.split(r"[；;]\s*(?=《)", line) if p.strip())
    parsed = [parse(line) for line in lines]
    if len(parsed) > MAX_CITATIONS:
        raise ValueError(f"引用不能超过 {MAX_CITATIONS} 条。")
    return parsed


# --- resolving ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    regulation: Regulation | None
    article: Article | None
    quoted_text: str = ""
    label: str = ""


def _edition_matches(reg: Regulation, edition: str) -> bool:
    wanted = name_key(edition)
    have = name_key(reg.edition)
    if not wanted:
        return True
    if have == wanted or have.startswith(wanted) or wanted.startswith(have):
        return True
    year = re.fullmatch(r"((?:19|20)\d{2})年?", wanted)
    return bool(year and reg.edition_date and reg.edition_date.year == int(year[1]))


def find_regulation(parsed: Parsed, regulations) -> Regulation | None:
    """The edition ``parsed`` cites among ``regulations`` (a queryset): by name, then by 文号 or
    edition when given, else the current edition."""
    key = name_key(parsed.name)
    if not key:
        return None
    rows = list(regulations.only("id", "name", "doc_no", "edition", "edition_date", "status", "gist"))
    exact = [r for r in rows if name_key(r.name) == key]
    if not exact and len(key) >= 3:
        ending = [r for r in rows if name_key(r.name).endswith(key)]
        if len({name_key(r.name) for r in ending}) == 1:
            exact = ending
    if parsed.doc_no:
        wanted = normal_doc_no(parsed.doc_no)
        same = [r for r in exact if normal_doc_no(r.doc_no) == wanted]
        exact = same or [r for r in exact if not r.doc_no]
    if parsed.edition:
        exact = [r for r in exact if _edition_matches(r, parsed.edition)]
    if not exact:
        return None
    exact.sort(key=lambda r: (r.status != RegulationStatus.CURRENT, -(r.edition_date.toordinal() if r.edition_date else 0), -r.pk))
    return Regulation.objects.get(pk=exact[0].pk)


def _paragraphs(article: Article) -> list[tuple[str, list[tuple[int, str]]]]:
    """The article's paragraphs (款), each with the items （一）… that follow it in the text."""
    out: list[tuple[str, list[tuple[int, str]]]] = []
    for n, line in enumerate(l for l in article.text.splitlines() if l.strip()):
        if n == 0:
            line = ARTICLE_HEAD.sub("", line)
        item = ITEM_LINE.match(line)
        if item and out:
            try:
                out[-1][1].append((cn_to_int(item["n"]), item["text"].strip()))
                continue
            except ValueError:
                pass
        out.append((line.strip(), []))
    return out


def article_text(article: Article, paragraph: int | None = None, item: int | None = None) -> str | None:
    """The words cited: the article, one paragraph (with its items) or one item; None when the
    article has no such paragraph or item."""
    paragraphs = _paragraphs(article)
    if paragraph is not None:
        if not 1 <= paragraph <= len(paragraphs):
            return None
        chosen = [paragraphs[paragraph - 1]]
    else:
        chosen = paragraphs
    if item is not None:
        for _, items in chosen:
            for n, text in items:
                if n == item:
                    return text
        if paragraph is None or paragraph == 1:  # items kept apart from the text
            for entry in article.items or []:
                label = re.sub(r"[()（）\s]", "", str(entry.get("label", "")))
                try:
                    if label and cn_to_int(label) == item:
                        return str(entry.get("text", "")).strip()
                except ValueError:
                    continue
        return None
    if paragraph is not None:
        head, items = chosen[0]
        return "\n".join([head] + [f"（{int_to_cn(n)}）{t}" for n, t in items])
    return ARTICLE_HEAD.sub("", article.text.strip())


def resolve(parsed: Parsed, regulations) -> Resolved:
    """Look ``parsed`` up among ``regulations``: the regulation (when its name and edition are
    found) and the article with the cited words (when the article, paragraph and item are)."""
    reg = find_regulation(parsed, regulations)
    if reg is None or parsed.article is None:
        return Resolved(reg, None)
    art = reg.articles.filter(number=parsed.article).first()
    if art is None:
        return Resolved(reg, None)
    text = article_text(art, parsed.paragraph, parsed.item)
    if text is None:
        return Resolved(reg, None)
    return Resolved(reg, art, text, article_label(art.number, parsed.paragraph, parsed.item, art.number_text))


def _fields(parsed: Parsed, found: Resolved) -> dict:
    """A Citation's fields for ``parsed`` resolved as ``found``: frozen from the library when the
    article is found, as written otherwise."""
    if found.article is not None:
        reg = found.regulation
        return {"regulation": reg, "article": found.article, "regulation_name": reg.name, "edition": reg.edition,
                "doc_no": reg.doc_no or parsed.doc_no, "article_number": found.article.number,
                "article_label": found.label[:60], "quoted_text": found.quoted_text, "plain": False}
    return {"regulation": found.regulation, "article": None, "regulation_name": parsed.name,
            "edition": parsed.edition or (found.regulation.edition if found.regulation else ""),
            "doc_no": parsed.doc_no or (found.regulation.doc_no if found.regulation else ""),
            "article_number": parsed.article, "article_label": parsed.label[:60], "quoted_text": "", "plain": True}


# --- targets and who may change their citations -------------------------------------------------


def _citer(target) -> dict:
    """The Citation field naming ``target``: a Finding, a Workpaper, a Case, or a rule code."""
    from jingshen.audits.models import Finding, Workpaper
    from jingshen.knowledge.models import Case

    if isinstance(target, str):
        return {"rule": target}
    if isinstance(target, Finding):
        return {"finding": target}
    if isinstance(target, Workpaper):
        return {"workpaper": target}
    if isinstance(target, Case):
        return {"case": target}
    raise TypeError(f"cannot cite for {type(target).__name__}")


def check_open(target) -> None:
    """A finding or workpaper of an archived project refuses citation changes (its project's stage
    as stored, as ``ArchivedGuard`` reads it)."""
    from jingshen.audits.models import ArchivedError, AuditProject, Stage

    project_id = getattr(target, "project_id", None)
    if project_id is None:
        return
    project = AuditProject.objects.get(pk=project_id)
    if project.stage == Stage.ARCHIVED:
        raise ArchivedError(project)


def check_may_change(user, target) -> None:
    """Who changes a target's citations: for a finding or workpaper, a member of its open
    project who acknowledged the discipline; for a case, its author; rules are changed by
    migrations and ``resolve_plain`` only."""
    from jingshen.audits import access
    from jingshen.audits.models import AuditProject
    from jingshen.knowledge.models import Case

    if isinstance(target, str):
        raise PermissionError("规则的依据随规则包维护，不能在此修改。")
    check_open(target)
    if isinstance(target, Case):
        if target.author_id != getattr(user, "pk", None):
            raise PermissionError("只有案例的编写人可以修改其依据。")
        return
    project = AuditProject.objects.get(pk=target.project_id)
    if not access.may_work(user, project):
        raise PermissionError("只有确认了审计纪律的项目组成员可以修改引用的法规条款。")


def readable(user):
    """The regulations a citation by ``user`` resolves against (all of them for rules: None)."""
    from jingshen.knowledge import access

    return Regulation.objects.all() if user is None else access.regulations_for(user)


def citations_of(target):
    return Citation.objects.filter(**_citer(target)).select_related("regulation", "article").order_by("position", "id")


# --- writing --------------------------------------------------------------------------------------


def _same(c: Citation, p: Parsed) -> bool:
    """Whether the existing citation ``c`` is the one the line ``p`` writes (so it keeps its
    frozen text and edition when a form is saved again)."""
    if c.article_number != p.article:
        return False
    ck, pk = name_key(c.regulation_name), name_key(p.name)
    if not (ck == pk or (len(pk) >= 3 and ck.endswith(pk))):
        return False
    again = ARTICLE.search(c.article_label or "")
    para = cn_to_int(again["paragraph"]) if again and again["paragraph"] else None
    item_text = (again["item"] or again["item2"]) if again else None
    if para != p.paragraph or (cn_to_int(item_text) if item_text else None) != p.item:
        return False
    if p.doc_no and normal_doc_no(c.doc_no) != normal_doc_no(p.doc_no):
        return False
    return not p.edition or name_key(c.edition).startswith(name_key(p.edition)) or name_key(p.edition).startswith(name_key(c.edition))


def replace(user, target, lines, *, regulations=None) -> list[Citation]:
    """Set ``target``'s citations to ``lines`` (texts or Parsed), without checks or logging: for
    services that check and log the edit themselves, inside their transaction. Unchanged lines
    keep their citation; new ones are resolved now (against ``regulations``, by default what
    ``user`` reads) and frozen."""
    check_open(target)
    parsed = [p if isinstance(p, Parsed) else parse(p) for p in lines]
    if len(parsed) > MAX_CITATIONS:
        raise ValueError(f"引用不能超过 {MAX_CITATIONS} 条。")
    regulations = readable(user) if regulations is None else regulations
    citer = _citer(target)
    with transaction.atomic():
        existing = list(Citation.objects.filter(**citer).order_by("position", "id"))
        kept: list[Citation] = []
        for position, p in enumerate(parsed):
            match = next((c for c in existing if c not in kept and _same(c, p)), None)
            if match is None:
                match = Citation(**citer, **_fields(p, resolve(p, regulations)), position=position,
                                 created_by=user if getattr(user, "is_authenticated", False) else None)
                match.save()
            elif match.position != position:
                match.position = position
                match.save(update_fields=["position"])
            kept.append(match)
        Citation.objects.filter(pk__in=[c.pk for c in existing if c not in kept]).delete()
    return kept


def _log(user, target, verb: str, before: list[str], after: list[str]) -> None:
    from jingshen.activity.services import record

    if isinstance(target, str):
        return
    project = getattr(target, "project", None)
    org = project.owner_org if project is not None else getattr(target, "owner_org", None)
    name = getattr(target, "title", None) or getattr(target, "matter", None) or str(target)
    record(f"knowledge.{verb}", f"修改「{name}」引用的法规条款", actor=user, org=org, obj=target,
           before={"citations": before}, after={"citations": after})


def cite(user, target, text_or_parsed) -> Citation:
    """Add one citation to a finding, workpaper or case (after the others), resolved against the
    regulations ``user`` reads and frozen now; logged."""
    check_may_change(user, target)
    parsed = text_or_parsed if isinstance(text_or_parsed, Parsed) else parse(text_or_parsed)
    with transaction.atomic():
        before = [line_of(c) for c in citations_of(target)]
        if len(before) >= MAX_CITATIONS:
            raise ValueError(f"引用不能超过 {MAX_CITATIONS} 条。")
        c = Citation.objects.create(**_citer(target), **_fields(parsed, resolve(parsed, readable(user))),
                                    position=len(before), created_by=user)
        _log(user, target, "cite", before, before + [line_of(c)])
    return c


def replace_citations(user, target, lines) -> list[Citation]:
    """Set a finding's, workpaper's or case's citations to ``lines`` (module docstring); logged
    when they change."""
    check_may_change(user, target)
    with transaction.atomic():
        before = [line_of(c) for c in citations_of(target)]
        kept = replace(user, target, lines)
        after = [line_of(c) for c in kept]
        if after != before:
            _log(user, target, "replace_citations", before, after)
    return kept


def resolve_plain(regulation: Regulation | None = None) -> int:
    """Upgrade plain citations whose article is now in the library (after an import): rules'
    citations, and those of findings and workpapers of projects not archived and of cases not
    yet published. A finding's citation resolves against what its author reads. ``regulation``
    limits the work to citations of that name. Returns how many were upgraded."""
    from jingshen.audits.models import Stage
    from jingshen.knowledge.models import CaseStatus

    plain = Citation.objects.filter(plain=True).exclude(finding__project__stage=Stage.ARCHIVED) \
        .exclude(workpaper__project__stage=Stage.ARCHIVED).exclude(case__status=CaseStatus.PUBLISHED) \
        .select_related("created_by")
    upgraded = 0
    key = name_key(regulation.name) if regulation is not None else None
    for c in plain.iterator(chunk_size=500):
        if key is not None and not key.endswith(name_key(c.regulation_name)):
            continue
        p = Parsed(written=line_of(c), name=c.regulation_name, doc_no=c.doc_no, edition=c.edition,
                   article=c.article_number, **_label_parts(c.article_label))
        user = None if c.rule else c.created_by
        if user is None and not c.rule:
            continue  # who cited is unknown: their readable library is too
        found = resolve(p, readable(user))
        if found.article is None and (found.regulation is None or found.regulation.pk == c.regulation_id):
            continue
        for name, value in _fields(p, found).items():
            setattr(c, name, value)
        c.save()
        upgraded += found.article is not None
    return upgraded


def _label_parts(label: str) -> dict:
    m = ARTICLE.search(label or "")
    if not m:
        return {"paragraph": None, "item": None}
    item = m["item"] or m["item2"]
    return {"paragraph": cn_to_int(m["paragraph"]) if m["paragraph"] else None, "item": cn_to_int(item) if item else None}


def rule_line(basis) -> str:
    """A rule file's basis as a citation line: 《名称》（文号或版本）第X条 (its note is the rule's own
    summary of the provision, shown by the rule catalogue beside the citation)."""
    return f"《{basis.regulation.strip('《》 ')}》" + (f"（{basis.version}）" if basis.version else "") + (basis.article or "")


def sync_rules(rules=None) -> int:
    """Make the rule citations match the rule pack's basis lines (after ``migrate``: a rule added
    or whose basis changed since the data migration); unchanged citations keep their text, and
    those of rules no longer in the pack go. Returns how many rules changed."""
    if rules is None:
        from jingshen.screening.rules import load_rules

        rules = load_rules()
    changed = 0
    with transaction.atomic():
        for code, rule in rules.items():
            parsed = [parse(rule_line(b)) for b in rule.basis]
            existing = list(Citation.objects.filter(rule=code).order_by("position", "id"))
            if len(existing) == len(parsed) and all(_same(c, p) for c, p in zip(existing, parsed)):
                continue
            replace(None, code, parsed, regulations=Regulation.objects.all())
            changed += 1
        Citation.objects.exclude(rule="").exclude(rule__in=list(rules)).delete()
    return changed


def rule_citations(codes=None) -> dict[str, list[Citation]]:
    """The citations of the rule pack (or of ``codes``) by rule code, in order."""
    rows = Citation.objects.exclude(rule="").select_related("regulation").order_by("rule", "position", "id")
    if codes is not None:
        rows = rows.filter(rule__in=list(codes))
    out: dict[str, list[Citation]] = {}
    for c in rows:
        out.setdefault(c.rule, []).append(c)
    return out


@receiver(signals.content_changed)
def _on_content_changed(sender, instance=None, deleted=False, **kwargs):
    if isinstance(instance, Regulation) and not deleted:
        resolve_plain(instance)


# --- showing --------------------------------------------------------------------------------------


def line_of(c: Citation) -> str:
    """The citation as one line an auditor can type back: 《名称》（文号或版本）第X条…."""
    if not c.article_label and not c.edition and not c.doc_no and not c.regulation_id and "《" not in c.regulation_name \
            and c.plain:
        return c.regulation_name  # as written, naming nothing we could read
    version = c.doc_no or c.edition
    return f"《{c.regulation_name}》" + (f"（{version}）" if version else "") + c.article_label


def article_url(c: Citation) -> str | None:
    """The article page of a resolved citation (None for a plain one)."""
    if c.plain or c.article_id is None or c.regulation_id is None:
        return None
    return reverse("knowledge:article", args=[c.regulation_id, c.article_number])


def status_label(c: Citation) -> str:
    """「未收录」 for a citation not in the library, 「未指明条款」 for one naming no article of a
    regulation that is, "" for a resolved one."""
    if not c.plain:
        return ""
    return "未指明条款" if c.regulation_id and c.article_number is None else "未收录"


def as_html(c: Citation) -> SafeString:
    """The citation as a link to its article (and its edition), or marked 未收录 / 未指明条款."""
    version = c.doc_no or c.edition
    name = f"《{c.regulation_name}》{c.article_label}" if line_of(c) != c.regulation_name else c.regulation_name
    url = article_url(c)
    head = format_html('<a href="{}" class="citation-link">{}</a>', url, name) if url else format_html("{}", name)
    parts = [format_html('<span class="citation{}">', " citation-plain" if c.plain else ""), head]
    if version:
        parts.append(format_html('<span class="muted">（{}）</span>', version))
    label = status_label(c)
    if label:
        title = "该法规未收录于法规库，按原文记录" if label == "未收录" else "未写明条款，没有可引用的条文"
        parts.append(format_html(' <span class="tag citation-status" title="{}">{}</span>', title, label))
    elif c.regulation_id and c.regulation.gist:
        parts.append(format_html(' <span class="tag" title="{}">要点</span>', "法规库中该法规的条文为要点，非正式文本"))
    parts.append(mark_safe("</span>"))
    return mark_safe("".join(parts))


def as_text(c: Citation, *, quote: bool = True) -> str:
    """The citation as a document writes it: 《名称》（文号）第九条“条文” (the frozen text of a
    resolved citation; a gist is never quoted as if it were the official text)."""
    text = line_of(c)
    if quote and c.quoted_text and not (c.regulation_id and c.regulation.gist):
        text += f"“{_one_line(c.quoted_text)}”"
    return text


def as_dict(c: Citation) -> dict:
    """The citation in JSON exports (``audits show --json``)."""
    return {"regulation": c.regulation_name, "edition": c.edition, "doc_no": c.doc_no, "article": c.article_number,
            "label": c.article_label, "text": c.quoted_text, "plain": c.plain}
