"""The portal shell: menu, home page counts and tree, unit pages."""

from django.urls import reverse

from jingshen.portal.menu import SECTIONS


def test_home_counts_by_level_and_kind(client_for):
    html = client_for("prov_director").get("/").content.decode()
    assert "您可查看 8 个单位" in html
    assert "可对其中 3 个开展审计" in html  # P, A, B: own level and one below
    assert "420" in html  # members: 120 + 300
    for label in ("省", "市", "县", "基层", "工会机关", "基层工会"):
        assert f">{label}<" in html
    # the root is the user's own unit with its visible children rendered
    assert "示范省总工会" in html and "甲市总工会" in html and "乙市总工会" in html


def test_contact_sees_only_own_unit(client_for):
    html = client_for("contact").get("/").content.decode()
    assert "您可查看 1 个单位" in html
    assert "甲市一区电子公司工会委员会" in html and "甲市一区总工会" not in html


def test_menu_lists_every_section(client_for, personas):
    from jingshen.admin_center.menu import entries_for

    for name in ("a_auditor", "prov_admin"):
        html = client_for(name).get("/").content.decode()
        for section in SECTIONS:
            # 综合管理 only for those with at least one of its entries (admin_center/menu.py)
            shown = section.key != "admin" or bool(entries_for(personas[name]))
            assert (f'<a href="{reverse(section.url_name)}">{section.title}</a>' in html) == shown, (name, section.title)
        assert "建设中" not in html
    assert "综合管理" in client_for("prov_admin").get("/").content.decode()


def test_tree_fragment_lists_visible_children(client_for):
    html = client_for("a_auditor").get("/orgs/A1/children/").content.decode()
    assert "甲市一区电子公司工会委员会" in html and "<html" not in html


def test_unit_page_shows_audit_right_and_users_for_admins(client_for):
    html = client_for("a_auditor").get("/orgs/A1/").content.decode()
    assert "甲市一区总工会" in html and "可开展审计" in html
    assert "本单位用户" not in html
    html = client_for("a_auditor").get("/orgs/A1X/").content.decode()
    assert "仅查看" in html  # two levels down: visible, not auditable
    html = client_for("prov_admin").get("/orgs/A1/").content.decode()
    assert "本单位用户" in html and "a1_auditor" in html


def test_404_page_is_chinese(client_for):
    response = client_for("a_auditor").get("/orgs/B/")
    assert response.status_code == 404
    assert "不在您的权限范围内" in response.content.decode()


def test_api_me_and_detail(client_for):
    client = client_for("a_lead")
    me = client.get("/api/v1/me/").json()
    assert me["org"]["code"] == "A" and me["roles"] == ["team_lead"]
    detail = client.get("/api/v1/orgs/A1X/").json()
    assert detail == {
        "code": "A1X",
        "name": "甲市一区电子公司工会委员会",
        "parent": "A1",
        "level": "grassroots",
        "level_display": "基层",
        "kind": "grassroots_union",
        "kind_display": "基层工会",
        "member_count": 120,
    }
    children = client.get("/api/v1/orgs/?parent=A").json()
    assert [o["code"] for o in children["results"]] == ["A1", "A2"]
    assert client.get("/api/v1/schema/").status_code == 200
