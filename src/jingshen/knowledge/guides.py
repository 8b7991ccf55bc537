"""知识库: guides and notes (知识条目: Markdown rendered through a sanitiser, with attachments
checked and stored like evidence) and standard finding wordings (常用问题定性表述, by problem type,
offered on the finding form). Both are published by a unit's administrator or 经审负责人 for
their own unit (``scope.PUBLISH``) and read in its subtree and by the units above that see it
(``access.guides_for`` / ``access.wordings_for``). Both link to rules of the rule pack; the rule
catalogue lists, per rule, the guides and wordings the reader sees (``related_to_rules``).

Every write checks again who may, runs in one transaction, logs (``knowledge.guide_*``,
``knowledge.wording_*``) and sends ``signals.content_changed`` for the search index.

**Rendering.** ``render_markdown`` turns the body into HTML with Python-Markdown and then passes
it through nh3 (the Ammonia sanitiser) with an allow-list of tags and attributes: no script,
style, iframe, form or event attribute, no ``style`` attribute (the CSP would refuse it anyway),
links only to http(s), mailto and the platform's own paths, every link ``rel="noopener
noreferrer nofollow"``. A user's raw HTML in the body is therefore escaped or dropped, never run."""

from __future__ import annotations

import functools

import markdown as markdown_lib
import nh3
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe

from jingshen.activity.services import record
from jingshen.audits import evidence
from jingshen.audits.models import ProblemType
from jingshen.knowledge import access
from jingshen.knowledge.models import Guide, GuideAttachment, GuideKind, StandardWording
from jingshen.knowledge.signals import content_changed
from jingshen.screening.rules import load_rules

MAX_BODY = 100_000
MAX_TEXT = 5000

TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del", "ins", "sub", "sup",
        "blockquote", "code", "pre", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td",
        "a", "img", "abbr"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}, "abbr": {"title"},
              "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> SafeString:
    """The body as sanitised HTML (see the module docstring)."""
    html = markdown_lib.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    clean = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                      link_rel="noopener noreferrer nofollow", strip_comments=True)
    return mark_safe(clean)  # noqa: S308 — sanitised by nh3 just above


# --- the rule catalogue ---------------------------------------------------------------------------


@functools.cache
def _catalogue() -> tuple[tuple[str, str], ...]:
    return tuple((r.code, r.name) for r in sorted(load_rules().values(), key=lambda r: r.code))


def rule_catalogue() -> dict[str, str]:
    """Rule code → name, of the rule pack (screening/rules/*.toml)."""
    return dict(_catalogue())


def rule_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} {name}") for code, name in _catalogue()]


def check_rules(codes) -> list[str]:
    """Rule codes of the rule pack, each once, in the order given; an unknown one is refused."""
    known = rule_catalogue()
    out = []
    for code in codes or ():
        code = str(code).strip()
        if not code:
            continue
        if code not in known:
            raise ValueError(f"规则“{code[:40]}”不在规则目录中。")
        if code not in out:
            out.append(code)
    return out


def rules_of(codes) -> list[tuple[str, str]]:
    """(code, name) of the rules an item links to (a rule since removed from the pack shows its code)."""
    known = rule_catalogue()
    return [(c, known.get(c, "（规则已不在规则目录中）")) for c in codes or ()]


def related_to_rules(user) -> dict[str, dict[str, list]]:
    """Rule code → {"guides": [Guide], "wordings": [StandardWording]} the user reads; one query each."""
    out: dict[str, dict[str, list]] = {}
    for key, listed in (("guides", access.guides_for(user)), ("wordings", access.wordings_for(user))):
        for item in listed.exclude(rules=[]).only("pk", "title", "rules").order_by("title", "pk")[:2000]:
            for code in item.rules or ():
                out.setdefault(code, {"guides": [], "wordings": []})[key].append(item)
    return out


# --- checks ---------------------------------------------------------------------------------------


