"""The API's documentation page, /api/v1/docs/: Swagger UI from drf-spectacular-sidecar,
served by the platform itself (no CDN), under the strict Content-Security-Policy: the start-up
script is a separate file (the split view) and the page has no inline style."""

from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.authentication import SessionAuthentication


class DocsView(SpectacularSwaggerSplitView):
    """A page for signed-in users: the session only (a key never opens it), and the URL wraps it
    in ``login_required`` so an anonymous visitor is sent to the login page."""

    template_name = "api/swagger_ui.html"
    title = "经审 API 文档"
    authentication_classes = [SessionAuthentication]
