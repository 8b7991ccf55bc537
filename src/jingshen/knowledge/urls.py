from django.urls import path

from jingshen.knowledge import views_search

app_name = "knowledge"
urlpatterns = [
    path("search/", views_search.search, name="search"),
]
