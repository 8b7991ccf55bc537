"""Knowledge fixtures for the search tests: the real 工会法 as Regulation/Article rows (read by a
small parser of the fixture's layout, independent of the regulation importer), problem types,
and the detail routes the search page links to while the pages of the other parts of issue 16
are not in this tree."""

import re
from pathlib import Path

import cn2an
import pytest
from django.http import HttpResponse
from django.urls import NoReverseMatch, include, path, reverse

from jingshen.knowledge import signals
from jingshen.knowledge.models import Article, Regulation, RegulationLevel

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "regulations"  # shared/ beside the repo
UNION_LAW = FIXTURES / "中华人民共和国工会法-2021.md"

ARTICLE = re.compile(r"^(第([一二三四五六七八九十百零〇]+)条)\s*(.*)$")
ITEM = re.compile(r"^（([一二三四五六七八九十]+)）(.*)$")


def parse_articles(text: str) -> list[dict]:
    """Chapters (## 第…章), sections (### 第…节), articles (第…条 at the start of a line) with
    their continuing paragraphs and items （一）…."""
    chapter = section = ""
    out: list[dict] = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        if line.startswith("## "):
            chapter, section = line[3:].strip(), ""
            continue
        if line.startswith("### "):
            section = line[4:].strip()
            continue
        if line.startswith("#"):
            continue
        m = ARTICLE.match(line)
        if m:
            out.append({"number_text": m.group(1), "number": int(cn2an.cn2an(m.group(2), "normal")),
                        "chapter": chapter, "section": section, "paragraphs": [m.group(3)], "items": []})
        elif out:
            out[-1]["paragraphs"].append(line)
            item = ITEM.match(line)
            if item:
                out[-1]["items"].append({"label": f"（{item.group(1)}）", "text": item.group(2)})
    return out


def make_regulation(owner, name: str, edition: str, articles: list[dict], notify: bool = True, **fields) -> Regulation:
    fields.setdefault("level", RegulationLevel.LAW)
    reg = Regulation.objects.create(owner_org=owner, name=name, edition=edition, **fields)
    Article.objects.bulk_create([
        Article(regulation=reg, chapter=a.get("chapter", ""), section=a.get("section", ""), number=a["number"],
                number_text=a.get("number_text") or f"第{cn2an.an2cn(a['number'])}条",
                text="\n".join(a["paragraphs"]) if "paragraphs" in a else a["text"], items=a.get("items", []))
        for a in articles
    ])
    if notify:
        signals.content_changed.send(sender=Regulation, instance=reg, deleted=False)
    return reg


@pytest.fixture
def union_law(tree):
    """《中华人民共和国工会法》(2021年修正) published at the root: every unit reads it."""
    import datetime

    articles = parse_articles(UNION_LAW.read_text(encoding="utf-8"))
    assert len(articles) == 58
    return make_regulation(tree["P"], "中华人民共和国工会法", "2021年修正", articles, issuer="全国人民代表大会常务委员会",
                           edition_date=datetime.date(2021, 12, 24), effective_on=datetime.date(2022, 1, 1))


@pytest.fixture
def problem_type(db):
    from jingshen.audits.models import ProblemType

    return ProblemType.objects.order_by("pk").first() or ProblemType.objects.create(name="违规发放福利")


def _detail(request, **kwargs):
    return HttpResponse("detail")


detail_routes = ([
    path("regulations/<int:regulation_id>/articles/<int:number>/", _detail, name="article"),
    path("cases/<int:pk>/", _detail, name="case"),
    path("guides/<int:pk>/", _detail, name="guide"),
    path("wordings/<int:pk>/", _detail, name="wording"),
], "knowledge")


def _urlconf():
    from jingshen import urls as project
    from jingshen.knowledge import urls as knowledge

    routes = ([*knowledge.urlpatterns, *detail_routes[0]], "knowledge")
    return [p for p in project.urlpatterns if str(p.pattern) != "knowledge/"] + [path("knowledge/", include(routes))]


urlpatterns = None  # set by the fixture below


@pytest.fixture(autouse=True)
def _detail_pages(settings):
    """The search links to the article, case, guide and wording pages by name; where those pages
    are not built in this tree yet, answer them with a plain page so that links resolve."""
    try:
        reverse("knowledge:article", args=[1, 1])
        reverse("knowledge:case", args=[1])
    except NoReverseMatch:
        global urlpatterns
        urlpatterns = _urlconf()
        settings.ROOT_URLCONF = __name__
