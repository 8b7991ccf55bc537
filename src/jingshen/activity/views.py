"""操作日志 pages: the entries a user may read (activity.access), newest first, filtered, and
one entry with its values before and after."""

import json

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from jingshen import querystring
from jingshen.activity import access
from jingshen.activity.forms import LogFilterForm

PAGE_SIZE = 50


def _require(user) -> None:
    if not access.may_view_log(user):
        raise Http404("页面不存在。")  # as for any page the user may not see


@querystring.query(LogFilterForm)
def index(request):
    user = request.user
    _require(user)
    entries = access.entries_for(user)
    form = request.query
    form.offer(sorted(entries.order_by().values_list("action", flat=True).distinct()))
    shown = form.filter(entries).select_related("actor", "org").order_by("-seq")
    page = Paginator(shown, PAGE_SIZE).get_page(form.value("page"))
    return render(request, "activity/index.html", {"form": form, "page": page})


def detail(request, entry_id):
    user = request.user
    _require(user)
    entry = access.get_entry_for_user(user, entry_id)
    context = {
        "entry": entry,
        "details": _pretty(entry.details) if entry.details else "",
        "before": _pretty(entry.before) if entry.before is not None else "",
        "after": _pretty(entry.after) if entry.after is not None else "",
        "changes": _changes(entry.before, entry.after),
    }
    return render(request, "activity/detail.html", context)


def _pretty(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def _changes(before, after) -> list[tuple[str, str, str]]:
    """Field by field (key, before, after) when both are objects; only keys that differ."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        return []
    before, after = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
    rows = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            rows.append((key, _cell(key in before, old), _cell(key in after, new)))
    return rows


def _cell(present: bool, value) -> str:
    if not present:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
