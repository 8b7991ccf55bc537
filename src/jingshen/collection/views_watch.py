"""监控文件夹 pages: the watched folders of the units one imports for, with what became of the
files dropped there; the form that sets or clears a unit's folder (MANAGE); the history of the
files and one file's errors."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jingshen import querystring
from jingshen.collection import access, forms, services
from jingshen.collection.models import SchedulerRun, WatchedFile, WatchMode
from jingshen.collection.views import PER_PAGE, chosen_unit
from jingshen.orgs import scope

LAST_FILES = 3  # files shown under each folder


@querystring.query(forms.WatchQuery)
def index(request, form=None):
    user = request.user
    scope.need(user, scope.IMPORT)
    listed = access.folders_for(user).exclude(path="").select_related("org", "updated_by")
    unit = chosen_unit(request)
    if unit is not None:
        listed = listed.filter(org__path__startswith=unit.path)
    page = Paginator(listed.order_by("org__path"), PER_PAGE).get_page(request.query.value("page"))
    recent: dict[int, list[WatchedFile]] = {}
    for row in (WatchedFile.objects.filter(folder__in=[f.pk for f in page])
                .annotate(n=Window(RowNumber(), partition_by=[F("folder_id")], order_by=[F("found_at").desc(), F("pk").desc()]))
                .filter(n__lte=LAST_FILES).order_by("folder_id", "n")):
        recent.setdefault(row.folder_id, []).append(row)
    for folder in page:
        folder.recent = recent.get(folder.pk, [])
    may_manage = scope.may(user, scope.MANAGE)
    context = {"page": page, "chosen": unit, "may_manage": may_manage,
               "last_pass": SchedulerRun.objects.filter(name="collect.watch").values_list("last_started_at", flat=True).first(),
               "form": form or forms.WatchFolderForm(initial={"org": unit.code if unit else (user.org.code if user.org_id else "")})}
    return render(request, "collection/watch.html", context)


@require_POST
@querystring.posts(forms.WatchFolderForm)
def set_folder(request):
    user = request.user
    scope.need(user, scope.MANAGE)
    form = forms.WatchFolderForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        org = scope.get_org_for_user(user, data["org"].strip(), scope.MANAGE)
        try:
            if data["clear"]:
                services.clear_watched_folder(user, org=org)
            else:
                services.set_watched_folder(user, org=org, path=data["path"], mode=data["mode"] or WatchMode.MERGE,
                                             active=data["active"])
        except (PermissionError, ValueError) as exc:
            form.add_error(None if data["clear"] else "path", str(exc))
        else:
            messages.success(request, f"已取消{org.name}的监控文件夹。" if data["clear"] else f"已设置{org.name}的监控文件夹。")
            return redirect("collection:watch")
    request.query = forms.WatchQuery({})
    return index.__wrapped__(request, form=form)


@querystring.query(forms.WatchFilesQuery)
def files(request):
    user = request.user
    scope.need(user, scope.IMPORT)
    listed = access.files_for(user).select_related("folder__org")
    unit = chosen_unit(request)
    if unit is not None:
        listed = listed.filter(folder__org__path__startswith=unit.path)
    status = request.query.value("status")
    if status:
        listed = listed.filter(status=status)
    page = Paginator(listed.order_by("-found_at", "-pk"), PER_PAGE).get_page(request.query.value("page"))
    return render(request, "collection/watch_files.html", {"page": page, "chosen": unit, "status": status,
                                                           "statuses": forms.WatchFilesQuery.base_fields["status"].choices[1:]})


def file(request, watched_file_id: int):
    row = access.get_watched_file_for_user(request.user, watched_file_id)
    return render(request, "collection/watch_file.html", {"row": row, "datasets": row.datasets.select_related("org")})