def _text(value, label: str, limit: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValueError(f"请填写{label}。")
    if len(text) > limit:
        raise ValueError(f"{label}不能超过 {limit:,} 个字。")
    if "\x00" in text:
        raise ValueError(f"{label}含有无效字符。")
    return text


def may_publish(user) -> bool:
    """Whether the user publishes knowledge at their own unit (buttons; every write checks again)."""
    return bool(getattr(user, "is_authenticated", False) and user.org_id and access.may_publish_at(user, user.org))


def may_edit(user, item) -> bool:
    """Guides and wordings are changed by the publishers of the unit they belong to."""
    return bool(getattr(user, "is_authenticated", False) and access.may_publish_at(user, item.owner_org))


def _check_new(user, what: str) -> None:
    if not may_publish(user):
        raise PermissionError(f"只有本单位的系统管理员或经审负责人可以发布{what}。")


def _check_edit(user, item, what: str) -> None:
    if not may_edit(user, item):
        raise PermissionError(f"只有{item.owner_org.name}的系统管理员或经审负责人可以修改{what}。")


# --- guides ---------------------------------------------------------------------------------------


def _guide_snapshot(g: Guide) -> dict:
    return {"kind": g.kind, "title": g.title, "body_length": len(g.body), "rules": g.rules}


def save_guide(user, guide: Guide | None = None, *, kind: str, title: str, body: str, rules=()) -> Guide:
    """Publish a guide at the user's unit, or change one (publishers of its unit)."""
    if guide is None:
        _check_new(user, "知识条目")
    else:
        _check_edit(user, guide, "该知识条目")
    if kind not in GuideKind.values:
        raise ValueError("请选择类别。")
    title = _text(title, "标题", 200, required=True)
    body = _text(body, "正文", MAX_BODY, required=True)
    rules = check_rules(rules)
    with transaction.atomic():
        before = None
        if guide is None:
            guide = Guide(owner_org=user.org, author=user)
        else:
            guide = Guide.objects.select_for_update().get(pk=guide.pk)
            before = _guide_snapshot(guide)
        guide.kind, guide.title, guide.body, guide.rules = kind, title, body, rules
        guide.save()
        content_changed.send(sender=Guide, instance=guide, deleted=False)
        verb = "发布" if before is None else "修改"
        record(f"knowledge.guide_{'create' if before is None else 'update'}", f"{verb}知识条目「{title}」",
               actor=user, org=guide.owner_org, obj=guide, before=before, after=_guide_snapshot(guide))
    return guide


def delete_guide(user, guide: Guide) -> None:
    """Remove a guide and its attachments' rows (the stored files stay: content-addressed)."""
    _check_edit(user, guide, "该知识条目")
    with transaction.atomic():
        before = _guide_snapshot(guide) | {"attachments": list(guide.attachments.values_list("original_name", "sha256"))}
        pk, org = guide.pk, guide.owner_org
        content_changed.send(sender=Guide, instance=guide, deleted=True)
        guide.delete()
        record("knowledge.guide_delete", f"删除知识条目「{before['title']}」", actor=user, org=org, before=before, guide=pk)


def add_attachment(user, guide: Guide, upload) -> GuideAttachment:
    """Check and store a file (audits/evidence.py: type by content, size limit, SHA-256) and
    attach it to the guide. A refused file raises EvidenceError (a ValueError) before anything
    is written; the same content twice on one guide is refused."""
    _check_edit(user, guide, "该知识条目")
    if upload is None:
        raise ValueError("请选择要上传的文件。")
    stored = evidence.check_and_store(upload)
    with transaction.atomic():
        guide = Guide.objects.select_for_update().get(pk=guide.pk)
        if guide.attachments.filter(sha256=stored.sha256).exists():
            raise ValueError(f"文件「{stored.original_name}」已是该知识条目的附件。")
        item = GuideAttachment.objects.create(
            guide=guide, sha256=stored.sha256, size=stored.size, content_type=stored.content_type, kind=stored.kind,
            original_name=stored.original_name, storage_name=stored.storage_name, uploaded_by=user)
        guide.save(update_fields=["updated_at"])
        content_changed.send(sender=Guide, instance=guide, deleted=False)
        record("knowledge.guide_attach", f"为知识条目「{guide.title}」上传附件「{item.original_name}」", actor=user,
               org=guide.owner_org, obj=item, guide=guide.pk, sha256=item.sha256, size=item.size, kind=item.kind)
    return item


def remove_attachment(user, item: GuideAttachment) -> None:
    guide = item.guide
    _check_edit(user, guide, "该知识条目")
    with transaction.atomic():
        before = {"original_name": item.original_name, "sha256": item.sha256, "uploaded_by": item.uploaded_by.username}
        item.delete()
        guide.save(update_fields=["updated_at"])
        content_changed.send(sender=Guide, instance=guide, deleted=False)
        record("knowledge.guide_detach", f"删除知识条目「{guide.title}」的附件「{before['original_name']}」", actor=user,
               org=guide.owner_org, obj=guide, before=before)


def get_attachment_for_user(user, pk: int) -> GuideAttachment:
    """An attachment of a guide the user reads, or Http404."""
    from django.http import Http404

    item = GuideAttachment.objects.select_related("guide__owner_org", "uploaded_by").filter(
        pk=pk, guide__in=access.guides_for(user)).first()
    if item is None:
        raise Http404("附件不存在或不在您的权限范围内。")
    return item


# --- standard wordings ----------------------------------------------------------------------------


def _wording_snapshot(w: StandardWording) -> dict:
    return {"problem_type": w.problem_type.name, "title": w.title, "wording": w.wording, "basis": w.basis,
            "recommendation": w.recommendation, "rules": w.rules}


def save_wording(user, item: StandardWording | None = None, *, problem_type: ProblemType | None, title: str, wording: str,
                 basis: str = "", recommendation: str = "", rules=()) -> StandardWording:
    """Publish a standard wording at the user's unit, or change one (publishers of its unit)."""
    if item is None:
        _check_new(user, "定性表述")
    else:
        _check_edit(user, item, "该定性表述")
    if problem_type is None or not problem_type.active:
        raise ValueError("请选择问题类型。")
    title = _text(title, "问题", 200, required=True)
    wording = _text(wording, "定性表述", MAX_TEXT, required=True)
    basis, recommendation = _text(basis, "常用依据", MAX_TEXT), _text(recommendation, "常用审计建议", MAX_TEXT)
    rules = check_rules(rules)
    with transaction.atomic():
        before = None
        if item is None:
            item = StandardWording(owner_org=user.org, author=user)
        else:
            item = StandardWording.objects.select_for_update().get(pk=item.pk)
            before = _wording_snapshot(item)
        item.problem_type, item.title, item.wording = problem_type, title, wording
        item.basis, item.recommendation, item.rules = basis, recommendation, rules
        item.save()
        content_changed.send(sender=StandardWording, instance=item, deleted=False)
        verb = "发布" if before is None else "修改"
        record(f"knowledge.wording_{'create' if before is None else 'update'}",
               f"{verb}定性表述「{title}」（{problem_type.name}）", actor=user, org=item.owner_org, obj=item,
               before=before, after=_wording_snapshot(item))
    return item


def delete_wording(user, item: StandardWording) -> None:
    _check_edit(user, item, "该定性表述")
    with transaction.atomic():
        before = _wording_snapshot(item)
        pk, org = item.pk, item.owner_org
        content_changed.send(sender=StandardWording, instance=item, deleted=True)
        item.delete()
        record("knowledge.wording_delete", f"删除定性表述「{before['title']}」", actor=user, org=org, before=before, wording=pk)


def wordings_offered(user):
    """The wordings the user reads, for the finding form (all problem types: the page shows those
    of the chosen type)."""
    return access.wordings_for(user).select_related("problem_type", "owner_org").order_by(
        "problem_type__order", "problem_type__name", "title", "pk")
