from django.urls import path

from jingshen.ledger import views_books as views

app_name = "books"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:dataset_id>/balances/", views.balances, name="balances"),
    path("<int:dataset_id>/ledger/<str:account_code>/", views.ledger, name="ledger"),
    # The voucher type (凭证字) is free text in the source files; <path:> keeps one with a "/" reachable.
    path("<int:dataset_id>/voucher/<int:period>/<path:voucher_type>/<int:voucher_no>/", views.voucher, name="voucher"),
    path("<int:dataset_id>/journal/", views.journal, name="journal"),
]
