"""法规库 writes: importing one edition of a regulation from its text (all or nothing), a new
edition superseding the current one, and repealing. Each checks who may publish at the unit
(``access.may_publish_at``; ``user=None`` is the command line, the operator's, unscoped as every
command is) and which level may be published where (``check_level``), runs in one transaction,
sends ``signals.content_changed`` for each regulation it changed, and ends with one activity
entry."""

import datetime
import hashlib
from dataclasses import dataclass

from django.db import transaction

from jingshen.activity.services import record
from jingshen.knowledge import access, importer
from jingshen.knowledge.models import Article, Regulation, RegulationLevel, RegulationStatus
from jingshen.knowledge.signals import content_changed
from jingshen.orgs.models import Level, Org

L = RegulationLevel
# national documents are published at the root of the unit tree, a province's at a province
AT_ROOT = (L.LAW, L.ADMINISTRATIVE, L.DEPARTMENTAL, L.ACFTU)
AT_PROVINCE = (L.PROVINCIAL,)
LEVEL_WORDS = {**{c.value: c.value for c in L}, **{c.label: c.value for c in L}}


def parse_level(text: str) -> str:
    """A level by its code (acftu) or its Chinese label (全总文件)."""
    value = LEVEL_WORDS.get(str(text or "").strip())
    if value is None:
        raise ValueError(f"未知的法规层级「{text}」，应为：{'、'.join(L.labels)}。")
    return value


def check_level(level: str, org: Org) -> None:
    """法律、行政法规、部门规章、全总文件 only at the root unit; 省级文件 only at a province-level
    unit; 本单位制度 anywhere."""
    label = L(level).label
    if level in AT_ROOT and org.parent_id is not None:
        raise ValueError(f"{label}只能由最上级单位发布（全国性文件），「{org.name}」不是最上级单位；请发布为本单位制度，或由上级单位发布。")
    if level in AT_PROVINCE and org.level != Level.PROVINCE:
        raise ValueError(f"省级文件只能由省级单位发布，「{org.name}」的层级是{org.get_level_display()}。")


def root_unit() -> Org:
    """The one unit at the top of the tree (the command line's default publisher)."""
    roots = list(Org.objects.filter(parent__isnull=True)[:2])
    if not roots:
        raise ValueError("系统中还没有单位，请先导入单位树（jingshen import orgs）。")
    if len(roots) > 1:
        raise ValueError("单位树有多个最上级单位，请用 --org 指定发布单位。")
    return roots[0]


def _check_publisher(user, org: Org) -> None:
    if user is not None and not access.may_publish_at(user, org):
        raise PermissionError(f"您不能以「{org.name}」的名义发布法规：只有本单位的系统管理员或经审负责人可以发布。")


def _text(value, label: str, limit: int, required: bool = False) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ValueError(f"请填写{label}。")
    if len(text) > limit:
        raise ValueError(f"{label}不能超过 {limit} 个字。")
    if "\x00" in text:
        raise ValueError(f"{label}含有无效字符。")
    return text


@dataclass
class ImportResult:
    regulation: Regulation
    parsed: importer.ParsedRegulation
    superseded: Regulation | None  # the edition this one replaced as 现行

    def summary(self) -> str:
        text = f"{self.regulation}：{self.parsed.summary()}"
        if self.regulation.gist:
            text += "，条文为要点（非正式文本）"
        if self.superseded is not None:
            text += f"；原现行版本（{self.superseded.edition}）已标记为已修订"
        elif self.regulation.status == RegulationStatus.REVISED:
            text += "；已有更新的现行版本，本版本标记为已修订"
        return text


