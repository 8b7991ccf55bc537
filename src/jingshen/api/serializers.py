from rest_framework import serializers

from jingshen.accounts.models import User
from jingshen.orgs.models import Org


class OrgSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Org
        fields = ["code", "name", "parent", "level", "level_display", "kind", "kind_display", "member_count"]


class MeSerializer(serializers.ModelSerializer):
    org = OrgSerializer(read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["username", "display_name", "org", "roles"]

    def get_roles(self, user) -> list[str]:
        return sorted(user.roles.values_list("code", flat=True))
