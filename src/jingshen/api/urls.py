from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from jingshen.api import views

# The API answers 403 in JSON itself rather than redirecting to the login page.
urlpatterns = [
    path("me/", login_not_required(views.MeView.as_view()), name="api-me"),
    path("orgs/", login_not_required(views.OrgListView.as_view()), name="api-orgs"),
    path("orgs/<str:code>/", login_not_required(views.OrgDetailView.as_view()), name="api-org"),
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="api-schema"),
]
