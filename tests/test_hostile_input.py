"""No input crashes a page.

Walks every URL of the URL conf (as tests/test_access.py does) and requests it, as a user who
may see it, with hostile values for each of its query parameters: never a 500, and HTML in a
parameter is never echoed unescaped. The parameter names come from the view itself — the
form it declares with ``@querystring.query`` (``view.query_form``), or for the API its
``query_serializer`` and pagination class — so a new view is covered the day it is added;
a source check makes sure no view reads ``request.GET`` by name behind its form's back."""

import ast
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.urls import resolve

import jingshen
from jingshen.accounts.models import RoleCode
from tests.conftest import make_user
from tests.test_access import POST_ONLY, all_patterns, fill, values_for

SCRIPT = "<script>alert(1)</script>"
HOSTILE = [
    "", " ", "0", "-1", "-99999999999999999999", "99999999999999999999", "1" * 40, "1e308", "1.5", "0x10",
    "NaN", "nan", "inf", "-inf", "Infinity", "-Infinity", "abc", "一二三", "x" * 10_000,
    "1' OR '1'='1", "1;DROP TABLE x", "%' OR 1=1 --", SCRIPT, '"><img src=x onerror=alert(1)>',
    "\x00", "a\x00b", "\u202e\u200b", "../../etc/passwd",
]
# Already percent-encoded: bytes that are not UTF-8, truncated sequences, NUL, stray percent signs.
RAW = ["%FF%FE", "%C0%AF", "%E4%B8", "%00", "%", "%%", "a%2", "%u0041", "%F0%9F%98", "%ED%A0%80"]
UNDECLARED = "zz_unknown"  # a parameter no view reads: must be ignored
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def policy(header: str | None) -> dict[str, str]:
    """A CSP header as {directive: sources} (django-csp does not keep the directives' order)."""
    return dict(part.strip().partition(" ")[::2] for part in (header or "").split(";") if part.strip())


# Inline script (data for scripts in <script type="application/json"> is not run, and allowed),
# style attributes and elements, event handler attributes, javascript: URLs.
INLINE = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>|\sstyle=|\son[a-z]+=|javascript:|<style", re.IGNORECASE)


def declared_params(callback) -> set[str]:
    """The query parameters a view reads, from what it declares."""
    names = set()
    form = getattr(callback, "query_form", None)
    if form is not None:
        names |= set(form.base_fields)
    cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if cls is not None:
        serializer = getattr(cls, "query_serializer", None)
        if serializer is not None:
            names |= set(serializer().fields)
        pagination = getattr(cls, "pagination_class", None)
        for attr in ("limit_query_param", "offset_query_param", "page_query_param", "page_size_query_param"):
            if pagination is not None and getattr(pagination, attr, None):
                names.add(getattr(pagination, attr))
        if getattr(cls, "redirect_field_name", None):  # Django's LoginView: ?next=
            names.add(cls.redirect_field_name)
    return names


def encoded(value: str) -> str:
    return quote(value, safe="")


def query_string(names, value: str, raw: bool = False) -> str:
    value = value if raw else encoded(value)
    return "&".join(f"{name}={value}" for name in sorted(names))


@pytest.fixture
def walk(client, personas, tmp_path):
    """(url, callback) for every GET page and endpoint, filled with objects of unit A1X, and a
    client logged in as 经审负责人 + 系统管理员 of city A (who may see every one of them)."""
    client.force_login(make_user("A", "a_all", RoleCode.DIRECTOR, RoleCode.ADMIN))
    values = values_for("A1X", tmp_path)
    urls = []
    for route, name, _ in all_patterns():
        if name in POST_ONLY or name == "logout":
            continue
        url = fill(route, values)
        urls.append((url, name, resolve(url).func))
    client.values = values  # the URL parameters' in-scope values, for tests that vary them
    return client, urls


def check(response, url: str) -> None:
    assert response.status_code < 500, f"{url} answered {response.status_code}"
    if response.get("Content-Type", "").startswith("text/html"):
        assert policy(response.get("Content-Security-Policy")) == policy(CSP), f"{url}: {response.get('Content-Security-Policy')}"
    if response.get("Content-Type", "").startswith(("text/html", "application/json")) and not response.streaming:
        body = response.content.decode("utf-8", "replace")
        assert SCRIPT not in body, f"{url} echoed HTML unescaped"
        assert "<img src=x onerror" not in body, f"{url} echoed HTML unescaped"


