"""REST API. Every endpoint answers only within the caller's unit scope (jingshen.orgs.scope)."""

from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from jingshen.api.serializers import MeSerializer, OrgSerializer
from jingshen.orgs import scope


class MeView(APIView):
    """The signed-in user, their unit and roles."""

    def get(self, request):
        return Response(MeSerializer(request.user).data)

    serializer_class = MeSerializer


class OrgListView(generics.ListAPIView):
    """Units the user may see. ``?parent=CODE`` lists the children of one unit."""

    serializer_class = OrgSerializer

    def get_queryset(self):
        qs = scope.visible_orgs(self.request.user).select_related("parent").order_by("code")
        parent = self.request.query_params.get("parent")
        if parent:
            qs = qs.filter(parent=scope.get_org_for_user(self.request.user, parent))
        return qs


class OrgDetailView(generics.RetrieveAPIView):
    serializer_class = OrgSerializer

    def get_object(self):
        return scope.get_org_for_user(self.request.user, self.kwargs["code"])
