from django.urls import path

from jingshen.knowledge import views_cases, views_guides, views_search
from jingshen.knowledge import views_regulations as regs

app_name = "knowledge"

# 知识库 index and 法规库 (views_regulations.py)
urlpatterns = [
    path("", regs.index, name="index"),
    path("regulations/", regs.regulations, name="regulations"),
    path("regulations/upload/", regs.upload, name="regulation_upload"),
    path("regulations/<int:regulation_id>/", regs.regulation, name="regulation"),
    path("regulations/<int:regulation_id>/articles/<int:number>/", regs.article, name="article"),
    path("regulations/<int:regulation_id>/repeal/", regs.repeal, name="regulation_repeal"),
]

# 案例库 (views_cases.py)
urlpatterns += [
    path("cases/", views_cases.index, name="cases"),
    path("cases/new/", views_cases.new, name="case_new"),
    path("cases/<int:case_id>/", views_cases.case, name="case"),
    path("cases/<int:case_id>/submit/", views_cases.submit, name="case_submit"),
    path("cases/<int:case_id>/approve/", views_cases.approve, name="case_approve"),
    path("cases/<int:case_id>/return/", views_cases.return_case, name="case_return"),
    path("cases/<int:case_id>/withdraw/", views_cases.withdraw, name="case_withdraw"),
    path("cases/from-finding/<int:finding_id>/", views_cases.from_finding, name="case_from_finding"),
]

# 知识条目 and 常用问题定性表述 (views_guides.py)
urlpatterns += [
    path("guides/", views_guides.guides_index, name="guides"),
    path("guides/new/", views_guides.guide_new, name="guide_new"),
    path("guides/<int:guide_id>/", views_guides.guide, name="guide"),
    path("guides/<int:guide_id>/delete/", views_guides.guide_delete, name="guide_delete"),
    path("guides/<int:guide_id>/attachments/", views_guides.guide_attach, name="guide_attach"),
    path("attachments/<int:attachment_id>/", views_guides.attachment, name="attachment"),
    path("attachments/<int:attachment_id>/remove/", views_guides.attachment_remove, name="attachment_remove"),
    path("wordings/", views_guides.wordings_index, name="wordings"),
    path("wordings/new/", views_guides.wording_new, name="wording_new"),
    path("wordings/<int:wording_id>/", views_guides.wording, name="wording"),
    path("wordings/<int:wording_id>/delete/", views_guides.wording_delete, name="wording_delete"),
]

# 检索 (views_search.py)
urlpatterns += [
    path("search/", views_search.search, name="search"),
]
