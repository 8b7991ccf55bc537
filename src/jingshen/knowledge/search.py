"""Search in Chinese across the 法规库, 案例库 and 知识库 (issue 16 item 5).

**Segmentation.** jieba, with the domain vocabulary (``data/search_words.txt``: 购物卡, 拨缴经费,
送温暖 … — without it jieba cuts 购物卡 into 购物/卡) and every synonym added as user words. A
private ``jieba.Tokenizer`` is built once per process on first use (loading its dictionary
costs about a second), never at import. Text is cut "for search": a long word also yields its
known sub-words (工会经费 → 工会, 经费, 工会经费), so a query for 经费 finds it. Punctuation and
blanks are dropped; Latin letters are lower-cased.

**The index.** One ``SearchEntry`` per article, published case, guide and standard wording
(search_models.py), holding the segmented title and body. The database matches them: FTS5 with
bm25 on SQLite, a 'simple' tsvector with ts_rank on PostgreSQL (migration 0002). Entries are
kept up to date by ``knowledge.signals.content_changed`` (``update``) and rebuilt by
``jingshen kb reindex`` (``reindex``).

**Queries.** A query is normalised, bounded (``MAX_QUERY`` characters, else a Chinese error),
segmented the same way, question words dropped (``data/search_stopwords.txt``), each word
expanded with its synonyms (``data/search_synonyms.txt``), and the words ORed: every word found
adds to the rank, rarer words more. The match expression is built from quoted words and passed as
a parameter; user text is never part of the SQL or of the match syntax, so FTS5 operators,
quotes and brackets are plain text.

**Readers.** ``search(user, …)`` returns only what ``knowledge/access.py`` lets the user read:
the index is filtered by the publishing units of ``scope.knowledge_sources`` and every hit is
checked again against ``regulations_for``/``cases_for``/``guides_for``/``wordings_for``.
``user=None`` is the operator's whole library (the command line).

**Snippets.** Cut from the original text (not the segmented one) around the densest cluster of
matched words, HTML-escaped, with the words in ``<mark>``; identical on both databases."""

from __future__ import annotations

import html
import logging
import math
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.db import connection, transaction
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from jingshen.knowledge import access
from jingshen.knowledge.models import (Article, Case, CaseStatus, Guide, Regulation, RegulationLevel,
                                       RegulationStatus, StandardWording)
from jingshen.knowledge.search_models import SearchEntry, SearchKind
from jingshen.orgs import scope

DATA = Path(__file__).resolve().parent / "data"
MAX_QUERY = 100  # characters of a query, after normalisation
MAX_TERMS = 48  # words sent to the database after synonym expansion
MAX_LIMIT = 200
RANKED_TERMS = 16  # PostgreSQL: the rarest words a query is ranked on
SNIPPET = 120  # characters of a snippet

KINDS = dict(SearchKind.choices)


class QueryError(ValueError):
    """A query that cannot be searched, with the Chinese reason."""


# --- the segmenter --------------------------------------------------------------------------------


def _lines(name: str) -> list[str]:
    out = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


@lru_cache(maxsize=1)
def synonyms() -> dict[str, tuple[str, ...]]:
    """word -> the other words it also finds. ``a b c`` lines are symmetric; ``a -> b c`` one way."""
    table: dict[str, list[str]] = {}
    for line in _lines("search_synonyms.txt"):
        if "->" in line:
            head, tail = line.split("->", 1)
            sources, targets = head.split(), tail.split()
        else:
            sources = targets = line.split()
        for word in sources:
            bucket = table.setdefault(word, [])
            bucket += [t for t in targets if t != word and t not in bucket]
    return {word: tuple(others) for word, others in table.items()}


@lru_cache(maxsize=1)
def vocabulary() -> tuple[str, ...]:
    """The user words: the domain vocabulary and every word of the synonym table."""
    words = dict.fromkeys(_lines("search_words.txt"))
    for word, others in synonyms().items():
        words.update(dict.fromkeys((word, *others)))
    return tuple(w for w in words if len(w) > 1)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(_lines("search_stopwords.txt"))


