"""API 密钥 (综合管理): an administrator creates, lists and revokes the keys of the units in
their MANAGE scope. The secret is shown once, on the page that answers the creation, and never
again (the response is not cached)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from jingshen import querystring
from jingshen.api import access, services
from jingshen.api.forms import KeyForm, KeyQuery
from jingshen.orgs import scope

PER_PAGE = 50
DATALIST_MAX = 500


def _need(user) -> None:
    if not access.may_manage_keys(user):
        raise Http404("页面不存在或您没有权限访问。")


@querystring.query(KeyQuery)
def index(request):
    user = request.user
    _need(user)
    page = Paginator(access.keys_for(user).order_by("-id"), PER_PAGE).get_page(request.query.value("page"))
    return render(request, "api/keys.html", {"page": page})


@querystring.posts(KeyForm)
def new(request):
    user = request.user
    _need(user)
    form = KeyForm()
    if request.method == "POST":
        form = KeyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            org = scope.get_org_for_user(user, data["org"].strip(), scope.MANAGE)
            try:
                key, secret = services.create_key(org=org, name=data["name"], scopes=data["scopes"],
                                                  expires_on=data["expires_on"], actor=user)
            except (PermissionError, ValueError) as exc:
                form.add_error(None, str(exc))
            else:
                response = render(request, "api/key_created.html", {"key": key, "secret": secret})
                add_never_cache_headers(response)
                return response
    units = scope.orgs_for(user, scope.MANAGE).order_by("path").only("code", "name")[:DATALIST_MAX]
    return render(request, "api/key_form.html", {"form": form, "units": units})


@require_POST
def revoke(request, key_id):
    user = request.user
    key = access.get_key_for_user(user, key_id)
    done = services.revoke_key(key, actor=user)
    messages.success(request, f"已撤销 API 密钥「{key.name}」。" if done else "该密钥此前已撤销。")
    return redirect("apikeys:list")
