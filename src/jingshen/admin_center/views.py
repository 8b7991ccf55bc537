from django.shortcuts import render

from jingshen.admin_center.menu import entries_for


def index(request):
    """综合管理: the pages of the section the user may open (admin_center/menu.py)."""
    return render(request, "admin_center/index.html", {"entries": entries_for(request.user)})