_tokenizer = None
_tokenizer_lock = threading.Lock()


def tokenizer():
    """The process's jieba tokenizer with the domain vocabulary, built on first use."""
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict…" on stderr
                t = jieba.Tokenizer()
                t.initialize()
                for word in vocabulary():
                    t.add_word(word)
                _tokenizer = t
    return _tokenizer


def normalise(text: str) -> str:
    """Full-width letters and digits to half-width (ＡＢＣ１２ → ABC12), control characters and
    NULs to blanks, runs of blanks to one."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    return " ".join(text.split())


def _is_word(token: str) -> bool:
    return any(c.isalnum() for c in token)


def segment(text: str) -> list[str]:
    """The words of a text as the index holds them (cut for search; no punctuation)."""
    text = normalise(text)
    if not text:
        return []
    return [t.lower() for t in (w.strip() for w in tokenizer().cut_for_search(text)) if t and _is_word(t)]


def segmented(*texts: str) -> str:
    return " ".join(w for text in texts if text for w in segment(text))


# --- what each kind of object puts in the index -----------------------------------------------------


def _article_text(article: Article) -> str:
    text = article.text or ""
    extra = [f"{i.get('label', '')}{i.get('text', '')}" for i in (article.items or [])
             if isinstance(i, dict) and i.get("text") and i.get("text") not in text]
    return "\n".join([text, *extra]) if extra else text


def _regulation_year(reg: Regulation) -> int | None:
    for day in (reg.edition_date, reg.effective_on):
        if day:
            return day.year
    match = re.search(r"(19|20)\d\d", reg.edition or "")
    return int(match.group()) if match else None


def article_entries(reg: Regulation) -> list[SearchEntry]:
    name_tokens = segmented(reg.name, reg.doc_no)
    year = _regulation_year(reg)
    out = []
    for art in reg.articles.all().order_by("number"):
        text = _article_text(art)
        out.append(SearchEntry(
            kind=SearchKind.ARTICLE, object_id=art.pk, org_id=reg.owner_org_id,
            title=f"《{reg.name}》{art.number_text}"[:400], text=text,
            title_tokens=f"{name_tokens} {segmented(art.number_text)} {segmented(f'第{art.number}条')}",
            tokens=segmented(text, art.chapter, art.section),
            level=reg.level, status=reg.status, issuer=reg.issuer, year=year,
            regulation_id=reg.pk, regulation_name=reg.name, edition=reg.edition, article_number=art.number,
        ))
    return out


def case_entry(case: Case) -> SearchEntry | None:
    """Only published cases are found; they are read under the approving unit."""
    if case.status != CaseStatus.PUBLISHED or case.approved_org_id is None:
        return None
    text = "\n".join(t for t in (case.facts, case.handling, case.lessons) if t)
    return SearchEntry(kind=SearchKind.CASE, object_id=case.pk, org_id=case.approved_org_id, title=case.title[:400],
                       text=text, title_tokens=segmented(case.title), tokens=segmented(text), status=case.status,
                       year=case.year)


_MARKDOWN = re.compile(r"[#*_`>|~]+|!?\[([^\]]*)\]\([^)]*\)")


def _plain(markdown: str) -> str:
    return _MARKDOWN.sub(lambda m: m.group(1) or "", markdown or "")


def guide_entry(guide: Guide) -> SearchEntry:
    text = _plain(guide.body)
    return SearchEntry(kind=SearchKind.GUIDE, object_id=guide.pk, org_id=guide.owner_org_id, title=guide.title[:400],
                       text=text, title_tokens=segmented(guide.title), tokens=segmented(text),
                       issuer=guide.owner_org.name, year=guide.updated_at.year if guide.updated_at else None)


def wording_entry(wording: StandardWording) -> SearchEntry:
    text = "\n".join(t for t in (wording.wording, wording.basis, wording.recommendation) if t)
    return SearchEntry(kind=SearchKind.WORDING, object_id=wording.pk, org_id=wording.owner_org_id,
                       title=wording.title[:400], text=text, title_tokens=segmented(wording.title),
                       tokens=segmented(text), issuer=wording.owner_org.name,
                       year=wording.updated_at.year if wording.updated_at else None)


# --- keeping the index up to date ----------------------------------------------------------------


def update(instance, deleted: bool = False) -> int:
    """Bring the index in line with one object (a Regulation means all its articles); returns
    the number of entries it now has. Runs inside the caller's transaction."""
    with transaction.atomic():
        if isinstance(instance, Regulation):
            SearchEntry.objects.filter(regulation_id=instance.pk).delete()
            entries = [] if deleted else article_entries(instance)
        else:
            kind, build = {Case: (SearchKind.CASE, case_entry), Guide: (SearchKind.GUIDE, guide_entry),
                           StandardWording: (SearchKind.WORDING, wording_entry)}[type(instance)]
            SearchEntry.objects.filter(kind=kind, object_id=instance.pk).delete()
            entry = None if deleted else build(instance)
            entries = [entry] if entry else []
        SearchEntry.objects.bulk_create(entries, batch_size=500)
    return len(entries)


