"""法规库: importing through the service and the command (all or nothing, logged, the signal
sent), who may publish what where, a new edition superseding the current one, repeal, who
reads what, and the pages per role."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from jingshen.activity.models import ActivityLog
from jingshen.knowledge import access, services
from jingshen.knowledge.models import Article, Regulation, RegulationLevel, RegulationStatus
from jingshen.knowledge.signals import content_changed
from jingshen.tabular import TableError
from tests.conftest import make_user

L = RegulationLevel
SMALL = "# 某办法\n\n第一条 为了规范经费管理，制定本办法。\n\n第二条 经费包括：\n\n（一）会费；\n\n（二）拨缴经费。\n"


def write(tmp_path, text=SMALL, name="办法.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def law(tree, union_law, edition="2021年修正", **kwargs):
    kwargs = {"name": "中华人民共和国工会法", "edition": edition, "level": L.LAW, "org": tree["P"],
              "issuer": "全国人民代表大会常务委员会", **kwargs}
    return services.import_regulation(None, union_law, **kwargs).regulation


@pytest.fixture
def signals():
    sent = []

    def receiver(sender, instance, deleted, **kwargs):
        sent.append((sender, instance.pk, instance.status, deleted))

    content_changed.connect(receiver)
    yield sent
    content_changed.disconnect(receiver)


@pytest.mark.django_db
def test_importing_the_union_law(tree, union_law, signals):
    before = ActivityLog.objects.count()
    reg = law(tree, union_law, edition_date=datetime.date(2021, 12, 24))
    assert reg.articles.count() == 58 and reg.status == RegulationStatus.CURRENT and not reg.gist
    assert len(set(reg.articles.values_list("chapter", flat=True))) == 7
    art43 = reg.articles.get(number=43)
    assert art43.number_text == "第四十三条" and len(art43.items) == 5 and art43.items[0]["label"] == "（一）"
    assert reg.preamble.startswith("1992年4月3日") and len(reg.source_hash) == 64 and reg.source_name.endswith(".md")
    entry = ActivityLog.objects.get(action="knowledge.import_regulation")
    assert ActivityLog.objects.count() == before + 1 and entry.object_id == str(reg.pk) and entry.details["articles"] == 58
    assert signals == [(Regulation, reg.pk, "current", False)]


@pytest.mark.django_db
def test_a_refused_file_writes_nothing(tree, tmp_path, signals):
    path = write(tmp_path, "第一条 甲。\n第一条 乙。\n")
    with pytest.raises(TableError):
        services.import_regulation(None, path, name="办法", edition="1", org=tree["A"])
    assert not Regulation.objects.exists() and not Article.objects.exists() and not signals
    assert not ActivityLog.objects.filter(action__startswith="knowledge.").exists()


@pytest.mark.django_db
def test_metadata_is_checked(tree, tmp_path):
    path = write(tmp_path)
    with pytest.raises(ValueError, match="请填写法规名称"):
        services.import_regulation(None, path, name=" ", edition="1", org=tree["A"])
    with pytest.raises(ValueError, match="请填写版本"):
        services.import_regulation(None, path, name="办法", edition="", org=tree["A"])
    with pytest.raises(ValueError, match="未知的法规层级"):
        services.import_regulation(None, path, name="办法", edition="1", level="条例", org=tree["A"])
    services.import_regulation(None, path, name="《办法》", edition="1", level="本单位制度", org=tree["A"])
    with pytest.raises(ValueError, match="同一版本不能重复导入"):
        services.import_regulation(None, path, name="办法", edition="1", org=tree["A"])
    assert Regulation.objects.get().name == "办法"


@pytest.mark.django_db
@pytest.mark.parametrize("level,allowed", [
    (L.LAW, {"P"}), (L.ADMINISTRATIVE, {"P"}), (L.DEPARTMENTAL, {"P"}), (L.ACFTU, {"P"}),
    (L.PROVINCIAL, {"P"}), (L.UNIT, {"P", "A", "A1", "A1X"}),
])
def test_levels_are_published_where_they_belong(tree, tmp_path, level, allowed):
    path = write(tmp_path)
    for code in ("P", "A", "A1", "A1X"):
        if code in allowed:
            services.import_regulation(None, path, name=f"办法{code}", edition="1", level=level, org=tree[code])
        else:
            with pytest.raises(ValueError, match="只能由"):
                services.import_regulation(None, path, name=f"办法{code}", edition="1", level=level, org=tree[code])
    assert set(Regulation.objects.values_list("owner_org__code", flat=True)) == allowed


@pytest.mark.django_db
def test_a_province_file_needs_a_province_even_below_the_root(tmp_path, db):
    from jingshen.orgs.services import import_orgs
    from tests.conftest import write_csv

    import_orgs(write_csv(tmp_path / "t.csv", [["Q", "全国总工会", "", "全国", "工会机关", ""],
                                               ["Q1", "某省总工会", "Q", "省", "工会机关", ""],
                                               ["Q11", "某市总工会", "Q1", "市", "工会机关", ""]]))
    from jingshen.orgs.models import Org

    path = write(tmp_path)
    services.import_regulation(None, path, name="省办法", edition="1", level=L.PROVINCIAL, org=Org.objects.get(code="Q1"))
    for code in ("Q", "Q11"):
        with pytest.raises(ValueError, match="省级文件只能由省级单位发布"):
            services.import_regulation(None, path, name="省办法", edition="2", level=L.PROVINCIAL, org=Org.objects.get(code=code))
    with pytest.raises(ValueError, match="最上级单位"):
        services.import_regulation(None, path, name="全总办法", edition="1", level=L.ACFTU, org=Org.objects.get(code="Q1"))


@pytest.mark.django_db
def test_who_may_publish(personas, tree, tmp_path):
    path = write(tmp_path)
    a_director = make_user("A", "a_director", "director")
    a_admin = make_user("A", "a_admin", "admin")
    for user in (a_director, a_admin):
        services.import_regulation(user, path, name=f"办法{user.username}", edition="1", org=tree["A"])
    # audit staff, leaders and contacts do not publish; nobody publishes for another unit
    for user, org in ((personas["a_auditor"], "A"), (personas["a_lead"], "A"), (personas["leader"], "P"),
                      (personas["contact"], "A1X"), (a_director, "A1"), (a_director, "P"), (personas["prov_director"], "A")):
        with pytest.raises(PermissionError, match="系统管理员或经审负责人"):
            services.import_regulation(user, path, name="越权", edition="1", org=tree[org])
    reg = services.import_regulation(personas["prov_director"], path, name="全总办法", edition="1", level=L.ACFTU, org=tree["P"]).regulation
    assert reg.published_by == personas["prov_director"]
    assert ActivityLog.objects.get(action="knowledge.import_regulation", object_id=str(reg.pk)).actor == personas["prov_director"]


@pytest.mark.django_db
def test_a_new_edition_supersedes_the_current_one(tree, union_law, tmp_path, signals):
    old = law(tree, union_law, edition="2009年修正", edition_date=datetime.date(2009, 8, 27))
    new = law(tree, union_law, edition="2021年修正", edition_date=datetime.date(2021, 12, 24))
    old.refresh_from_db()
    assert old.status == RegulationStatus.REVISED and old.replaced_by == new and new.status == RegulationStatus.CURRENT
    assert (Regulation, old.pk, "revised", False) in signals and (Regulation, new.pk, "current", False) in signals
    # an older edition imported afterwards is recorded as revised by the current one
    older = law(tree, union_law, edition="2001年修正", edition_date=datetime.date(2001, 10, 27))
    assert older.status == RegulationStatus.REVISED and older.replaced_by == new
    new.refresh_from_db()
    assert new.status == RegulationStatus.CURRENT
    # the same name at another unit is another regulation
    other = services.import_regulation(None, union_law, name="中华人民共和国工会法", edition="2021年修正", org=tree["A"]).regulation
    assert other.status == RegulationStatus.CURRENT and Regulation.objects.get(pk=new.pk).status == RegulationStatus.CURRENT


@pytest.mark.django_db
def test_repeal(personas, tree, tmp_path, signals):
    path = write(tmp_path)
    a_director = make_user("A", "a_director", "director")
    reg = services.import_regulation(a_director, path, name="旧制度", edition="1", org=tree["A"]).regulation
    new = services.import_regulation(a_director, path, name="新制度", edition="1", org=tree["A"]).regulation
    with pytest.raises(PermissionError):
        services.repeal(personas["a_auditor"], reg)
    services.repeal(a_director, reg, replaced_by=new)
    reg.refresh_from_db()
    assert reg.status == RegulationStatus.REPEALED and reg.replaced_by == new
    assert signals[-1] == (Regulation, reg.pk, "repealed", False)
    assert ActivityLog.objects.filter(action="knowledge.repeal_regulation", actor=a_director).count() == 1
    with pytest.raises(ValueError, match="已经废止"):
        services.repeal(a_director, reg)


@pytest.mark.django_db
def test_readers_see_their_unit_the_units_above_and_those_they_see_below(personas, tree, tmp_path):
    path = write(tmp_path)
    regs = {code: services.import_regulation(None, path, name=f"{code}制度", edition="1", org=tree[code]).regulation
            for code in ("P", "A", "A1X", "B", "B1X")}

    def readable(user):
        return set(access.regulations_for(user).values_list("owner_org__code", flat=True))

    assert readable(personas["a_auditor"]) == {"P", "A", "A1X"}  # above, own and below
    assert readable(personas["b_auditor"]) == {"P", "B", "B1X"}
    assert readable(personas["contact"]) == {"P", "A", "A1X"}  # a grassroots unit reads the units above it
    assert readable(personas["prov_director"]) == set(regs)
    from django.contrib.auth.models import AnonymousUser

    assert not access.regulations_for(AnonymousUser()).exists()


# --- the command ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_imports_the_union_law_at_the_root(tree, union_law, capsys):
    call_command("import_regulation", str(union_law), "--name", "中华人民共和国工会法", "--edition", "2021年修正",
                 "--level", "法律", "--issuer", "全国人民代表大会常务委员会", "--edition-date", "2021-12-24",
                 "--effective-on", "2022-01-01")
    out = capsys.readouterr().out
    assert "导入完成：《中华人民共和国工会法》（2021年修正）：7 章 58 条" in out and "第五章 工会的经费和财产：7 条" in out
    reg = Regulation.objects.get()
    assert reg.owner_org.code == "P" and reg.level == L.LAW and reg.effective_on == datetime.date(2022, 1, 1)
    assert ActivityLog.objects.get(action="knowledge.import_regulation").source == "cli"


@pytest.mark.django_db
def test_the_command_refuses_in_chinese_and_writes_nothing(tree, tmp_path):
    bad = write(tmp_path, "没有条文的说明。\n", name="说明.txt")
    cases = [
        ([str(bad), "--name", "x", "--edition", "1"], "文件被拒绝，系统中的数据未做任何改动。"),
        ([str(write(tmp_path)), "--name", "x", "--edition", "1", "--org", "NOPE"], "单位编码「NOPE」不存在"),
        ([str(write(tmp_path)), "--name", "x", "--edition", "1", "--level", "法律", "--org", "A"], "法律只能由最上级单位发布"),
        ([str(write(tmp_path)), "--name", "x", "--edition", "1", "--edition-date", "2021-13-01"], "不是有效日期"),
        ([str(tmp_path / "missing.md"), "--name", "x", "--edition", "1"], "文件不存在"),
        ([str(write(tmp_path)), "--name", "x", "--edition", "1", "--level", "条例"], "未知的法规层级"),
    ]
    for args, message in cases:
        with pytest.raises(CommandError, match=message):
            call_command("import_regulation", *args)
    assert not Regulation.objects.exists() and not ActivityLog.objects.filter(action__startswith="knowledge.").exists()


# --- pages ----------------------------------------------------------------------------------------


@pytest.fixture
def library(tree, union_law, tmp_path):
    """The 工会法 at the province (root), a gist entry there, and a 本单位制度 of A1X and of B1X."""
    regs = {"law": law(tree, union_law, edition_date=datetime.date(2021, 12, 24))}
    regs["gist"] = services.import_regulation(None, write(tmp_path, name="要点.md"), name="基层工会经费收支管理办法",
                                              edition="2017年版", doc_no="总工办发〔2017〕32号", level=L.ACFTU,
                                              org=tree["P"], gist=True).regulation
    for code in ("A1X", "B1X"):
        regs[code] = services.import_regulation(None, write(tmp_path), name=f"{tree[code].name}财务制度", edition="2025年版",
                                                org=tree[code]).regulation
    return regs


@pytest.mark.django_db
def test_the_regulation_page(client_for, library):
    client = client_for("a_auditor")
    reg = library["law"]
    html = client.get(f"/knowledge/regulations/{reg.pk}/").content.decode()
    assert "《中华人民共和国工会法》" in html and "第五章 工会的经费和财产" in html and "第一章 总则" in html
    assert 'id="art-43"' in html and html.count('class="article"') == 58
    assert "第一条</a>为保障工会在国家政治" in html
    assert '<ol class="article-items"><li><span class="item-label">（一）</span>工会会员缴纳的会费；</li>' in html
    assert f'href="/knowledge/regulations/{reg.pk}/articles/43/"' in html
    assert "要点，非正式文本" not in html and 'id="repeal"' not in html  # an auditor does not repeal
    article = client.get(f"/knowledge/regulations/{reg.pk}/articles/43/").content.decode()
    assert "第四十三条" in article and "百分之二" in article and "第四十二条" in article and "第四十四条" in article
    assert client.get(f"/knowledge/regulations/{reg.pk}/articles/59/").status_code == 404
    gist = client.get(f"/knowledge/regulations/{library['gist'].pk}/").content.decode()
    assert "要点，非正式文本" in gist and "总工办发〔2017〕32号" in gist
    assert "要点，非正式文本" in client.get(f"/knowledge/regulations/{library['gist'].pk}/articles/1/").content.decode()


@pytest.mark.django_db
def test_a_superseded_edition_links_to_the_current_one(client_for, library, tree, union_law):
    new = law(tree, union_law, edition="2030年修正", edition_date=datetime.date(2030, 1, 1))
    html = client_for("a_auditor").get(f"/knowledge/regulations/{library['law'].pk}/").content.decode()
    assert "本版本已修订" in html and f'href="/knowledge/regulations/{new.pk}/"' in html


@pytest.mark.django_db
def test_the_list_and_its_filters(client_for, library):
    client = client_for("a_auditor")
    html = client.get("/knowledge/regulations/").content.decode()
    assert "中华人民共和国工会法" in html and "基层工会经费收支管理办法" in html and "甲市一区电子公司工会委员会财务制度" in html
    assert "乙市一区医院工会委员会财务制度" not in html  # another branch's 本单位制度
    assert "基层工会经费收支管理办法" not in client.get("/knowledge/regulations/?level=law").content.decode()
    html = client.get("/knowledge/regulations/?issuer=全国人民代表大会").content.decode()
    assert "中华人民共和国工会法" in html and "财务制度" not in html
    assert "中华人民共和国工会法" in client.get("/knowledge/regulations/?year=2021").content.decode()
    assert "中华人民共和国工会法" not in client.get("/knowledge/regulations/?year=2020").content.decode()
    assert "没有符合条件的法规" in client.get("/knowledge/regulations/?status=repealed").content.decode()
    assert "年度“abc”无效" in client.get("/knowledge/regulations/?year=abc").content.decode()
    index = client.get("/knowledge/").content.decode()
    assert 'href="/knowledge/regulations/"' in index and "导入法规" not in index
    assert all(f'href="/knowledge/{part}/"' in index for part in ("cases", "guides", "wordings"))
    assert 'action="/knowledge/search/"' in index


@pytest.mark.django_db
@pytest.mark.parametrize("persona,foreign", [("a_auditor", "B1X"), ("b_auditor", "A1X"), ("a1_auditor", "B1X"),
                                             ("contact", "B1X")])
def test_another_branchs_own_rules_are_404(client_for, library, persona, foreign):
    client = client_for(persona)
    pk = library[foreign].pk
    for url in (f"/knowledge/regulations/{pk}/", f"/knowledge/regulations/{pk}/articles/1/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/knowledge/regulations/{pk}/repeal/").status_code == 404
    assert client.get(f"/knowledge/regulations/{library['law'].pk}/").status_code == 200  # the root's law: everybody


@pytest.mark.django_db
def test_the_upload_page(client, personas, tree, union_law, library):
    # only publishers see it
    for name in ("a_auditor", "leader", "contact", "a_lead"):
        client.force_login(personas[name])
        assert client.get("/knowledge/regulations/upload/").status_code == 404
        assert client.post("/knowledge/regulations/upload/", {"name": "x"}).status_code == 404
    director = make_user("A1X", "a1x_director", "director")
    client.force_login(director)
    page = client.get("/knowledge/regulations/upload/").content.decode()
    assert "甲市一区电子公司工会委员会——本单位制度" in page
    ok = {"name": "电子公司工会慰问品管理办法", "edition": "2026年版", "level": "unit", "org": "A1X", "doc_no": "",
          "issuer": "电子公司工会委员会", "edition_date": "2026-01-01", "effective_on": ""}
    response = client.post("/knowledge/regulations/upload/", {**ok, "file": SimpleUploadedFile("办法.md", SMALL.encode())})
    reg = Regulation.objects.get(name=ok["name"])
    assert response.status_code == 302 and response["Location"] == f"/knowledge/regulations/{reg.pk}/"
    assert reg.published_by == director and reg.articles.count() == 2
    # a file refused: the reasons in Chinese, nothing written
    count = Regulation.objects.count()
    html = client.post("/knowledge/regulations/upload/", {**ok, "edition": "2027年版", "file": SimpleUploadedFile(
        "乱序.txt", "第二条 甲。\n第一条 乙。\n".encode("gb18030"))}).content.decode()
    assert "文件被拒绝" in html and "文件「乱序.txt」第 2 行：条号顺序错误" in html
    html = client.post("/knowledge/regulations/upload/", {**ok, "edition": "2027年版", "file": SimpleUploadedFile(
        "假的.docx", b"not a document")}).content.decode()
    assert "内容不是 Word 文档" in html
    # a national level at a grassroots unit, and a unit the director does not publish for
    html = client.post("/knowledge/regulations/upload/", {**ok, "edition": "2027年版", "level": "acftu",
                                                          "file": SimpleUploadedFile("办法.md", SMALL.encode())}).content.decode()
    assert "全总文件只能由最上级单位发布" in html
    html = client.post("/knowledge/regulations/upload/", {**ok, "edition": "2027年版", "org": "A1",
                                                          "file": SimpleUploadedFile("办法.md", SMALL.encode())}).content.decode()
    assert "发布单位" in html and "A1 不在可用的选项中" in html
    assert Regulation.objects.count() == count


@pytest.mark.django_db
def test_the_province_publishes_the_union_law_by_upload_and_repeals(client, personas, tree, union_law, tmp_path):
    client.force_login(personas["prov_admin"])
    data = {"name": "中华人民共和国工会法", "edition": "2021年修正", "level": "law", "org": "P",
            "file": SimpleUploadedFile("工会法.md", union_law.read_bytes())}
    client.post("/knowledge/regulations/upload/", data)
    reg = Regulation.objects.get()
    assert reg.articles.count() == 58
    page = client.get(f"/knowledge/regulations/{reg.pk}/").content.decode()
    assert 'id="repeal"' in page
    assert client.post(f"/knowledge/regulations/{reg.pk}/repeal/", {"replaced_by": ""}).status_code == 302
    reg.refresh_from_db()
    assert reg.status == RegulationStatus.REPEALED
    assert "已废止" in client.get(f"/knowledge/regulations/{reg.pk}/").content.decode()
    # the province's director does not repeal what a county published
    county = services.import_regulation(None, write(tmp_path, SMALL), name="县制度", edition="1", org=tree["A1"]).regulation
    client.force_login(personas["prov_director"])
    assert client.get(f"/knowledge/regulations/{county.pk}/").status_code == 200
    assert client.post(f"/knowledge/regulations/{county.pk}/repeal/").status_code == 404
    county.refresh_from_db()
    assert county.status == RegulationStatus.CURRENT


@pytest.mark.django_db
def test_the_menu_opens_the_knowledge_index(client_for, library):
    html = client_for("contact").get("/").content.decode()
    assert 'href="/knowledge/"' in html
    page = client_for("contact").get("/knowledge/")
    assert page.status_code == 200 and "法规库" in page.content.decode()