@pytest.mark.django_db
def test_every_url_survives_hostile_query_parameters(walk):
    client, urls = walk
    assert len(urls) >= 20
    with_params = 0
    for url, name, callback in urls:
        names = declared_params(callback) | {UNDECLARED}
        if len(names) == 1:  # the view reads no parameter: one it does not know is ignored
            for value in ("99999999999999999999", SCRIPT, "%FF%FE"):
                target = f"{url}?{UNDECLARED}={value if value.startswith('%') else encoded(value)}"
                check(client.get(target), target)
            continue
        with_params += 1
        for value in HOSTILE:
            target = f"{url}?{query_string(names, value)}"
            check(client.get(target), target)
        for value in RAW:
            target = f"{url}?{query_string(names, value, raw=True)}"
            check(client.get(target), target)
        for param in names:  # each parameter alone, the others absent (their defaults)
            for value in ("99999999999999999999", "NaN", "-inf", "x" * 10_000, SCRIPT):
                target = f"{url}?{param}={encoded(value)}"
                check(client.get(target), target)
            target = f"{url}?{param}=%FF%FE"
            check(client.get(target), target)
    assert with_params >= 7  # 查账 (5 pages), the dataset page, the flag list, the API list at least


@pytest.mark.django_db
def test_every_page_has_the_strict_csp_and_no_inline_script_or_style(walk):
    client, urls = walk
    pages = 0
    for url, name, _ in urls:
        response = client.get(url)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        pages += 1
        assert policy(response.get("Content-Security-Policy")) == policy(CSP), url
        if name.startswith("api"):  # DRF's browsable API is DRF's own page
            continue
        html = response.content.decode()
        assert not INLINE.search(html), f"{url}: {INLINE.search(html).group(0)!r} (move it to a static file)"
    assert pages >= 15
    anonymous = client.__class__().get("/accounts/login/")
    assert policy(anonymous.get("Content-Security-Policy")) == policy(CSP) and not INLINE.search(anonymous.content.decode())


def test_templates_hold_no_inline_script_or_style():
    templates = Path(jingshen.__file__).parent / "templates"
    found = [f"{path.relative_to(templates)}: {m.group(0)!r}" for path in templates.rglob("*.html")
             for m in [INLINE.search(path.read_text(encoding="utf-8"))] if m]
    assert not found, found


@pytest.mark.django_db
def test_exports_with_hostile_parameters_never_crash(walk):
    client, urls = walk
    exporting = [(url, callback) for url, _, callback in urls if "format" in declared_params(callback)]
    assert len(exporting) >= 6
    for url, callback in exporting:
        others = declared_params(callback) - {"format"}
        for value in ("NaN", "99999999999999999999", "x" * 10_000, SCRIPT, "%FF%FE"):
            raw = value.startswith("%")
            for param in others:
                target = f"{url}?format=xlsx&{param}={value if raw else encoded(value)}"
                response = client.get(target)
                check(response, target)


@pytest.mark.django_db
def test_huge_and_odd_url_parameters_are_404_not_500(walk):
    """URL parameters are matched by their converters (``int`` is digits only), but a 20-digit
    id, period or voucher number must still be a 404 (or a page), never an overflow."""
    client, _ = walk
    for route, name, params in all_patterns():
        if name in POST_ONLY or name == "logout" or not params:
            continue
        for param in params:
            for odd in ("99999999999999999999", "9223372036854775808", "0", "%FF%FE", encoded(SCRIPT), "x" * 300):
                url = fill(route, {**client.values, param: odd})
                check(client.get(url), url)


