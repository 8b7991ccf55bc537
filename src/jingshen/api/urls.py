from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from jingshen.api import views
from jingshen.api.models import PushKind
from jingshen.api.views_push import push_view
from jingshen.api.docs import DocsView


def api(view):
    # The API answers 401/403 in JSON itself rather than redirecting to the login page (DRF
    # marks its views so too; said here for the reader).
    return login_not_required(view.as_view())


urlpatterns = [
    path("me/", api(views.MeView), name="api-me"),
    path("orgs/", api(views.OrgListView), name="api-orgs"),
    path("orgs/<str:code>/", api(views.OrgDetailView), name="api-org"),
    path("datasets/", api(views.DatasetListView), name="api-datasets"),
    path("datasets/<int:dataset_id>/", api(views.DatasetDetailView), name="api-dataset"),
    path("runs/", api(views.RunListView), name="api-runs"),
    path("runs/<int:run_id>/", api(views.RunDetailView), name="api-run"),
    path("runs/<int:run_id>/flags/", api(views.FlagListView), name="api-run-flags"),
    path("runs/<int:run_id>/ranking/", api(views.RunRankingView), name="api-run-ranking"),
    path("risk/", api(views.RiskListView), name="api-risk"),
    path("projects/", api(views.ProjectListView), name="api-projects"),
    path("projects/<int:project_id>/", api(views.ProjectDetailView), name="api-project"),
    path("projects/<int:project_id>/findings/", api(views.FindingListView), name="api-project-findings"),
    path("knowledge/search/", api(views.KnowledgeSearchView), name="api-knowledge-search"),
    *[path(f"push/{kind}/", api(push_view(kind, label)), name=f"api-push-{kind}") for kind, label in PushKind.choices],
    path("schema/", api(SpectacularAPIView), name="api-schema"),
    # the browsable documentation is a page: for signed-in users (a key never opens it). DRF
    # marks its views login_not_required, so login_required is put back on explicitly.
    path("docs/", login_required(DocsView.as_view(url_name="api-schema")), name="api-docs"),
]
