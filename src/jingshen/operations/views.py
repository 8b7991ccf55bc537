"""/healthz: "ok" for load balancers; ``?deep=1`` the full health report (operations/check.py)
as JSON, for administrators of the whole installation only — to anyone else, logged in or
not, it answers 404, so the report's figures (datasets, units, log) never leak."""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from jingshen import querystring
from jingshen.operations import check
from jingshen.orgs import scope


class HealthQuery(querystring.QueryForm):
    deep = querystring.choice("深度检查", [("1", "是")])


@login_not_required
@never_cache
@querystring.query(HealthQuery)
def healthz(request):
    if request.query.value("deep") != "1":
        return HttpResponse("ok\n", content_type="text/plain")
    if not scope.operates_platform(request.user):
        raise Http404("页面不存在。")
    report = check.run()
    return JsonResponse(report.as_dict(), status=200 if report.ok else 503, json_dumps_params={"ensure_ascii": False})
