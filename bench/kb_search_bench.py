"""Knowledge search (issue 16 item 5): time per query over 10 k articles, on SQLite (FTS5) or
PostgreSQL (tsvector), against a plain LIKE scan of the same articles in the same run.

    PYTHONPATH=src .venv/bin/python bench/kb_search_bench.py [--articles 10000] [--repeat 15]
        [--database-url postgresql://user:pw@host/db]

The articles are the real 工会法 of ../shared/fixtures (58 articles) copied into regulations
whose article texts are varied (sentences of two articles mixed, domain words swapped in, seeded),
written with bulk_create and indexed by ``search.reindex()`` (timed). Per query, best and median
of ``--repeat`` rounds, interleaved:

- ``search``: ``knowledge.search.search(None, q)``, the whole library (what ``jingshen kb search``
  does): parse, rank, load the entries, snippets;
- ``reader``: the same for a county auditor, with the visibility filter and the final access check;
- floor ``segment``: parsing the query alone (jieba, stop words, synonyms);
- floor ``engine``: the database's ranked match alone (FTS5 MATCH + bm25, or the tsquery with ts_rank
  weighted by idf), top 20 ids;
- baseline ``LIKE``: ``Article.objects.filter(text__contains=<the query's longest word>)``, count and
  the first 20 rows — a scan of every article, no ranking.

The target is 200 ms per query for ``search``. A throwaway JINGSHEN_HOME is used; with
``--database-url`` that database is migrated and its knowledge tables are emptied first.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUERIES = [
    "单位按工资多少比例交工会经费",
    "购物卡",
    "工会经费",
    "职工代表大会",
    "工会法第四十三条",
    "违规发放储值卡和代金券怎么处理",
    "基层工会委员会的建立需要多少会员",
    "火星探测器",  # no hit
    ("工会经费的来源和拨缴比例以及上缴的收入、人民政府的补助和其他收入，单位不交工会经费怎么办，"
     "基层工会委员会如何向人民法院申请支付令，职工之家和送温暖的经费从哪里来")[:100],
]
SWAPS = ["购物卡", "储值卡", "代金券", "慰问品", "送温暖", "职工之家", "拨缴经费", "会员会费", "福利费", "差旅费",
         "专项资金", "固定资产", "小金库", "公务接待", "培训费", "预算执行"]


def vary(articles: list[dict], copies: int, seed: int) -> list[list[dict]]:
    rng = random.Random(seed)
    out = []
    for _ in range(copies):
        regulation = []
        for a in articles:
            other = rng.choice(articles)
            sentences = [s for s in "\n".join(a["paragraphs"]).split("。") if s] + \
                [s for s in "\n".join(other["paragraphs"]).split("。") if s][:2]
            rng.shuffle(sentences)
            text = "。".join(sentences) + "。"
            for _ in range(rng.randint(0, 2)):
                text = text.replace("工会", rng.choice(SWAPS), 1) if rng.random() < 0.5 else text + rng.choice(SWAPS) + "。"
            regulation.append({"number": a["number"], "number_text": a["number_text"], "chapter": a["chapter"],
                               "text": text})
        out.append(regulation)
    return out


def timed(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1000, statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    os.environ["JINGSHEN_HOME"] = tempfile.mkdtemp(prefix="kb-search-bench-")
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingshen.settings")
    sys.path[:0] = [str(REPO / "src"), str(REPO)]
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from jingshen.accounts.models import RoleCode
    from jingshen.accounts.services import create_user
    from jingshen.knowledge import search
    from jingshen.knowledge.models import Article, Regulation, RegulationLevel
    from jingshen.knowledge.search_models import SearchEntry
    from jingshen.orgs.models import Org
    from tests.conftest import TREE, write_csv
    from tests.knowledge.conftest import law_articles

    from jingshen.orgs.services import import_orgs

    SearchEntry.objects.all().delete()
    Article.objects.all().delete()
    Regulation.objects.all().delete()
    if not Org.objects.exists():
        import_orgs(write_csv(Path(os.environ["JINGSHEN_HOME"]) / "tree.csv", TREE))
    root, county, other = (Org.objects.get(code=c) for c in ("P", "A1", "B"))
    reader = create_user(org=county, username=f"bench{random.randrange(10**9)}", password="Bench2026pass",
                         roles=[RoleCode.AUDITOR])

    law = law_articles()
    copies = max(1, -(-args.articles // len(law)))
    start = time.perf_counter()
    for n, regulation in enumerate(vary(law, copies, args.seed)):
        owner = (root, county, other)[n % 3]  # a third each: everybody's, the reader's county, another branch
        reg = Regulation.objects.create(owner_org=owner, name=f"示范工会经费文件第{n + 1}号", edition=f"{2000 + n % 25}年版",
                                        level=RegulationLevel.ACFTU if owner == root else RegulationLevel.UNIT)
        Article.objects.bulk_create([Article(regulation=reg, number=a["number"], number_text=a["number_text"],
                                             chapter=a["chapter"], text=a["text"]) for a in regulation])
    created = time.perf_counter() - start
    start = time.perf_counter()
    counts = search.reindex()
    indexed = time.perf_counter() - start
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE knowledge_searchentry")
    total = counts["article"]
    search.tokenizer()  # loaded once per process; not part of a query
    print(f"database: {connection.vendor}; {total:,} articles in {copies} regulations "
          f"(written {created:.1f} s, indexed {indexed:.1f} s, {total / indexed:,.0f} articles/s)")
    print(f"best / median of {args.repeat} rounds, ms per query")
    print(f"{'query':<24} {'hits':>6} {'search':>13} {'reader':>13} {'segment':>11} {'engine':>13} {'LIKE':>13} {'search/LIKE':>11}")

    worst = 0.0
    for q in QUERIES:
        parsed = search.parse(q)
        longest = max(parsed.words, key=len)

        def engine(parsed=parsed):
            return search._ranked(parsed, search.Filters(), None, 20, 0)

        def like(longest=longest):
            rows = Article.objects.filter(text__contains=longest)
            return rows.count(), list(rows.values_list("pk", "text")[:20])

        result = search.search(None, q)
        rounds = {name: [] for name in ("search", "reader", "segment", "engine", "like")}
        for _ in range(args.repeat):
            for name, fn in (("search", lambda: search.search(None, q)), ("reader", lambda: search.search(reader, q)),
                             ("segment", lambda: search.parse(q)), ("engine", engine), ("like", like)):
                rounds[name].append(timed(fn, 1)[0])
        best = {k: (min(v), statistics.median(v)) for k, v in rounds.items()}
        worst = max(worst, best["search"][1])
        label = q if len(q) <= 12 else q[:11] + "…"
        cells = " ".join(f"{best[k][0]:6.1f}/{best[k][1]:6.1f}" if k != "segment" else f"{best[k][0]:5.2f}/{best[k][1]:5.2f}"
                         for k in ("search", "reader", "segment", "engine", "like"))
        print(f"{label:<24} {result.total:>6,} {cells} {best['search'][1] / best['like'][1]:>10.2f}×")
    print(f"slowest median: {worst:.1f} ms per query — {'PASS' if worst <= 200 else 'FAIL'} (target 200 ms)")


if __name__ == "__main__":
    main()
