from django.urls import path

from jingshen.collection import views

app_name = "collection"
urlpatterns = [
    path("", views.schedules, name="schedules"),
    path("set/", views.schedule_set, name="schedule_set"),
    path("late/", views.late, name="late"),
]
