"""知识条目 and 常用问题定性表述 pages: lists, a guide (rendered Markdown, attachments, related rules)
and a wording, their forms for the publishers of their unit, attachments up and down. Views
check access, call knowledge/guides.py, render. Readers are access.guides_for / wordings_for; a
write by anyone who may not publish at the item's unit is 404."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jingshen import querystring
from jingshen.activity.services import record_download
from jingshen.audits import evidence
from jingshen.audits.models import ProblemType
from jingshen.knowledge import access, guides
from jingshen.knowledge.models import GuideKind

NOT_FOUND_GUIDE = "知识条目不存在或不在您的权限范围内。"
NOT_FOUND_WORDING = "定性表述不存在或不在您的权限范围内。"


class GuideListQuery(querystring.QueryForm):
    kind = querystring.choice("类别", GuideKind.choices)
    rule = querystring.text("规则", max_length=40)
    page = querystring.page()


class WordingListQuery(querystring.QueryForm):
    problem_type = querystring.integer("问题类型", 1, 2**62)
    rule = querystring.text("规则", max_length=40)
    page = querystring.page()


class GuideForm(forms.Form):
    kind = querystring.choice("类别", GuideKind.choices)
    title = querystring.text("标题", max_length=200)
    body = querystring.text("正文", max_length=guides.MAX_BODY)
    rules = forms.MultipleChoiceField(label="相关规则", required=False, choices=guides.rule_choices)


class WordingForm(forms.Form):
    problem_type = forms.IntegerField(label="问题类型", min_value=1, max_value=2**62, error_messages={"required": "请选择问题类型。"})
    title = querystring.text("问题", max_length=200)
    wording = querystring.text("定性表述", max_length=guides.MAX_TEXT)
    basis = querystring.text("常用依据", max_length=guides.MAX_TEXT)
    recommendation = querystring.text("常用审计建议", max_length=guides.MAX_TEXT)
    rules = forms.MultipleChoiceField(label="相关规则", required=False, choices=guides.rule_choices)


class AttachmentForm(forms.Form):
    file = forms.FileField(label="文件", required=False, max_length=1000)


def _errors(request, form) -> None:
    messages.error(request, "；".join(f"{form.fields[n].label if n in form.fields else '表单'}：{''.join(e)}"
                                      for n, e in form.errors.items()))


def _with_rule(listed, code: str):
    """Items linking to rule ``code`` (filtered in Python: JSON containment is not portable to SQLite)."""
    return [item for item in listed if code in (item.rules or ())]


# --- guides ---------------------------------------------------------------------------------------


@querystring.query(GuideListQuery)
def guides_index(request):
    q = request.query
    listed = access.guides_for(request.user).select_related("owner_org", "author").order_by("-updated_at", "-id")
    if q.given("kind"):
        listed = listed.filter(kind=q.value("kind"))
    if q.given("rule"):
        listed = _with_rule(listed.exclude(rules=[])[:2000], q.value("rule"))
    page = Paginator(listed, 30).get_page(q.value("page"))
    context = {"page": page, "filters": q.data, "kinds": GuideKind.choices, "may_publish": guides.may_publish(request.user),
               "rule": q.value("rule"), "rule_name": guides.rule_catalogue().get(q.value("rule") or "", "")}
    return render(request, "knowledge/guides.html", context)


def _guide_values(g) -> dict:
    return {"kind": g.kind, "title": g.title, "body": g.body, "rules": g.rules}


def _guide_form_context(values: dict, guide=None) -> dict:
    return {"values": values, "guide": guide, "kinds": GuideKind.choices, "rule_options": guides.rule_choices(),
            "chosen_rules": set(values.get("rules") or ())}


def _posted_guide(request, guide=None):
    form = GuideForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return None, {k: form.cleaned_data.get(k, "") for k in GuideForm.base_fields}
    data = form.cleaned_data
    try:
        saved = guides.save_guide(request.user, guide, kind=data["kind"], title=data["title"], body=data["body"],
                                  rules=data["rules"])
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
        return None, dict(data)
    return saved, data


@querystring.posts(GuideForm)
def guide_new(request):
    if not guides.may_publish(request.user):
        raise Http404("只有本单位的系统管理员或经审负责人可以发布知识条目。")
    values = {"kind": GuideKind.GUIDE}
    if request.method == "POST":
        saved, values = _posted_guide(request)
        if saved is not None:
            messages.success(request, f"已发布知识条目，{request.user.org.name}及下级单位可以查阅。")
            return redirect("knowledge:guide", guide_id=saved.pk)
    return render(request, "knowledge/guide_form.html", _guide_form_context(values))


@querystring.posts(GuideForm)
def guide(request, guide_id):
    user = request.user
    g = access.get_guide_for_user(user, guide_id)
    may_edit = guides.may_edit(user, g)
    values = _guide_values(g)
    if request.method == "POST":
        if not may_edit:
            raise Http404(NOT_FOUND_GUIDE)
        saved, values = _posted_guide(request, g)
        if saved is not None:
            messages.success(request, "已保存知识条目。")
            return redirect("knowledge:guide", guide_id=g.pk)
        g.refresh_from_db()
    context = _guide_form_context(values, g) | {
        "body_html": guides.render_markdown(g.body), "rules": guides.rules_of(g.rules), "may_edit": may_edit,
        "attachments": g.attachments.select_related("uploaded_by"), "max_mb": evidence.max_bytes() / (1024 * 1024),
        "allowed": evidence.ALLOWED_LABELS,
    }
    return render(request, "knowledge/guide.html", context)


def _guide_for_edit(request, guide_id):
    g = access.get_guide_for_user(request.user, guide_id)
    if not guides.may_edit(request.user, g):
        raise Http404(NOT_FOUND_GUIDE)
    return g


@require_POST
def guide_delete(request, guide_id):
    g = _guide_for_edit(request, guide_id)
    try:
        guides.delete_guide(request.user, g)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
        return redirect("knowledge:guide", guide_id=g.pk)
    messages.success(request, f"已删除知识条目「{g.title}」。")
    return redirect("knowledge:guides")


@require_POST
@querystring.posts(AttachmentForm)
def guide_attach(request, guide_id):
    g = _guide_for_edit(request, guide_id)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        _errors(request, form)
        return redirect("knowledge:guide", guide_id=g.pk)
    try:
        item = guides.add_attachment(request.user, g, form.cleaned_data["file"])
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已上传附件「{item.original_name}」（{item.kind}）。")
    return redirect("knowledge:guide", guide_id=g.pk)


def attachment(request, attachment_id):
    """The stored file as an attachment, with the type judged at upload and nosniff; logged."""
    item = guides.get_attachment_for_user(request.user, attachment_id)
    try:
        response = evidence.file_response(item.storage_name, item.content_type, item.original_name, f"attachment-{item.pk}")
    except (OSError, evidence.EvidenceError):
        raise Http404("附件文件不存在。") from None
    record_download("知识条目附件", item.original_name, actor=request.user, org=item.guide.owner_org, obj=item,
                    guide=item.guide_id, sha256=item.sha256, size=item.size)
    return response


@require_POST
def attachment_remove(request, attachment_id):
    item = guides.get_attachment_for_user(request.user, attachment_id)
    if not guides.may_edit(request.user, item.guide):
        raise Http404("附件不存在或不在您的权限范围内。")
    try:
        guides.remove_attachment(request.user, item)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已删除附件「{item.original_name}」。")
    return redirect("knowledge:guide", guide_id=item.guide_id)


# --- standard wordings ----------------------------------------------------------------------------


@querystring.query(WordingListQuery)
def wordings_index(request):
    q = request.query
    listed = access.wordings_for(request.user).select_related("problem_type", "owner_org").order_by(
        "problem_type__order", "problem_type__name", "title", "pk")
    if q.given("problem_type"):
        listed = listed.filter(problem_type_id=q.value("problem_type"))
    if q.given("rule"):
        listed = _with_rule(listed.exclude(rules=[])[:2000], q.value("rule"))
    page = Paginator(listed, 50).get_page(q.value("page"))
    context = {"page": page, "filters": q.data, "types": ProblemType.objects.filter(active=True),
               "may_publish": guides.may_publish(request.user), "rule": q.value("rule"),
               "rule_name": guides.rule_catalogue().get(q.value("rule") or "", "")}
    return render(request, "knowledge/wordings.html", context)


def _wording_values(w) -> dict:
    return {"problem_type": w.problem_type_id, "title": w.title, "wording": w.wording, "basis": w.basis,
            "recommendation": w.recommendation, "rules": w.rules}


def _wording_form_context(values: dict, item=None) -> dict:
    return {"values": values, "wording": item, "types": ProblemType.objects.filter(active=True),
            "rule_options": guides.rule_choices(), "chosen_rules": set(values.get("rules") or ())}


def _posted_wording(request, item=None):
    form = WordingForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return None, {k: form.cleaned_data.get(k, "") for k in WordingForm.base_fields}
    data = form.cleaned_data
    try:
        saved = guides.save_wording(
            request.user, item, problem_type=ProblemType.objects.filter(pk=data["problem_type"]).first(), title=data["title"],
            wording=data["wording"], basis=data["basis"], recommendation=data["recommendation"], rules=data["rules"])
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
        return None, dict(data)
    return saved, data


@querystring.posts(WordingForm)
def wording_new(request):
    if not guides.may_publish(request.user):
        raise Http404("只有本单位的系统管理员或经审负责人可以发布定性表述。")
    values = {}
    if request.method == "POST":
        saved, values = _posted_wording(request)
        if saved is not None:
            messages.success(request, "已发布定性表述，填写审计发现时可以选用。")
            return redirect("knowledge:wording", wording_id=saved.pk)
    return render(request, "knowledge/wording_form.html", _wording_form_context(values))


@querystring.posts(WordingForm)
def wording(request, wording_id):
    user = request.user
    w = access.get_wording_for_user(user, wording_id)
    may_edit = guides.may_edit(user, w)
    values = _wording_values(w)
    if request.method == "POST":
        if not may_edit:
            raise Http404(NOT_FOUND_WORDING)
        saved, values = _posted_wording(request, w)
        if saved is not None:
            messages.success(request, "已保存定性表述。")
            return redirect("knowledge:wording", wording_id=w.pk)
        w.refresh_from_db()
    context = _wording_form_context(values, w) | {"rules": guides.rules_of(w.rules), "may_edit": may_edit}
    return render(request, "knowledge/wording.html", context)


@require_POST
def wording_delete(request, wording_id):
    w = access.get_wording_for_user(request.user, wording_id)
    if not guides.may_edit(request.user, w):
        raise Http404(NOT_FOUND_WORDING)
    try:
        guides.delete_wording(request.user, w)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
        return redirect("knowledge:wording", wording_id=w.pk)
    messages.success(request, f"已删除定性表述「{w.title}」。")
    return redirect("knowledge:wordings")
