from django.urls import path

from jingshen.collection import views, views_watch

app_name = "collection"
urlpatterns = [
    path("schedules/", views.schedules, name="schedules"),
    path("schedules/set/", views.schedule_set, name="schedule_set"),
    path("schedules/late/", views.late, name="late"),
    path("schedules/nil/", views.nil_declare, name="nil_declare"),
    path("watch/", views_watch.index, name="watch"),
    path("watch/set/", views_watch.set_folder, name="watch_set"),
    path("watch/files/", views_watch.files, name="watch_files"),
    path("watch/files/<int:watched_file_id>/", views_watch.file, name="watch_file"),
]