def on_content_changed(sender, instance, deleted=False, **kwargs):
    update(instance, deleted=deleted)


def reindex() -> dict[str, int]:
    """Rebuild the whole index from the knowledge tables, in one transaction."""
    counts = dict.fromkeys(KINDS, 0)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # TRUNCATE, not DELETE: the posting table's truncate trigger empties it at once, where
            # the delete trigger would look up each of its rows. TRUNCATE refuses a table with
            # pending deferred foreign-key checks (rows written earlier in the transaction), so
            # they are run first; Django's foreign keys are deferred again afterwards.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("TRUNCATE knowledge_searchentry")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            SearchEntry.objects.all().delete()
        for reg in Regulation.objects.order_by("pk"):
            entries = article_entries(reg)
            SearchEntry.objects.bulk_create(entries, batch_size=500)
            counts[SearchKind.ARTICLE] += len(entries)
        batches = ((Case.objects.filter(status=CaseStatus.PUBLISHED), case_entry),
                   (Guide.objects.select_related("owner_org"), guide_entry),
                   (StandardWording.objects.select_related("owner_org"), wording_entry))
        for queryset, build in batches:
            entries = [e for e in (build(obj) for obj in queryset.order_by("pk")) if e]
            SearchEntry.objects.bulk_create(entries, batch_size=500)
            for e in entries:
                counts[e.kind] += 1
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("INSERT INTO knowledge_search_fts(knowledge_search_fts) VALUES ('optimize')")
            else:  # the word frequencies the ranking reads (_lexeme_frequencies); the postings' plan
                cursor.execute("ANALYZE knowledge_searchentry")
                cursor.execute("ANALYZE knowledge_search_posting")
    return counts


# --- queries ------------------------------------------------------------------------------------------


@dataclass
class Query:
    text: str
    words: list[str]  # the query's own words (stop words dropped)
    terms: list[str]  # words and synonyms, as sent to the database

    def highlight_terms(self) -> list[str]:
        long = [t for t in self.terms if len(t) > 1]
        return long or self.terms


def parse(text: str) -> Query:
    """The words to search for, or QueryError with the reason in Chinese."""
    text = normalise(text)
    if not text:
        raise QueryError("请输入要检索的内容。")
    if len(text) > MAX_QUERY:
        raise QueryError(f"检索内容过长（{len(text):,} 个字），请精简到 {MAX_QUERY} 个字以内。")
    words = list(dict.fromkeys(segment(text)))
    kept = [w for w in words if w not in stopwords()] or words
    if not kept:
        raise QueryError("检索内容中没有可检索的字词，请输入汉字、字母或数字。")
    terms = list(kept)
    for word in kept:
        terms += [s for s in synonyms().get(word, ()) if s not in terms]
    # a synonym is a word of the index only as the index segments it
    terms = [t for t in dict.fromkeys(w for term in terms for w in ([term] if " " not in term else term.split()))]
    return Query(text=text, words=kept, terms=terms[:MAX_TERMS])


