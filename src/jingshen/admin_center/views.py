from django.shortcuts import render


def index(request):
    """综合管理: the pages of the section the user may open."""
    return render(request, "admin_center/index.html", {})
