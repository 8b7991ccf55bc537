from django.urls import path

from jingshen.activity import views

app_name = "activity"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:entry_id>/", views.detail, name="detail"),
]
