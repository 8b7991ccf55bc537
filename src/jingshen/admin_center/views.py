from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from jingshen.admin_center.menu import entries_for


def index(request):
    """综合管理: the pages of the section the user may open (admin_center/menu.py). A user with
    none gets 403: the left menu does not offer the section to them."""
    entries = entries_for(request.user)
    if not entries:
        raise PermissionDenied("您没有可用的综合管理功能。如需管理用户或单位，请联系本单位或上级单位的系统管理员。")
    return render(request, "admin_center/index.html", {"entries": entries, "menu_current": "admin"})
