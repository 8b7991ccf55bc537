from django.urls import include, path

from jingshen.operations.views import healthz

urlpatterns = [
    path("", include("jingshen.portal.urls")),
    path("accounts/", include("jingshen.accounts.urls")),
    path("orgs/", include("jingshen.orgs.urls")),
    path("collect/", include("jingshen.collection.urls")),  # 报送计划 (schedules/), 监控文件夹 (watch/)
    path("collect/", include("jingshen.ledger.urls_collect")),
    path("books/", include("jingshen.ledger.urls_books")),
    path("screening/", include("jingshen.screening.urls")),
    path("audits/", include("jingshen.audits.urls")),
    path("knowledge/", include("jingshen.knowledge.urls")),
    path("manage/api-keys/", include("jingshen.api.urls_keys")),  # API 密钥, a page of 综合管理
    path("manage/", include("jingshen.admin_center.urls")),
    path("finance/", include("jingshen.finance.urls")),
    path("activity/", include("jingshen.activity.urls")),
    path("api/v1/", include("jingshen.api.urls")),
    path("healthz", healthz, name="healthz"),  # ?deep=1: the health report, for the installation's administrators
]
