"""REST API. Every endpoint answers only within the caller's unit scope (jingshen.orgs.scope)."""

from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from rest_framework import serializers

from jingshen.api.serializers import MeSerializer, OrgSerializer
from jingshen.orgs import scope
from jingshen.querystring import QueryParams


class MeView(APIView):
    """The signed-in user, their unit and roles."""

    def get(self, request):
        return Response(MeSerializer(request.user).data)

    serializer_class = MeSerializer


class OrgListQuery(QueryParams):
    parent = serializers.CharField(required=False, allow_blank=True, max_length=40)


class OrgListView(generics.ListAPIView):
    """Units the user may see. ``?parent=CODE`` lists the children of one unit."""

    serializer_class = OrgSerializer
    query_serializer = OrgListQuery

    def get_queryset(self):
        qs = scope.visible_orgs(self.request.user).select_related("parent").order_by("code")
        parent = self.query_serializer.parse(self.request).get("parent")
        if parent:
            qs = qs.filter(parent=scope.get_org_for_user(self.request.user, parent))
        return qs


class OrgDetailView(generics.RetrieveAPIView):
    serializer_class = OrgSerializer

    def get_object(self):
        return scope.get_org_for_user(self.request.user, self.kwargs["code"])
