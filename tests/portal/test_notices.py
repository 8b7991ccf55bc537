"""通知公告: published by a unit's administrator or 经审负责人 (scope.NOTIFY), read by its users and
those below, shown as text, withdrawn by its publishers; every write logged."""

import pytest

from jingshen.activity.models import ActivityLog
from jingshen.portal import services
from jingshen.portal.models import Notice, NoticeRead
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><b>粗体</b>\n第二行 & <img src=x onerror=alert(1)>'


def test_director_publishes_for_own_unit_and_the_units_below_read_it(client_for, personas):
    client = client_for("prov_director")
    assert client.get("/portal/notices/new/").status_code == 200
    response = client.post("/portal/notices/new/", {"title": "关于开展年度审计的通知", "body": "各市总工会：\n请按计划开展。", "pinned": "on"})
    notice = Notice.objects.get(title="关于开展年度审计的通知")
    assert response.status_code == 302 and response["Location"] == f"/portal/notices/{notice.pk}/"
    assert notice.org.code == "P" and notice.pinned and notice.published_by == personas["prov_director"]
    entry = ActivityLog.objects.get(action="portal.notice_publish")
    assert entry.actor == personas["prov_director"] and entry.object_id == str(notice.pk)
    for reader in ("a_auditor", "b_auditor", "a1_auditor", "contact", "leader"):
        assert "关于开展年度审计的通知" in client_for(reader).get("/portal/notices/").content.decode(), reader
        assert client_for(reader).get(f"/portal/notices/{notice.pk}/").status_code == 200, reader


def test_notice_body_is_shown_as_text_with_line_breaks(client_for, personas, tree):
    notice = services.publish_notice(personas["prov_director"], org=tree["P"], title="<i>标题</i>", body=HOSTILE)
    html = client_for("a_auditor").get(f"/portal/notices/{notice.pk}/").content.decode()
    assert "<script>alert" not in html and "<b>粗体</b>" not in html and "<img src=x" not in html and "<i>标题</i>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;粗体&lt;/b&gt;<br>第二行 &amp; &lt;img" in html
    home = client_for("a_auditor").get("/").content.decode()
    assert "&lt;i&gt;标题&lt;/i&gt;" in home and "<i>标题</i>" not in home


def test_a_county_user_never_sees_another_countys_notices(client_for, personas, tree):
    a1_admin = make_user("A1", "a1_admin", "admin")
    mine = services.publish_notice(a1_admin, org=tree["A1"], title="一区通知", body="一区内部")
    client = client_for("b_auditor")
    assert "一区通知" not in client.get("/portal/notices/").content.decode()
    assert "一区通知" not in client.get("/").content.decode()
    assert client.get(f"/portal/notices/{mine.pk}/").status_code == 404
    assert client_for("a1_auditor").get(f"/portal/notices/{mine.pk}/").status_code == 200
    # a sibling county and the units above do not receive it (the city may open it: it oversees A1)
    assert client_for("a_auditor").get(f"/portal/notices/{mine.pk}/").status_code == 200
    assert "一区通知" not in client_for("a_auditor").get("/portal/notices/").content.decode()


def test_notify_refusals(client_for, personas, tree):
    # an auditor may not publish: no page, no write
    assert client_for("a_auditor").get("/portal/notices/new/").status_code == 404
    assert client_for("a_auditor").post("/portal/notices/new/", {"title": "越权", "body": "越权"}).status_code == 404
    assert "发布通知公告" not in client_for("a_auditor").get("/").content.decode()
    # a director may not publish for another unit, nor withdraw its notices
    with pytest.raises(PermissionError):
        services.publish_notice(personas["prov_director"], org=tree["A"], title="冒名", body="冒名")
    a_admin = make_user("A", "a_admin", "admin")
    city = services.publish_notice(a_admin, org=tree["A"], title="甲市通知", body="甲市")
    assert client_for("prov_director").post(f"/portal/notices/{city.pk}/withdraw/").status_code == 404
    with pytest.raises(PermissionError):
        services.withdraw_notice(personas["prov_director"], city)
    assert Notice.objects.get(pk=city.pk).withdrawn_at is None
    assert not Notice.objects.filter(title__in=["越权", "冒名"]).exists()


def test_invalid_notice_form_shows_chinese_errors(client_for):
    html = client_for("prov_director").post("/portal/notices/new/", {"title": "", "body": ""}).content.decode()
    assert "请填写标题。" in html and "请填写正文。" in html
    html = client_for("prov_director").post("/portal/notices/new/", {"title": "x" * 201, "body": "y"}).content.decode()
    assert "标题不能超过 200 个字。" in html
    assert not Notice.objects.exists()


def test_withdraw_hides_the_notice_from_readers_and_is_logged(client_for, personas, tree):
    notice = services.publish_notice(personas["prov_director"], org=tree["P"], title="将撤回", body="正文")
    reader = client_for("a_auditor")
    assert reader.get(f"/portal/notices/{notice.pk}/").status_code == 200
    assert reader.post(f"/portal/notices/{notice.pk}/withdraw/").status_code == 404  # a reader may not withdraw
    response = client_for("prov_director").post(f"/portal/notices/{notice.pk}/withdraw/")
    assert response.status_code == 302
    assert Notice.objects.get(pk=notice.pk).withdrawn_at is not None
    assert ActivityLog.objects.filter(action="portal.notice_withdraw", object_id=str(notice.pk)).count() == 1
    assert reader.get(f"/portal/notices/{notice.pk}/").status_code == 404
    assert "将撤回" not in reader.get("/").content.decode()
    # the publisher still finds it, marked withdrawn, and a second withdrawal changes nothing
    own = client_for("prov_director").get("/portal/notices/?box=published").content.decode()
    assert "将撤回" in own and "已撤回" in own
    client_for("prov_director").post(f"/portal/notices/{notice.pk}/withdraw/")
    assert ActivityLog.objects.filter(action="portal.notice_withdraw").count() == 1


def test_opening_a_notice_marks_it_read(client_for, personas, tree):
    notice = services.publish_notice(personas["prov_director"], org=tree["P"], title="待阅", body="正文")
    client = client_for("a_auditor")
    assert "未读 1" in client.get("/").content.decode()
    client.get(f"/portal/notices/{notice.pk}/")
    client.get(f"/portal/notices/{notice.pk}/")
    assert NoticeRead.objects.filter(notice=notice, user=personas["a_auditor"]).count() == 1
    assert "未读" not in client.get("/").content.decode().split('id="notices"')[1].split("</section>")[0]
    assert "已读 2 人" in client_for("prov_director").get(f"/portal/notices/{notice.pk}/").content.decode()  # the reader and the publisher himself


def test_hostile_notice_list_params(client_for):
    for value in ("", "x" * 10000, "-1", "99999999999999999999", "<script>", "published"):
        for name in ("box", "page"):
            response = client_for("a_auditor").get("/portal/notices/", {name: value})
            assert response.status_code == 200
            assert "<script>" not in response.content.decode().split("<main")[1]
