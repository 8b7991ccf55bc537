"""Knowledge fixtures: the real 工会法 (2021) beside the repository (../shared/fixtures/README.md),
as a file and as an indexed regulation, regulations made from article lists, and a problem type."""

import datetime
from pathlib import Path

import cn2an
import pytest

from jingshen.knowledge import signals
from jingshen.knowledge.importer import parse_file
from jingshen.knowledge.models import Article, Regulation, RegulationLevel

UNION_LAW = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "regulations" / "中华人民共和国工会法-2021.md"


def law_articles() -> list[dict]:
    """The 工会法's articles as the importer reads them, as make_regulation takes them."""
    return [{"number": a.number, "number_text": a.number_text, "chapter": a.chapter, "section": a.section,
             "paragraphs": a.paragraphs, "items": a.items} for a in parse_file(UNION_LAW).articles]


def make_regulation(owner, name: str, edition: str, articles: list[dict], notify: bool = True, **fields) -> Regulation:
    """A regulation written directly from article dicts (number, and text or paragraphs), indexed
    through signals.content_changed as the services do."""
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
def union_law() -> Path:
    assert UNION_LAW.is_file(), f"the fixture {UNION_LAW} is missing"
    return UNION_LAW


@pytest.fixture
def indexed_union_law(tree, union_law):
    """《中华人民共和国工会法》(2021年修正) published at the root (every unit reads it) and indexed."""
    articles = law_articles()
    assert len(articles) == 58
    return make_regulation(tree["P"], "中华人民共和国工会法", "2021年修正", articles, issuer="全国人民代表大会常务委员会",
                           edition_date=datetime.date(2021, 12, 24), effective_on=datetime.date(2022, 1, 1))


@pytest.fixture
def problem_type(db):
    from jingshen.audits.models import ProblemType

    return ProblemType.objects.order_by("pk").first() or ProblemType.objects.create(name="违规发放福利")
