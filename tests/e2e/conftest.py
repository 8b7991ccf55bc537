import importlib
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = "未安装 /usr/bin/chromium：浏览器测试未运行（root 执行 apt-get install -y chromium fonts-noto-cjk）"
        if os.environ.get("JINGSHEN_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def log_in(page, live_server, username: str, password: str = PASSWORD) -> None:
    """Open the site, land on the login page, and log in."""
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))  # logged in before the next step


# Draws two distinct CJK characters of the page's own text, and a private-use character (which no
# font has: it is drawn as the missing-glyph box, "tofu"), in the body's font on a canvas, and
# returns what it found. Without a CJK font every CJK character is the same tofu box: the two
# drawings are identical to each other and to the private-use one.
_CJK_PROBE = """() => {
  const text = document.body.innerText;
  const chars = [...new Set(text.match(/[\\u4e00-\\u9fff]/g) || [])];
  if (chars.length < 2) { return {chars: chars.length}; }
  const style = getComputedStyle(document.body);
  const draw = (ch) => {
    const canvas = document.createElement("canvas");
    canvas.width = 40; canvas.height = 40;
    const ctx = canvas.getContext("2d");
    ctx.font = "32px " + style.fontFamily;
    ctx.fillStyle = "#000";
    ctx.fillText(ch, 2, 32);
    return Array.from(ctx.getImageData(0, 0, 40, 40).data).join(",");
  };
  const a = draw(chars[0]), b = draw(chars[1]), tofu = draw("\\ue000");
  return {chars: chars.length, distinct: a !== b, not_tofu: a !== tofu && b !== tofu,
          sample: chars[0] + chars[1], font: style.fontFamily,
          font_loaded: document.fonts.check("16px " + style.fontFamily, chars[0] + chars[1])};
}"""


def assert_chinese_rendered(page) -> None:
    """The page's Chinese text is drawn with a CJK font, not as boxes: the DOM holds the right text
    whether or not a font can draw it, so only the rendered glyphs tell (ENGINEERING-NOTES.md)."""
    found = page.evaluate(_CJK_PROBE)
    assert found["chars"] >= 2, f"页面上没有中文：{page.url}"
    assert found["distinct"] and found["not_tofu"] and found["font_loaded"], f"中文未用中文字体渲染（显示为方框）：{found}"


def assert_fits_width(page) -> None:
    """The page needs no horizontal scrolling at the window's width (the pages are laid out for
    1280×720 and up): wide tables wrap or scroll inside their own box, never the whole page."""
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], f"页面宽于窗口（{overflow[0]} > {overflow[1]} 像素）：{page.url}"


@pytest.fixture
def catalogues():
    """The 审计类型 and 问题类型 the migrations seed: an earlier transactional test's flush removed
    them (serialized_rollback would clash with the content types the flush recreates)."""
    from django.apps import apps

    for migration, seed in (("0002_builtin_audit_types", "add_types"), ("0003_verification_findings", "add_problem_types")):
        getattr(importlib.import_module(f"jingshen.audits.migrations.{migration}"), seed)(apps, None)