@pytest.mark.django_db
def test_every_form_survives_hostile_posts(client, personas, tmp_path):
    """Views that take a POST declare its form (``@querystring.posts``): each field gets the
    hostile values, all at once and one at a time; POST-only views without a form get a field
    they do not know."""
    client.force_login(make_user("A", "a_all", RoleCode.DIRECTOR, RoleCode.ADMIN))
    values = values_for("A1X", tmp_path)
    posted = 0
    for route, name, _ in all_patterns():
        if name in ("logout", "login"):
            continue
        url = fill(route, values)
        form = getattr(resolve(url).func, "post_form", None)
        if form is None:
            if name in POST_ONLY:
                for value in ("99999999999999999999", SCRIPT, "\x00"):
                    check(client.post(url, {UNDECLARED: value, "role-102": value}), url)
            continue
        posted += 1
        # the declared fields, one the view does not know, and a sample of the prefixed
        # fields that forms add per account (role-<code>) or per import column (field-<name>)
        names = set(form.base_fields) | {UNDECLARED, "role-102", "field-凭证号"}
        for value in HOSTILE:
            check(client.post(url, {n: value for n in names}), f"POST {url} all={value[:20]!r}")
        for param in names:
            for value in ("99999999999999999999", "NaN", "x" * 10_000, "a\x00b", SCRIPT):
                check(client.post(url, {param: value}), f"POST {url} {param}={value[:20]!r}")
    assert posted >= 5  # 数据采集 upload and column mapping, start a run, rule parameters, custom rules


@pytest.mark.django_db
def test_the_api_answers_400_in_chinese_for_bad_parameters(walk):
    client, _ = walk
    for query in ("limit=99999999999999999999", "offset=99999999999999999999", "limit=NaN", "offset=-1", "limit=0",
                  "limit=abc", "parent=" + "x" * 10_000):
        response = client.get(f"/api/v1/orgs/?{query}")
        assert response.status_code == 400, query
        detail = response.json()["detail"]
        assert detail.startswith("参数 ") and any("\u4e00" <= ch <= "\u9fff" for ch in detail), detail
    assert client.get("/api/v1/orgs/?limit=2&offset=1").json()["results"]


@pytest.mark.django_db
def test_pages_say_which_filter_was_ignored(walk):
    client, urls = walk
    run = next(url for url, name, _ in urls if name == "screening:run")
    html = client.get(f"{run}?period=99999999999999999999&amount_min=inf").content.decode()
    assert "期间“99999999999999999999”无效" in html and "金额不低于“inf”无效" in html
    balances = next(url for url, name, _ in urls if name == "books:balances")
    html = client.get(f"{balances}?from=NaN&level={encoded(SCRIPT)}").content.decode()
    assert "起始期间“NaN”无效" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- the source: nobody reads the query string behind its form's back -------------------------------


def undeclared_reads(source: str) -> list[int]:
    """Lines that read ``request.GET``, ``request.POST`` or ``request.query_params`` by name
    (or iterate it, or keep it aside). Passing the whole QueryDict on (to a form, a serializer)
    or copying it is not reading by name."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    lines = []
    for node in sorted(ast.walk(tree), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))):
        if isinstance(node, ast.Attribute) and node.attr in ("GET", "query_params", "POST"):
            parent = parents.get(node)
            if isinstance(parent, ast.keyword):  # Form(data=request.GET)
                parent = parents.get(parent)
            whole = isinstance(parent, ast.Call) and node is not parent.func
            copied = isinstance(parent, ast.Attribute) and parent.attr == "copy"
            if not (whole or copied):
                lines.append(node.lineno)
    return lines


def test_undeclared_reads_are_found():
    assert undeclared_reads("x = request.GET.get('a')\ny = request.GET['b']\nf = request.GET\n'c' in request.GET") == [1, 2, 3, 4]
    assert undeclared_reads("form = Form(request.GET)\nq = request.GET.copy()\ns = S(data=request.query_params)") == []
    assert undeclared_reads("p = self.request.query_params.get('parent')") == [1]
    assert undeclared_reads("a = request.POST.get('x')\nb = request.POST.items()\nc = Form(request.POST or None)") == [1, 2, 3]


def test_no_view_reads_the_query_string_or_post_by_name():
    root = Path(jingshen.__file__).parent
    found = []
    for path in root.rglob("*.py"):
        if path.name == "querystring.py":  # the one reader: forms, serializers, pagination
            continue
        found += [f"{path.relative_to(root)}:{n}" for n in undeclared_reads(path.read_text(encoding="utf-8"))]
    assert not found, f"request data read by name (declare a querystring.QueryForm or a POST form instead): {found}"
