from django.db.models import Sum
from django.shortcuts import render

from jingshen.orgs import scope


def children(request, code):
    """htmx fragment: the visible children of a unit, for the tree on the home page."""
    org = scope.get_org_for_user(request.user, code)
    kids = scope.with_visible_child_counts(scope.visible_orgs(request.user).filter(parent=org), request.user)
    return render(request, "orgs/_children.html", {"nodes": kids})


def detail(request, code):
    """单位详情: what the unit is, where it sits, what is below it, and what the user may do."""
    user = request.user
    org = scope.get_org_for_user(user, code)
    visible = scope.visible_orgs(user)
    parent_visible = org.parent_id and visible.filter(pk=org.parent_id).exists()
    subtree = visible.filter(path__startswith=org.path).exclude(pk=org.pk)
    context = {
        "org": org,
        "parent_visible": parent_visible,
        # the breadcrumb: the units above it that the user may see, from the highest
        "ancestors": visible.filter(pk__in=[int(pk) for pk in org.path.strip("/").split("/")[:-1]]).order_by("depth"),
        "children": scope.with_visible_child_counts(visible.filter(parent=org), user),
        "subtree_count": subtree.count(),
        "subtree_members": subtree.aggregate(s=Sum("member_count"))["s"] or 0,
        "may_audit": scope.can(user, scope.AUDIT, org),
        "users": org.users.filter(is_active=True).order_by("username") if scope.can(user, scope.MANAGE, org) else None,
    }
    context["may_manage"] = context["users"] is not None
    return render(request, "orgs/detail.html", context)