def fts5_expression(terms: list[str]) -> str:
    """``"a" OR "b"``: every term a quoted string (a quote doubled), so nothing in it is syntax."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


@dataclass
class Filters:
    kind: str = ""
    level: str = ""
    status: str = ""
    issuer: str = ""
    year: int | None = None

    def sql(self) -> tuple[list[str], list]:
        where, params = [], []
        for name in ("kind", "level", "status"):
            value = getattr(self, name)
            if value:
                where.append(f"e.{name} = %s")
                params.append(value)
        if self.issuer:
            where.append("e.issuer LIKE %s ESCAPE '\\'")
            params.append("%" + re.sub(r"([\\%_])", r"\\\1", self.issuer) + "%")
        if self.year:
            where.append("e.year = %s")
            params.append(self.year)
        return where, params


@dataclass
class Hit:
    kind: str
    object_id: int
    title: str
    title_html: SafeString
    snippet: str  # plain text
    snippet_html: SafeString  # escaped, matched words in <mark>
    score: float
    regulation: str = ""
    regulation_id: int | None = None
    edition: str = ""
    article: int | None = None
    level: str = ""
    status: str = ""
    issuer: str = ""
    year: int | None = None
    url: str = field(default="")

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def level_label(self) -> str:
        return RegulationLevel(self.level).label if self.level in RegulationLevel.values else ""

    @property
    def status_label(self) -> str:
        if self.kind == SearchKind.ARTICLE and self.status in RegulationStatus.values:
            return RegulationStatus(self.status).label
        return ""

    def as_json(self) -> dict:
        return {"kind": self.kind, "regulation": self.regulation or None, "edition": self.edition or None,
                "article": self.article, "title": self.title, "snippet": self.snippet, "score": round(self.score, 6),
                "id": self.object_id, "url": self.url}


@dataclass
class Result:
    query: Query
    hits: list[Hit]
    total: int  # matches before the page was cut (readable ones, as far as the index knows)


def _visible_orgs_sql(user) -> tuple[str, list]:
    sql, params = scope.knowledge_sources(user).values("pk").query.sql_with_params()
    return f"e.org_id IN ({sql})", list(params)


def _ranked(query: Query, filters: Filters, user, limit: int, offset: int) -> tuple[list[tuple[int, float]], int]:
    where, params = filters.sql()
    if user is not None:
        clause, visible = _visible_orgs_sql(user)
        where.append(clause)
        params += visible
    extra = "".join(f" AND {w}" for w in where)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            rows, total = _ranked_postgresql(cursor, query.terms, extra, params, limit, offset)
        else:
            base = (f"FROM knowledge_search_fts f JOIN knowledge_searchentry e ON e.id = f.rowid "
                    f"WHERE knowledge_search_fts MATCH %s{extra}")
            head = [fts5_expression(query.terms)]
            # one pass: the ranking materialises every match anyway, so the window count is free
            cursor.execute(f"SELECT id, score, count(*) OVER () FROM (SELECT e.id AS id, "
                           f"-bm25(knowledge_search_fts, 4.0, 1.0) AS score {base}) "
                           f"ORDER BY score DESC, id LIMIT %s OFFSET %s", head + params + [limit, offset])
            rows = cursor.fetchall()
            if rows:
                total = rows[0][2]
            else:
                cursor.execute(f"SELECT count(*) {base}", head + params)
                total = cursor.fetchone()[0]
            rows = [(pk, score) for pk, score, _ in rows]
    return [(pk, float(score)) for pk, score in rows], total


def _lexeme_frequencies(cursor) -> tuple[dict[str, float], float]:
    """The share of entries holding each common word, from the statistics ANALYZE keeps on the
    tsvector column (most_common_elems), and the share below which words are not listed."""
    cursor.execute("SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
                   "WHERE tablename = 'knowledge_searchentry' AND attname = 'document'")
    row = cursor.fetchone()
    if not row or not row[0]:
        return {}, 0.0
    words, freqs = row
    return dict(zip(words, freqs)), (freqs[len(words) + 1] if len(freqs) > len(words) + 1 else min(freqs))


def _ranked_postgresql_all(cursor, terms, extra, params, limit, offset):
    return _ranked_postgresql(cursor, terms, extra, params, limit, offset, all_words=True)


def _ranked_postgresql(cursor, terms, extra, params, limit, offset, all_words=False):
    """Title words (weight A) count four times body words (D), as in the bm25 call on SQLite.
    ts_rank has no notion of how rare a word is, so each word is ranked on its own and weighted
    by its inverse document frequency (as bm25 does on SQLite): a question's rare words (百分之二,
    拨缴) outweigh the word every article has (工会). The frequencies come from the column's
    statistics (``ANALYZE``; ``reindex`` runs it), so no pass over the matches counts them; words in
    more than half the entries add almost nothing and are left out of the match when rarer words
    remain, which keeps the rows ranked few. No length normalisation: with it a short article
    whose title holds one common word outranks the long article that answers the question."""
    common, floor = ({}, 0.0) if all_words else _lexeme_frequencies(cursor)
    if all_words:
        share = dict.fromkeys(terms, 0.01)
    elif common:
        share = {t: common.get(t, floor / 2) for t in terms}
    else:  # never analysed (a new or small index): count exactly
        counts = ", ".join("count(*) FILTER (WHERE document @@ phraseto_tsquery('simple'::regconfig, %s))" for _ in terms)
        cursor.execute(f"SELECT count(*), {counts} FROM knowledge_searchentry", list(terms))
        total, *found = cursor.fetchone()
        share = {t: f / max(total, 1) for t, f in zip(terms, found)}
    everything = list(terms)
    present = [t for t in terms if share[t] > 0]
    rare = [t for t in present if share[t] <= 0.5]
    terms = sorted(rare, key=share.get)[:RANKED_TERMS] if rare else (present or everything)[:RANKED_TERMS]
    terms = [t for t in everything if t in terms]
    idf = [math.log(1 + (1 - share[t] + 1e-6) / (share[t] + 1e-6)) for t in terms]
    lexemes = _single_lexemes(cursor, terms)
    if lexemes is not None:
        rows, total = _ranked_postings(cursor, lexemes, idf, extra, params, limit, offset)
        if rows or total:
            return rows, total
        if not all_words and len(terms) < len(everything):
            return _ranked_postgresql_all(cursor, everything, extra, params, limit, offset)
        return [], 0
    n = len(terms)
    words = ", ".join(f"phraseto_tsquery('simple'::regconfig, %s) AS t{i}" for i in range(n))
    any_word = " || ".join(f"w.t{i}" for i in range(n))
    # (document || '') is decompressed once per row, not once per ts_rank call
    rank = " + ".join(f"%s * ts_rank('{{0.25, 0.25, 0.25, 1.0}}', m.document, w.t{i}, 0)" for i in range(n))
    sql = (f"WITH w AS (SELECT {words}), "
           f"m AS MATERIALIZED (SELECT e.id, (e.document || ''::tsvector) AS document FROM knowledge_searchentry e, w "
           f"WHERE e.document @@ ({any_word}){extra}) "
           f"SELECT m.id, ({rank}) AS score, count(*) OVER () FROM m, w ORDER BY score DESC, m.id LIMIT %s OFFSET %s")
    cursor.execute(sql, list(terms) + params + idf + [limit, offset])
    rows = cursor.fetchall()
    if rows:
        return [(pk, score) for pk, score, _ in rows], int(rows[0][2])
    if not all_words and len(terms) < len(everything):  # the rare words were estimated, and are not there: all words
        return _ranked_postgresql_all(cursor, everything, extra, params, limit, offset)
    cursor.execute(f"WITH w AS (SELECT {words}) SELECT count(*) FROM knowledge_searchentry e, w "
                   f"WHERE e.document @@ ({any_word}){extra}", list(terms) + params)
    return [], cursor.fetchone()[0]


def _single_lexemes(cursor, terms: list[str]) -> list[str] | None:
    """The lexeme each term is in the tsvector ('simple' parser), or None when a term is not one
    lexeme at one position (the parser splits it, e.g. ``a-1``, or drops it): such a query is a
    phrase query and is ranked on the tsvector itself."""
    cursor.execute("SELECT (SELECT array_agg(u.lexeme) FROM unnest(v) u), "
                   "(SELECT sum(cardinality(u.positions)) FROM unnest(v) u) "
                   "FROM unnest(%s::text[]) WITH ORDINALITY AS t(term, n), "
                   "LATERAL to_tsvector('simple'::regconfig, t.term) AS v ORDER BY t.n", [list(terms)])
    out = []
    for found, positions in cursor.fetchall():
        if not found or len(found) != 1 or positions != 1:
            return None
        out.append(found[0])
    return out


def _ranked_postings(cursor, lexemes, idf, extra, params, limit, offset):
    """The same score as the tsvector query (sum of idf × ts_rank of each word), read from the
    posting table (migration 0004: each (word, entry)'s ts_rank stored when the entry is written):
    one index-only scan over the query's words and a GROUP BY, no tsvector decompressed. The
    filters and the visibility clause join the entry table, still in SQL."""
    weights: dict[str, float] = {}
    for lexeme, factor in zip(lexemes, idf):  # two terms of one lexeme: ranked twice, as ts_rank per term did
        weights[lexeme] = weights.get(lexeme, 0.0) + factor
    words, factors = list(weights), list(weights.values())
    join = " JOIN knowledge_searchentry e ON e.id = p.entry_id" if extra else ""
    # word = ANY(…): an index-only scan of the primary key (word, entry) INCLUDE (weight)
    sql = (f"SELECT p.entry_id, sum(p.weight * (%s::float8[])[array_position(%s::text[], p.word)]) AS score, "
           f"count(*) OVER () FROM knowledge_search_posting p{join} WHERE p.word = ANY(%s){extra} "
           f"GROUP BY p.entry_id ORDER BY score DESC, p.entry_id LIMIT %s OFFSET %s")
    cursor.execute(sql, [factors, words, words] + params + [limit, offset])
    rows = cursor.fetchall()
    if rows:
        return [(pk, score) for pk, score, _ in rows], int(rows[0][2])
    if not offset:
        return [], 0
    cursor.execute(f"SELECT count(DISTINCT p.entry_id) FROM knowledge_search_posting p{join} "
                   f"WHERE p.word = ANY(%s){extra}", [words] + params)
    return [], cursor.fetchone()[0]


def _readable(user, entries: list[SearchEntry]) -> set[tuple[str, int]]:
    """(kind, object id) of the entries the user may read, by knowledge/access.py itself."""
    ids: dict[str, list[int]] = {}
    for e in entries:
        ids.setdefault(e.kind, []).append(e.object_id)
    ok = set()
    checks = {
        SearchKind.ARTICLE: lambda pks: Article.objects.filter(pk__in=pks, regulation__in=access.regulations_for(user)),
        SearchKind.CASE: lambda pks: access.cases_for(user).filter(pk__in=pks, status=CaseStatus.PUBLISHED),
        SearchKind.GUIDE: lambda pks: access.guides_for(user).filter(pk__in=pks),
        SearchKind.WORDING: lambda pks: access.wordings_for(user).filter(pk__in=pks),
    }
    for kind, pks in ids.items():
        ok |= {(kind, pk) for pk in checks[kind](pks).values_list("pk", flat=True)}
    return ok


def _url(e: SearchEntry) -> str:
    if e.kind == SearchKind.ARTICLE:
        return reverse("knowledge:article", args=[e.regulation_id, e.article_number])
    return reverse(f"knowledge:{e.kind}", args=[e.object_id])


def search(user, text: str, filters: Filters | None = None, limit: int = 20, offset: int = 0) -> Result:
    """The best hits first, only what ``user`` reads (``None``: the whole library)."""
    query = parse(text)
    filters = filters or Filters()
    limit = max(1, min(int(limit), MAX_LIMIT))
    ranked, total = _ranked(query, filters, user, limit, max(0, int(offset)))
    entries = SearchEntry.objects.in_bulk([pk for pk, _ in ranked])
    found = [(entries[pk], score) for pk, score in ranked if pk in entries]
    if user is not None:
        readable = _readable(user, [e for e, _ in found])
        found = [(e, s) for e, s in found if (e.kind, e.object_id) in readable]
    marks = _pattern(query.highlight_terms())
    hits = []
    for e, score in found:
        plain, marked = snippet(e.text, marks)
        hits.append(Hit(kind=e.kind, object_id=e.object_id, title=e.title, title_html=_marked(e.title, marks),
                        snippet=plain, snippet_html=marked, score=score, regulation=e.regulation_name,
                        regulation_id=e.regulation_id, edition=e.edition, article=e.article_number, level=e.level,
                        status=e.status, issuer=e.issuer, year=e.year, url=_url(e)))
    return Result(query=query, hits=hits, total=total)


# --- snippets and highlighting --------------------------------------------------------------------


def _pattern(terms: list[str]) -> re.Pattern | None:
    terms = sorted({t for t in terms if t}, key=len, reverse=True)
    return re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE) if terms else None


def _marked(text: str, pattern: re.Pattern | None) -> SafeString:
    if pattern is None:
        return mark_safe(html.escape(text))
    out, last = [], 0
    for m in pattern.finditer(text):
        out.append(html.escape(text[last:m.start()]))
        out.append(f"<mark>{html.escape(m.group())}</mark>")
        last = m.end()
    out.append(html.escape(text[last:]))
    return mark_safe("".join(out).replace("</mark><mark>", ""))  # adjacent words: one mark


def highlight(text: str, terms: list[str]) -> SafeString:
    """The whole text, escaped, with every occurrence of the terms in <mark>."""
    return _marked(text, _pattern(terms))


def snippet(text: str, terms: list[str] | re.Pattern | None, width: int = SNIPPET) -> tuple[str, SafeString]:
    """About ``width`` characters around the densest cluster of matched words: plain, and
    escaped with the words in <mark>. Line breaks become blanks."""
    text = " ".join(text.split())
    pattern = terms if isinstance(terms, re.Pattern) or terms is None else _pattern(terms)
    start = 0
    if pattern is not None and len(text) > width:
        matches = [(m.start(), m.end()) for m in pattern.finditer(text)]
        best, covered, j = -1, 0, 0
        for i, (s, _) in enumerate(matches):  # a sliding window: matches inside [s, s + width)
            if i:
                covered -= matches[i - 1][1] - matches[i - 1][0]
            j = max(j, i)
            while j < len(matches) and matches[j][1] <= s + width:
                covered += matches[j][1] - matches[j][0]
                j += 1
            if covered > best:
                best, start = covered, s
        start = max(0, min(start - width // 6, len(text) - width))
    cut = text[start:start + width]
    head = "…" if start > 0 else ""
    tail = "…" if start + width < len(text) else ""
    return head + cut + tail, mark_safe(head + _marked(cut, pattern) + tail)
