"""Page layout template tags, registered as builtins (settings ``TEMPLATES``): breadcrumbs.

A page puts its trail in base.html's ``breadcrumbs`` block::

    {% block breadcrumbs %}{% breadcrumbs %}
      {% crumb "screening:index" %}疑点筛查{% endcrumb %}
      {% crumb "screening:run" flag.run_id %}筛查 #{{ flag.run_id }}{% endcrumb %}
      {% crumb %}疑点{% endcrumb %}
    {% endbreadcrumbs %}{% endblock %}

``breadcrumbs`` renders ``<nav class="breadcrumb">`` starting at 门户; each ``crumb`` names a URL
(``url_name`` and its arguments, an optional ``query`` string, or ``href=`` a path the view has
checked) and its label is the tag's content; the last crumb without a URL is the current page. A crumb
links only to a page the user may open (``may_open``); otherwise its label is plain text.
"""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

HOME = ("portal:home", "门户")
SEPARATOR = mark_safe('<span class="sep" aria-hidden="true">/</span>')


def may_open(context, url_name: str, args) -> bool:
    """Whether the user may open the crumb's page. A section's index: the section is in the
    user's menu; a 综合管理 entry: it is among the user's entries; a unit page: the unit is in
    the user's view scope; 单位管理 and 用户管理: the user manages units. Any other page named in a
    trail is an ancestor of the page shown, opened under the same access (a run above its flag, a
    project above its workpaper), so the user reached it already."""
    from jingshen.admin_center.menu import ENTRIES, entries_for
    from jingshen.orgs import scope
    from jingshen.orgs.models import Org
    from jingshen.portal.menu import ACTIVITY_LOG, SECTIONS

    user = context.get("user") or getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return False
    if url_name in {s.url_name for s in (*SECTIONS, ACTIVITY_LOG)}:
        return url_name in {s.url_name for s in context.get("menu_sections", ())}
    if url_name in {e.url_name for e in ENTRIES}:
        return url_name in {e.url_name for e in entries_for(user)}
    if url_name == "orgs:detail":
        org = Org.objects.filter(code=args[0]).first() if args else None
        return org is not None and scope.can(user, scope.VIEW, org)
    if url_name in ("orgs:list", "user_list"):
        return scope.may(user, scope.MANAGE)
    return True


class CrumbNode(template.Node):
    def __init__(self, url_name, args, kwargs, nodelist):
        self.url_name, self.args, self.kwargs, self.nodelist = url_name, args, kwargs, nodelist

    def render(self, context):
        label = self.nodelist.render(context).strip()
        href = None
        if "href" in self.kwargs:
            href = self.kwargs["href"].resolve(context) or None
        elif self.url_name is not None:
            name = self.url_name.resolve(context)
            args = [a.resolve(context) for a in self.args]
            try:
                href = reverse(name, args=args) if may_open(context, name, args) else None
            except NoReverseMatch:
                href = None
            query = self.kwargs["query"].resolve(context) if "query" in self.kwargs else ""
            if href and query:
                href = f"{href}?{query}"
        # the separator is its own element, hidden from assistive technology, so that a crumb's
        # accessible name is its label alone (CSS generated content would be part of it)
        if href:
            return format_html('{}<a href="{}">{}</a>', SEPARATOR, href, label)
        return format_html("{}<span>{}</span>", SEPARATOR, label)


@register.tag
def crumb(parser, token):
    """``{% crumb [url_name arg …] [query=…] [href=…] %}label{% endcrumb %}``"""
    bits = token.split_contents()[1:]
    args, kwargs = [], {}
    for bit in bits:
        if "=" in bit and bit.split("=", 1)[0] in ("query", "href"):
            key, value = bit.split("=", 1)
            kwargs[key] = parser.compile_filter(value)
        else:
            args.append(parser.compile_filter(bit))
    nodelist = parser.parse(("endcrumb",))
    parser.delete_first_token()
    return CrumbNode(args[0] if args else None, args[1:], kwargs, nodelist)


class BreadcrumbsNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        home = format_html('<a href="{}">{}</a>', reverse(HOME[0]), HOME[1])
        trail = self.nodelist.render(context).strip()
        if trail.endswith("</span>"):  # the last crumb without a link is the page itself
            at = trail.rindex("<span>")
            trail = mark_safe(f'{trail[:at]}<span aria-current="page">{trail[at + 6:]}')
        return format_html('<nav class="breadcrumb" aria-label="当前位置">{}{}</nav>', home, trail)


@register.tag
def breadcrumbs(parser, token):
    """``{% breadcrumbs %}{% crumb … %}…{% endcrumb %}…{% endbreadcrumbs %}``: the trail from 门户."""
    nodelist = parser.parse(("endbreadcrumbs",))
    parser.delete_first_token()
    return BreadcrumbsNode(nodelist)