def import_regulation(user, source, *, name: str, edition: str, doc_no: str = "", issuer: str = "",
                      level: str = L.UNIT, org: Org, edition_date: datetime.date | None = None,
                      effective_on: datetime.date | None = None, gist: bool = False,
                      display: str | None = None) -> ImportResult:
    """Import one edition of a regulation from a file (path or uploaded file) for ``org``.
    The current edition of the same name at the same unit becomes 已修订, replaced by this one
    (or, when this edition is dated before it, this one is recorded as 已修订 by it)."""
    _check_publisher(user, org)
    level = parse_level(level)
    check_level(level, org)
    name = _text(name, "法规名称", 200, required=True).strip("《》")
    edition = _text(edition, "版本", 100, required=True)
    doc_no = _text(doc_no, "文号", 100)
    issuer = _text(issuer, "制定机关", 200)
    if Regulation.objects.filter(owner_org=org, name=name, edition=edition).exists():
        raise ValueError(f"「{org.name}」已发布《{name}》（{edition}），同一版本不能重复导入；新版本请填写不同的版本。")
    data, display = importer.read_source(source, display)
    lines, kind = importer.source_lines(data, display)
    parsed = importer.parse_lines(lines, display, paragraphs=kind == "docx")
    parsed.kind = kind

    with transaction.atomic():
        current = (Regulation.objects.select_for_update().filter(owner_org=org, name=name, status=RegulationStatus.CURRENT)
                   .order_by("-edition_date", "-id").first())
        older = (current is not None and edition_date is not None and current.edition_date is not None
                 and edition_date < current.edition_date)
        reg = Regulation.objects.create(
            owner_org=org, name=name, issuer=issuer, doc_no=doc_no, edition=edition, edition_date=edition_date,
            effective_on=effective_on, level=level, gist=gist, preamble=parsed.preamble[:20000],
            status=RegulationStatus.REVISED if older else RegulationStatus.CURRENT, replaced_by=current if older else None,
            source_name=display[:255], source_hash=hashlib.sha256(data).hexdigest(), published_by=user,
        )
        Article.objects.bulk_create([
            Article(regulation=reg, chapter=a.chapter, section=a.section, number=a.number, number_text=a.number_text,
                    text=a.text, items=a.items)
            for a in parsed.articles
        ])
        superseded = None
        if current is not None and not older:
            current.status, current.replaced_by = RegulationStatus.REVISED, reg
            current.save(update_fields=["status", "replaced_by"])
            superseded = current
            content_changed.send(sender=Regulation, instance=current, deleted=False)
        content_changed.send(sender=Regulation, instance=reg, deleted=False)
        result = ImportResult(reg, parsed, superseded)
        record("knowledge.import_regulation", f"导入法规{result.summary()}"[:500], actor=user, org=org, obj=reg,
               after={"name": name, "edition": edition, "doc_no": doc_no, "level": level, "gist": gist,
                      "status": reg.status},
               file=display, sha256=reg.source_hash, articles=len(parsed.articles), chapters=len(parsed.chapters),
               superseded=superseded.pk if superseded else None)
    return result


def repeal(user, reg: Regulation, replaced_by: Regulation | None = None) -> Regulation:
    """废止: the regulation is no longer in force, optionally replaced by another one."""
    _check_publisher(user, reg.owner_org)
    if reg.status == RegulationStatus.REPEALED:
        raise ValueError(f"{reg}已经废止。")
    if replaced_by is not None and replaced_by.pk == reg.pk:
        raise ValueError("法规不能被自己替代。")
    before = {"status": reg.status, "replaced_by": reg.replaced_by_id}
    with transaction.atomic():
        reg.status, reg.replaced_by = RegulationStatus.REPEALED, replaced_by or reg.replaced_by
        reg.save(update_fields=["status", "replaced_by"])
        content_changed.send(sender=Regulation, instance=reg, deleted=False)
        note = f"，由{replaced_by}替代" if replaced_by is not None else ""
        record("knowledge.repeal_regulation", f"废止法规{reg}{note}"[:500], actor=user, org=reg.owner_org, obj=reg,
               before=before, after={"status": reg.status, "replaced_by": reg.replaced_by_id})
    return reg


def publishable_orgs(user):
    """The units at which the user publishes (their own, for a 系统管理员 or 经审负责人)."""
    return access.approver_orgs(user)


def levels_at(org: Org) -> list[tuple[str, str]]:
    """The levels a regulation published at ``org`` may have."""
    out = []
    for level in L:
        try:
            check_level(level, org)
        except ValueError:
            continue
        out.append((level.value, level.label))
    return out
