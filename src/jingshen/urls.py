from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import TemplateView

urlpatterns = [
    path("", include("jingshen.portal.urls")),
    path("accounts/", include("jingshen.accounts.urls")),
    path("orgs/", include("jingshen.orgs.urls")),
    path("collect/", include("jingshen.ledger.urls_collect")),
    path("books/", include("jingshen.ledger.urls_books")),
    path("screening/", include("jingshen.screening.urls")),
    path("audits/", include("jingshen.audits.urls")),
    path("knowledge/", include("jingshen.knowledge.urls")),
    path("activity/", include("jingshen.activity.urls")),
    path("api/v1/", include("jingshen.api.urls")),
    path(
        "healthz",
        login_not_required(TemplateView.as_view(template_name="healthz.txt", content_type="text/plain")),
        name="healthz",
    ),
]
