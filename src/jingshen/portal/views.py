from django.db.models import Count, Sum
from django.shortcuts import render

from jingshen.orgs import scope
from jingshen.orgs.models import Kind, Level


def home(request):
    """门户首页: the user's unit tree with counts by level and kind."""
    user = request.user
    visible = scope.visible_orgs(user)
    by_level = dict(visible.values_list("level").annotate(n=Count("id")))
    by_kind = dict(visible.values_list("kind").annotate(n=Count("id")))
    matrix_counts = {(lv, kd): n for lv, kd, n in visible.values_list("level", "kind").annotate(n=Count("id"))}
    levels = [(value, label) for value, label in Level.choices if by_level.get(value)]
    kinds = [(value, label) for value, label in Kind.choices if by_kind.get(value)]
    matrix = [
        {"label": label, "cells": [matrix_counts.get((lv, kd), 0) for kd, _ in kinds], "total": by_level[lv]}
        for lv, label in levels
    ]
    own = user.org
    in_subtree = visible.filter(path__startswith=own.path) if own else visible.none()
    granted = visible.exclude(pk__in=in_subtree.values("pk")).order_by("code")
    roots = list(scope.with_visible_child_counts(visible.filter(pk=own.pk), user)) if own and in_subtree.exists() else []
    root_children = scope.with_visible_child_counts(visible.filter(parent=own), user) if roots else []
    context = {
        "total": sum(by_level.values()),
        "members": visible.aggregate(s=Sum("member_count"))["s"] or 0,
        "kinds": kinds,
        "matrix": matrix,
        "kind_totals": [by_kind[kd] for kd, _ in kinds],
        "roots": roots,
        "root_children": root_children,
        "granted": granted,
        "auditable_count": scope.orgs_for(user, scope.AUDIT).count(),
    }
    return render(request, "portal/home.html", context)


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)
