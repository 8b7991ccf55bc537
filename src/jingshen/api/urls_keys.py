from django.urls import path

from jingshen.api import views_keys as v

app_name = "apikeys"
urlpatterns = [
    path("", v.index, name="list"),
    path("new/", v.new, name="new"),
    path("<int:key_id>/revoke/", v.revoke, name="revoke"),
]
