"""知识库 index and 法规库 pages: the list with its filters, one regulation (metadata, status,
table of contents, every article with an anchor), one article (the URL citations link to),
the upload for publishers and 废止. Views check access (access.py), call services, render."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jingshen import querystring
from jingshen.knowledge import access, services
from jingshen.knowledge.forms import RegulationQuery, RepealForm, UploadForm
from jingshen.knowledge.importer import ITEM
from jingshen.knowledge.models import CaseStatus, Regulation, RegulationStatus
from jingshen.tabular import TableError

PER_PAGE = 50


def index(request):
    """知识库: what it holds, counted as the user reads it."""
    user = request.user
    context = {
        "regulation_count": access.regulations_for(user).filter(status=RegulationStatus.CURRENT).count(),
        "case_count": access.cases_for(user).filter(status=CaseStatus.PUBLISHED).count(),
        "guide_count": access.guides_for(user).count(),
        "wording_count": access.wordings_for(user).count(),
        "may_publish": services.publishable_orgs(user).exists(),
    }
    return render(request, "knowledge/index.html", context)


@querystring.query(RegulationQuery)
def regulations(request):
    user = request.user
    q = request.query
    regs = access.regulations_for(user).select_related("owner_org", "replaced_by").annotate(article_count=Count("articles"))
    if q.given("level"):
        regs = regs.filter(level=q.value("level"))
    if q.given("status"):
        regs = regs.filter(status=q.value("status"))
    if q.given("issuer"):
        regs = regs.filter(issuer__icontains=q.value("issuer"))
    if q.given("year"):
        year = q.value("year")
        regs = regs.filter(Q(edition_date__year=year) | Q(edition_date__isnull=True, effective_on__year=year))
    issuers = (access.regulations_for(user).exclude(issuer="").order_by("issuer").values_list("issuer", flat=True).distinct())
    page = Paginator(regs.order_by("name", "-edition_date", "-id"), PER_PAGE).get_page(q.value("page"))
    context = {"page": page, "filters": q.data, "levels": Regulation._meta.get_field("level").choices,
               "statuses": RegulationStatus.choices, "issuers": list(issuers[:200]),
               "may_publish": services.publishable_orgs(user).exists()}
    return render(request, "knowledge/regulations.html", context)


def blocks(article) -> list[dict]:
    """An article's paragraphs for display: plain paragraphs, and runs of items （一）（二）… as
    one list ({"paragraph": …} or {"entries": [(label, text), …]})."""
    out: list[dict] = []
    for line in article.text.split("\n"):
        m = ITEM.match(line)
        if m:
            if not out or "entries" not in out[-1]:
                out.append({"entries": []})
            out[-1]["entries"].append((f"（{m.group(1)}）", m.group(2)))
        else:
            out.append({"paragraph": line})
    return out


def _chapters(articles):
    """[(chapter, [(section, [article, …]), …]), …] in the order of the articles."""
    out: list[tuple[str, list]] = []
    for a in articles:
        if not out or out[-1][0] != a.chapter:
            out.append((a.chapter, []))
        sections = out[-1][1]
        if not sections or sections[-1][0] != a.section:
            sections.append((a.section, []))
        sections[-1][1].append(a)
    return out


def regulation(request, regulation_id):
    user = request.user
    reg = access.get_regulation_for_user(user, regulation_id)
    articles = list(reg.articles.all())
    for a in articles:
        a.blocks = blocks(a)
    readable = access.regulations_for(user)
    context = {
        "reg": reg,
        "chapters": _chapters(articles),
        "article_count": len(articles),
        "replaced_by": readable.filter(pk=reg.replaced_by_id).first() if reg.replaced_by_id else None,
        "editions": readable.filter(owner_org=reg.owner_org, name=reg.name).exclude(pk=reg.pk).order_by("-edition_date", "-id"),
        "may_repeal": reg.status != RegulationStatus.REPEALED and access.may_publish_at(user, reg.owner_org),
        "repeal_choices": readable.filter(status=RegulationStatus.CURRENT).exclude(pk=reg.pk).order_by("name")[:500]
        if access.may_publish_at(user, reg.owner_org) else [],
    }
    return render(request, "knowledge/regulation.html", context)


def article(request, regulation_id, number):
    reg = access.get_regulation_for_user(request.user, regulation_id)
    art = reg.articles.filter(number=number).first()
    if art is None:
        raise Http404("该法规没有这一条。")
    art.blocks = blocks(art)
    context = {"reg": reg, "article": art,
               "previous": reg.articles.filter(number__lt=number).order_by("-number").first(),
               "next": reg.articles.filter(number__gt=number).order_by("number").first()}
    return render(request, "knowledge/article.html", context)


@querystring.posts(UploadForm)
def upload(request):
    user = request.user
    orgs = list(services.publishable_orgs(user).order_by("path"))
    if not orgs:
        raise Http404("只有系统管理员或经审负责人可以发布法规。")
    form = UploadForm(orgs=orgs)
    refused: list[str] = []
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, orgs=orgs)
        if form.is_valid():
            data = form.cleaned_data
            org = next(o for o in orgs if o.code == data["org"])
            try:
                result = services.import_regulation(
                    user, data["file"], name=data["name"], edition=data["edition"], doc_no=data["doc_no"],
                    issuer=data["issuer"], level=data["level"], org=org, edition_date=data["edition_date"],
                    effective_on=data["effective_on"], gist=data["gist"], display=data["file"].name,
                )
            except TableError as exc:
                refused = [str(e) for e in exc.errors[:200]]
                messages.error(request, "文件被拒绝，法规库未做任何改动。")
            except (PermissionError, ValueError) as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"导入完成：{result.summary()}")
                return redirect("knowledge:regulation", regulation_id=result.regulation.pk)
    levels = [(o, [label for _, label in services.levels_at(o)]) for o in orgs]
    return render(request, "knowledge/upload.html", {"form": form, "refused": refused, "levels": levels})


@require_POST
@querystring.posts(RepealForm)
def repeal(request, regulation_id):
    user = request.user
    reg = access.get_regulation_for_user(user, regulation_id)
    if not access.may_publish_at(user, reg.owner_org):
        raise Http404("法规不存在或不在您的权限范围内。")
    form = RepealForm(request.POST)
    replacement = None
    if form.is_valid() and form.cleaned_data["replaced_by"]:
        replacement = access.regulations_for(user).filter(pk=form.cleaned_data["replaced_by"]).first()
        if replacement is None:
            messages.error(request, "所选的替代法规不存在。")
            return redirect("knowledge:regulation", regulation_id=reg.pk)
    try:
        services.repeal(user, reg, replaced_by=replacement)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{reg}已标记为已废止。")
    return redirect("knowledge:regulation", regulation_id=reg.pk)
