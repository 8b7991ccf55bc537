"""Search in Chinese (issue 16 item 5, and item 8's ``jingshen kb search``): plain-language
questions, synonyms, filters, highlighting, who reads what, hostile queries and keeping the index
up to date. Runs on SQLite (FTS5) and PostgreSQL (tsvector) alike."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jingshen.knowledge import search, signals
from jingshen.knowledge.models import (Case, CaseStatus, Guide, Regulation, RegulationLevel, RegulationStatus,
                                       StandardWording)
from jingshen.knowledge.search_models import SearchEntry

from .conftest import make_regulation

pytestmark = pytest.mark.django_db


def changed(instance, deleted=False):
    signals.content_changed.send(sender=type(instance), instance=instance, deleted=deleted)


def first(user, text, **filters):
    hits = search.search(user, text, search.Filters(**filters)).hits
    return hits[0] if hits else None


def marked(html: str) -> set[str]:
    """The words inside <mark> (adjacent words share one mark: split them back by the query's words)."""
    import re

    return {w for m in re.findall(r"<mark>([^<]*)</mark>", html) for w in search.segment(m)} | set(
        re.findall(r"<mark>([^<]*)</mark>", html))


def titles(user, text, **filters):
    return [h.title for h in search.search(user, text, search.Filters(**filters), limit=50).hits]


@pytest.fixture
def library(tree, personas, indexed_union_law, problem_type):
    """The 工会法 at the root; a city A rule, a city B rule; a published case approved at A about
    储值卡; a draft case; a guide at P about 职工活动阵地; a wording at B."""
    a_rule = make_regulation(tree["A"], "甲市总工会经费管理办法", "2024年版", [
        {"number": 1, "text": "基层工会上缴经费按季度办理。"},
        {"number": 2, "text": "严禁以任何名义向职工发放购物卡。"},
    ], level=RegulationLevel.UNIT, issuer="甲市总工会", edition_date=datetime.date(2024, 3, 1))
    b_rule = make_regulation(tree["B"], "乙市总工会财务制度", "2023年版", [
        {"number": 1, "text": "乙市基层工会慰问品采购须经集体研究。"},
    ], level=RegulationLevel.UNIT, issuer="乙市总工会", edition_date=datetime.date(2023, 5, 1))
    author = personas["a1_auditor"]
    case = Case.objects.create(owner_org=tree["A1"], title="某基层工会违规发放储值卡", year=2024, problem_type=problem_type,
                               facts="该工会在春节期间向全体会员发放储值卡，每人1000元。", handling="责令收回。",
                               lessons="节日慰问不得发放储值卡等有价证券。", author=author, status=CaseStatus.PUBLISHED,
                               approved_org=tree["A"], approved_by=personas["a_lead"])
    changed(case)
    draft = Case.objects.create(owner_org=tree["A1"], title="草稿：代金券问题", year=2025, problem_type=problem_type,
                                facts="代金券的草稿案例。", author=author)
    changed(draft)
    guide = Guide.objects.create(owner_org=tree["P"], title="职工活动阵地建设指引",
                                 body="## 建设要求\n\n**职工活动阵地**应当面向全体职工开放。", author=personas["prov_admin"])
    changed(guide)
    wording = StandardWording.objects.create(owner_org=tree["B"], problem_type=problem_type, title="超标准发放慰问品",
                                             wording="该单位超标准发放慰问品，违反了有关规定。", author=personas["b_auditor"])
    changed(wording)
    return {"law": indexed_union_law, "a_rule": a_rule, "b_rule": b_rule, "case": case, "draft": draft, "guide": guide,
            "wording": wording}


# --- segmentation ------------------------------------------------------------------------------


def test_domain_words_stay_whole_and_yield_their_parts():
    words = search.segment("违规发放购物卡和拨缴经费，送温暖活动在职工之家举行")
    for word in ("购物卡", "拨缴经费", "送温暖", "职工之家"):
        assert word in words
    assert "工会" in search.segment("工会经费") and "经费" in search.segment("工会经费")
    assert search.segment("ＡＢＣ，１２３！") == ["abc", "123"]


def test_the_vocabulary_and_synonyms_are_loaded_from_the_package_data():
    assert "购物卡" in search.vocabulary() and "职工活动阵地" in search.vocabulary()
    assert set(search.synonyms()["购物卡"]) >= {"储值卡", "代金券", "购物券"}
    assert "职工活动阵地" in search.synonyms()["职工之家"]
    assert "交" not in search.synonyms().get("缴纳", ())  # one-way: 交 finds 缴纳, not back


def test_the_segmenter_is_built_once():
    assert search.tokenizer() is search.tokenizer()


# --- ranking -------------------------------------------------------------------------------------


def test_a_plain_language_question_finds_article_43_first(indexed_union_law):
    hit = first(None, "单位按工资多少比例交工会经费")
    assert (hit.kind, hit.regulation, hit.edition, hit.article) == ("article", "中华人民共和国工会法", "2021年修正", 43)
    assert hit.url == f"/knowledge/regulations/{indexed_union_law.pk}/articles/43/"
    assert marked(hit.snippet_html) >= {"百分之二", "拨缴", "工资总额"}


@pytest.mark.parametrize("question, number", [
    ("工会经费的来源有哪些", 43),
    ("单位不交工会经费怎么办", 44),
    ("工会法第四十三条", 43),
    ("第43条", 43),
    ("企业有多少会员应当建立基层工会", 11),
    ("职工代表大会", 36),
])
def test_other_questions_find_their_article_first(indexed_union_law, question, number):
    assert first(None, question).article == number


def test_an_article_in_the_library_shows_its_regulation_and_edition(indexed_union_law):
    hit = first(None, "工会经费的来源")
    assert hit.title == "《中华人民共和国工会法》第四十三条"
    assert hit.level == RegulationLevel.LAW and hit.status == RegulationStatus.CURRENT and hit.year == 2021


# --- synonyms ------------------------------------------------------------------------------------


def test_synonyms_find_each_other(library, personas):
    auditor = personas["a_auditor"]
    for word in ("购物卡", "代金券", "购物券", "储值卡"):
        found = titles(auditor, word)
        assert "某基层工会违规发放储值卡" in found, word
        assert "《甲市总工会经费管理办法》第二条" in found, word
    assert titles(auditor, "职工之家")[0] == "职工活动阵地建设指引"
    assert "《甲市总工会经费管理办法》第一条" in titles(auditor, "拨缴")  # its text says 上缴


def test_a_synonym_is_highlighted_as_found(library, personas):
    hit = first(personas["a_auditor"], "代金券", kind="case")
    assert "储值卡" in marked(hit.snippet_html) and "储值卡" in marked(hit.title_html)


# --- filters ---------------------------------------------------------------------------------------


def test_filters_by_kind_level_status_issuer_and_year(library, personas):
    user = personas["a_auditor"]
    assert {h.kind for h in search.search(user, "工会", search.Filters(kind="article"), limit=100).hits} == {"article"}
    assert titles(user, "购物卡", kind="case") == ["某基层工会违规发放储值卡"]
    assert titles(user, "上缴", level="unit") == ["《甲市总工会经费管理办法》第一条"]
    assert titles(user, "上缴", level="law")[0] == "《中华人民共和国工会法》第四十三条"
    assert all(t.startswith("《中华人民共和国工会法》") for t in titles(user, "上缴", level="law"))
    assert titles(user, "季度", issuer="甲市") == ["《甲市总工会经费管理办法》第一条"]
    assert titles(user, "季度", issuer="全国") == []
    assert all(t.startswith("《中华人民共和国工会法》") for t in titles(user, "经费", year=2021))
    assert titles(user, "购物卡", year=2024) == ["《甲市总工会经费管理办法》第二条", "某基层工会违规发放储值卡"] or \
        set(titles(user, "购物卡", year=2024)) == {"《甲市总工会经费管理办法》第二条", "某基层工会违规发放储值卡"}
    assert titles(user, "工会经费", status="repealed") == []
    library["law"].status = RegulationStatus.REVISED
    library["law"].save()
    changed(library["law"])
    assert "《中华人民共和国工会法》第四十三条" in titles(user, "工会经费", status="revised")
    assert not any(t.startswith("《中华人民共和国工会法》") for t in titles(user, "工会经费", status="current"))
    assert titles(user, "季度", issuer="%") == []  # LIKE wildcards are text


# --- highlighting ------------------------------------------------------------------------------------


def test_everything_but_the_marks_is_escaped(tree):
    make_regulation(tree["P"], "测试<b>办法</b>", "1", [{"number": 1, "text": "购物卡<script>alert(1)</script>&amp;"}])
    hit = first(None, "购物卡")
    assert hit.snippet_html == "<mark>购物卡</mark>&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;"
    assert hit.title_html == "《测试&lt;b&gt;办法&lt;/b&gt;》第一条"
    assert "<script>" in hit.snippet  # the plain snippet is text, for JSON and the terminal


def test_the_snippet_is_cut_around_the_matched_words(tree):
    text = "无关内容。" * 60 + "违规发放购物卡的问题。" + "其他内容。" * 60
    make_regulation(tree["P"], "长条文", "1", [{"number": 1, "text": text}])
    hit = first(None, "购物卡")
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…") and "购物卡" in hit.snippet
    assert len(hit.snippet) <= search.SNIPPET + 2


# --- who reads what -----------------------------------------------------------------------------------


def test_results_hold_only_what_the_user_may_read(library, personas):
    everything = lambda user, q: {(h.kind, h.title) for h in search.search(user, q, limit=100).hits}  # noqa: E731
    a, a1, b = personas["a_auditor"], personas["a1_auditor"], personas["b_auditor"]
    # city A's rule and the case approved at A: read in A's subtree, never in B's
    assert ("article", "《甲市总工会经费管理办法》第二条") in everything(a, "购物卡")
    assert ("article", "《甲市总工会经费管理办法》第二条") in everything(a1, "购物卡")
    assert ("case", "某基层工会违规发放储值卡") in everything(a1, "购物卡")
    found_b = everything(b, "购物卡 储值卡 代金券 慰问品")
    assert not any("甲市" in t or "储值卡" in t for _, t in found_b)
    assert ("wording", "超标准发放慰问品") in found_b and ("wording", "超标准发放慰问品") not in everything(a, "慰问品")
    # a draft case is never found, not even by its author
    assert not any("草稿" in t for _, t in everything(personas["a1_auditor"], "代金券"))
    # national documents reach everybody logged in; nobody without a unit reads anything
    assert first(b, "工会经费的来源").article == 43
    assert first(personas["contact"], "工会经费的来源").article == 43


def test_a_stale_index_entry_never_reaches_a_reader(library, personas, tree):
    """Even if the index says a foreign guide belongs to the reader's unit, access.py decides."""
    foreign = Guide.objects.create(owner_org=tree["B"], title="乙市购物卡管理笔记", body="购物卡台账。", author=personas["b_auditor"])
    changed(foreign)
    SearchEntry.objects.filter(kind="guide", object_id=foreign.pk).update(org=tree["P"])
    assert "乙市购物卡管理笔记" not in titles(personas["a_auditor"], "购物卡")
    assert "乙市购物卡管理笔记" in titles(personas["b_auditor"], "购物卡")


# --- hostile queries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\u3000\t\n", "\x00"])
def test_an_empty_query_is_refused_in_chinese(indexed_union_law, text):
    with pytest.raises(search.QueryError, match="请输入要检索的内容"):
        search.search(None, text)


def test_a_ten_thousand_character_query_is_refused_before_any_work(indexed_union_law):
    with pytest.raises(search.QueryError, match="检索内容过长（10,000 个字）"):
        search.search(None, "工会经费" * 2500)
    assert first(None, "工" * search.MAX_QUERY) is not None or True  # the longest allowed query runs


def test_the_longest_allowed_query_runs(indexed_union_law):
    text = ("单位按工资多少比例交工会经费" * 10)[: search.MAX_QUERY]
    assert len(search.parse(text).terms) <= search.MAX_TERMS
    assert first(None, text).article == 43


@pytest.mark.parametrize("text", [
    "AND", "OR", "NOT", "NEAR", "工会经费 AND", "OR 工会经费", "NOT 工会经费", "NEAR(工会 经费)", "工会经费*",
    '"工会经费', '工会经费"', '""', "(工会经费", "工会经费)", "tokens:工会经费", "title_tokens : 经费", "^工会经费",
    "-工会经费", "工会经费 -", "* : ^", "'; DROP TABLE knowledge_searchentry; --", "工会经费' OR 'x'='x", "1' OR '1'='1",
    "工会 & 经费 | !会费 <-> :*", "%_\\", "{title_tokens}: 工会",
])
def test_search_syntax_is_plain_text(indexed_union_law, text):
    try:
        result = search.search(None, text)
    except search.QueryError as exc:
        assert "没有可检索的字词" in str(exc)  # only punctuation
        return
    assert all(h.kind == "article" for h in result.hits)
    if "工会经费" in text:  # the operators add nothing but words that are not in the law
        assert result.hits[0].article in {h.article for h in search.search(None, "工会经费 工会 经费", limit=3).hits}
    assert SearchEntry.objects.count() == 58  # nothing was dropped


def test_operator_words_are_searched_as_words(tree):
    make_regulation(tree["P"], "English", "1", [{"number": 1, "text": "NOT a word, NEAR the end"},
                                                {"number": 2, "text": "something else"}])
    assert titles(None, "NOT") == ["《English》第一条"]
    assert titles(None, "near") == ["《English》第一条"]


# --- keeping the index up to date ----------------------------------------------------------------------


def test_a_changed_regulation_is_reindexed_and_a_removed_one_leaves(tree):
    reg = make_regulation(tree["P"], "福利办法", "1", [{"number": 1, "text": "可以发放节日慰问品。"}])
    assert titles(None, "慰问品") == ["《福利办法》第一条"]
    article = reg.articles.get()
    article.text = "严禁发放购物卡。"
    article.save()
    changed(reg)
    assert titles(None, "慰问品") == [] and titles(None, "购物卡") == ["《福利办法》第一条"]
    changed(reg, deleted=True)
    assert titles(None, "购物卡") == [] and not SearchEntry.objects.filter(regulation_id=reg.pk).exists()


def test_a_withdrawn_case_leaves_the_index_and_a_deleted_guide_too(library):
    case, guide = library["case"], library["guide"]
    assert SearchEntry.objects.filter(kind="case", object_id=case.pk).exists()
    assert not SearchEntry.objects.filter(kind="case", object_id=library["draft"].pk).exists()
    case.status = CaseStatus.WITHDRAWN
    case.save()
    changed(case)
    assert not SearchEntry.objects.filter(kind="case", object_id=case.pk).exists()
    assert "某基层工会违规发放储值卡" not in titles(None, "储值卡")
    changed(guide, deleted=True)
    assert "职工活动阵地建设指引" not in titles(None, "职工活动阵地")
    guide_pk = guide.pk
    guide.delete()
    assert not SearchEntry.objects.filter(kind="guide", object_id=guide_pk).exists()


def test_reindex_rebuilds_everything(library):
    before = sorted(SearchEntry.objects.values_list("kind", "object_id", "tokens"))
    SearchEntry.objects.all().delete()
    assert titles(None, "购物卡") == []
    out = StringIO()
    call_command("kb_reindex", stdout=out)
    assert "法规条文 61 条，案例 1 条，指引笔记 1 条，定性表述 1 条" in out.getvalue()
    assert sorted(SearchEntry.objects.values_list("kind", "object_id", "tokens")) == before
    assert first(None, "单位按工资多少比例交工会经费").article == 43


# --- the command line ---------------------------------------------------------------------------------


def kb_search(*args) -> str:
    out = StringIO()
    call_command("kb_search", *args, stdout=out)
    return out.getvalue()


def test_kb_search_json(library):
    hits = json.loads(kb_search("单位按工资多少比例交工会经费", "--json", "--limit", "3"))
    assert len(hits) == 3
    top = hits[0]
    assert {k: top[k] for k in ("kind", "regulation", "edition", "article", "title")} == {
        "kind": "article", "regulation": "中华人民共和国工会法", "edition": "2021年修正", "article": 43,
        "title": "《中华人民共和国工会法》第四十三条"}
    assert "百分之二" in top["snippet"] and "<mark>" not in top["snippet"]
    assert top["score"] >= hits[1]["score"] >= hits[2]["score"]
    case = json.loads(kb_search("储值卡", "--kind", "case", "--json"))
    assert [(h["kind"], h["article"], h["regulation"], h["edition"]) for h in case] == [("case", None, None, None)]


def test_kb_search_text_as_a_user(library):
    text = kb_search("购物卡", "--as", "b_auditor")
    assert text == "没有找到相关内容。\n"
    text = kb_search("购物卡", "--as", "a_auditor")
    assert "【购物卡】" in text and "甲市总工会经费管理办法" in text


@pytest.mark.parametrize("args, message", [
    (["   "], "请输入要检索的内容"),
    (["工" * 10_000], "检索内容过长"),
    (["购物卡", "--as", "nobody"], "用户「nobody」不存在"),
    (["购物卡", "--limit", "0"], "--limit 应在 1 到"),
    (["购物卡", "--year", "99999"], "--year 应在"),
])
def test_kb_search_refuses_in_chinese(library, args, message):
    with pytest.raises(CommandError, match=message):
        kb_search(*args)


# --- the page --------------------------------------------------------------------------------------------


def test_the_search_page(library, client_for):
    page = client_for("a1_auditor").get("/knowledge/search/", {"q": "单位按工资多少比例交工会经费"})
    html = page.content.decode()
    assert page.status_code == 200
    law = library["law"]
    assert html.index(f'href="/knowledge/regulations/{law.pk}/articles/43/"') < html.index("第四十四条")
    assert "百分之二" in marked(html)
    page = client_for("a1_auditor").get("/knowledge/search/", {"q": "购物卡", "kind": "case"})
    assert f'href="/knowledge/cases/{library["case"].pk}/"' in page.content.decode()
    assert "甲市总工会经费管理办法" not in page.content.decode()


def test_the_search_page_shows_only_readable_hits(library, client_for):
    html = client_for("b_auditor").get("/knowledge/search/", {"q": "购物卡 储值卡"}).content.decode()
    assert "甲市" not in html and "储值卡</mark>" not in html.split('id="search-form"')[1].split("</form>")[1]


@pytest.mark.parametrize("params, expect", [
    ({}, "例如：单位按工资多少比例交工会经费"),
    ({"q": ""}, "请输入要检索的内容。"),
    ({"q": "工" * 10_000}, "检索内容"),
    ({"q": '"*)(:^'}, "没有可检索的字词"),
    ({"q": "工会经费", "year": "abc", "kind": "<script>"}, "已忽略该条件"),
])
def test_the_search_page_answers_bad_input_in_chinese(library, client_for, params, expect):
    page = client_for("a_auditor").get("/knowledge/search/", params)
    assert page.status_code == 200
    html = page.content.decode()
    assert expect in html and "<script>" not in html.split("</header>")[-1]


def test_a_common_word_is_found_beside_a_word_that_is_nowhere(indexed_union_law):
    """PostgreSQL ranks on the rarest words; when they are in no entry the common ones still count."""
    assert first(None, "火星 工会经费") is not None
    assert first(None, "火星探测器") is None
