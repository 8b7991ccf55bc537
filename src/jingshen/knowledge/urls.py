from django.urls import path

from jingshen.knowledge import views_regulations as regs

app_name = "knowledge"
urlpatterns = [
    path("", regs.index, name="index"),
    # 法规库 (views_regulations.py)
    path("regulations/", regs.regulations, name="regulations"),
    path("regulations/upload/", regs.upload, name="regulation_upload"),
    path("regulations/<int:regulation_id>/", regs.regulation, name="regulation"),
    path("regulations/<int:regulation_id>/articles/<int:number>/", regs.article, name="article"),
    path("regulations/<int:regulation_id>/repeal/", regs.repeal, name="regulation_repeal"),
]
