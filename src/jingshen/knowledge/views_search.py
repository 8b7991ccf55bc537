"""检索 page: /knowledge/search/?q=…&kind=&level=&status=&issuer=&year=&page= — the hits the user
may read, best first, with the matched words highlighted (knowledge/search.py does the work)."""

from django import forms
from django.shortcuts import render

from jingshen import querystring
from jingshen.knowledge import search as engine
from jingshen.knowledge.models import RegulationLevel, RegulationStatus

PAGE_SIZE = 20
MAX_PAGE = engine.MAX_LIMIT * 50 // PAGE_SIZE  # beyond 10,000 hits a question needs more words, not more pages


class SearchForm(querystring.QueryForm):
    q = querystring.text("检索内容", max_length=engine.MAX_QUERY,
                         widget=forms.TextInput(attrs={"size": 40, "placeholder": "例如：单位按工资多少比例交工会经费"}))
    kind = querystring.choice("类别", engine.KINDS.items())
    level = querystring.choice("法规层级", RegulationLevel.choices)
    status = querystring.choice("法规状态", RegulationStatus.choices)
    issuer = querystring.text("制定机关", widget=forms.TextInput(attrs={"size": 12}))
    year = querystring.year("年度")
    page = querystring.integer("页码", 1, MAX_PAGE, 1)

    def filters(self) -> engine.Filters:
        return engine.Filters(kind=self.value("kind") or "", level=self.value("level") or "",
                              status=self.value("status") or "", issuer=(self.value("issuer") or "").strip(),
                              year=self.value("year"))


@querystring.query(SearchForm)
def search(request):
    form = request.query
    context = {"form": form, "result": None, "error": "", "page_size": PAGE_SIZE}
    text = form.value("q") or ""
    if "q" in form.data and "q" not in form.errors:  # asked (an empty question is answered with the reason)
        page = form.value("page")
        try:
            result = engine.search(request.user, text, form.filters(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        except engine.QueryError as exc:
            context["error"] = str(exc)
        else:
            pages = max(1, -(-result.total // PAGE_SIZE))
            context.update(result=result, page=page, pages=min(pages, MAX_PAGE),
                           previous=page - 1 if page > 1 else None, next=page + 1 if page < min(pages, MAX_PAGE) else None,
                           first=(page - 1) * PAGE_SIZE + 1, last=(page - 1) * PAGE_SIZE + len(result.hits))
    return render(request, "knowledge/search.html", context)
