from django.urls import path

from jingshen.orgs import views

app_name = "orgs"
urlpatterns = [
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/children/", views.children, name="children"),
]
