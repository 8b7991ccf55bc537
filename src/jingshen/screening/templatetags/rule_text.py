"""How rule text reaches a user's screen (templates/screening/*.html).

A text parameter is a regular expression. Users read it as what it stands for: a plain
alternation such as ``(购物卡|超市卡)`` as the keywords 「购物卡」「超市卡」 (words in a case-insensitive
group ``(?i:gift card|e-card)`` among them); a pattern over account
roles or unit levels (``^(other-payable|borrowing)$``) as the Chinese names of the roles or levels
it matches, never the English codes; anything else as the pattern itself in a code box.
"""

import re
from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from jingshen.ledger.roles import AccountRole
from jingshen.orgs.models import Level

register = template.Library()

METACHARACTERS = re.compile(r"[\\^$.|?*+()\[\]{}]")
CODE_PATTERN = re.compile(r"[\x20-\x7e]+")  # role and level codes are ASCII
# a case-insensitive group of plain words, e.g. the English words of a keyword list: (?i:gift card|e-card)
CASELESS_WORDS = re.compile(r"\(\?i:([^\\^$.?*+()\[\]{}]+)\)")


def keywords(value) -> list[str] | None:
    """The keywords or names a pattern stands for, or None when it is not such a plain list."""
    if not isinstance(value, str) or not value:
        return None
    if names := code_names(value):
        return names
    body = CASELESS_WORDS.sub(lambda m: m.group(1), value)  # its words read as any other keywords
    # ^(a|b)$ and ^(a|b)?$ (the whole text is one of them, or empty): the label says so
    for start, end in (("^(", ")$"), ("^(", ")?$"), ("(", ")")):
        if body.startswith(start) and body.endswith(end) and not METACHARACTERS.search(body[len(start):-len(end)].replace("|", "")):
            body = body[len(start):-len(end)]
            break
    items = body.split("|")
    if all(items) and not any(METACHARACTERS.search(item) for item in items):
        return items
    return None


def code_names(value) -> list[str] | None:
    """The Chinese names of the account roles, or else of the unit levels, an ASCII pattern
    matches (as the engine matches it: anywhere in the code); None if it matches none."""
    if not isinstance(value, str) or not CODE_PATTERN.fullmatch(value):
        return None
    try:
        matcher = re.compile(value)
    except re.error:
        return None
    for choices in (AccountRole.choices, Level.choices):
        if names := [label for code, label in choices if matcher.search(code)]:
            return names
    return None


@register.filter
def pattern(value):
    """A parameter value as users read it: keywords, role names, the pattern in a code box, or
    (a number) the value itself."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return intcomma(value)
    if not isinstance(value, str):
        return value
    items = keywords(value)
    if items is None:
        return format_html('<code class="pattern">{}</code>', value)
    return format_html('<span class="keywords">{}</span>',
                       format_html_join("", '<span class="kw">「{}」</span>', ((item,) for item in items)))


@register.filter
def plain_label(label: str) -> str:
    """A parameter's label without “正则表达式” (the keywords are shown as a list; the setting
    form says how to write them)."""
    label = re.sub(r"（正则表达式）", "", label)
    return re.sub(r"（正则表达式[，、]", "（", label)


@register.filter
def is_code_pattern(value) -> bool:
    """Whether a value is a pattern over role or level codes, which users do not type in."""
    return code_names(value) is not None


@register.filter
def citations(basis: str) -> list[str]:
    """A flag's stored basis (the rule's citations joined by “；”) as one citation a line."""
    return re.split(r"；(?=《)", basis) if basis else []


@register.filter
def rule_text(text: str):
    """A rule's description as paragraphs: its file wraps lines anywhere (a line break inside a
    Chinese sentence must not become a space); a line opening with an enumeration “（1）”,
    “（一）” or “局限：” starts a new line; a rule code such as JS-FEST-004 is kept on one line."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    out = []
    for line in lines:
        if out and not re.match(r"（[0-9一二三四五六七八九十]+）|局限：|不计入：|注意", line):
            out[-1] += line
        else:
            out.append(line)
    html = "<br>".join(conditional_escape(line) for line in out)
    return mark_safe(RULE_CODE.sub(r'<span class="nowrap">\g<0></span>', html))  # not broken at a hyphen


RULE_CODE = re.compile(r"\bJS-[A-Z]+-[0-9]+\b")
