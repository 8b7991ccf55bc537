from jingshen.portal.menu import sections_for

# The menu section of each URL namespace whose name is not a section key (portal/menu.py).
NAMESPACE_SECTIONS = {"books": "ledger", "orgs": "portal", "admin_center": "admin", "finance": "collect", "collection": "collect", "apikeys": "admin"}
# Pages of a namespace that belong to another section: 单位管理 and 用户管理 are in 综合管理.
URL_SECTIONS = {
    ("orgs", "list"): "admin", ("orgs", "edit"): "admin", ("orgs", "new"): "admin", ("orgs", "import"): "admin",
    ("", "user_list"): "admin", ("", "user_create"): "admin", ("", "user_detail"): "admin", ("", "user_edit"): "admin",
}


def current_section(match) -> str:
    """The key of the menu section a resolved URL belongs to (``portal`` when none)."""
    if match is None:
        return "portal"
    namespace = match.namespace or ""
    if (namespace, match.url_name) in URL_SECTIONS:
        return URL_SECTIONS[(namespace, match.url_name)]
    return NAMESPACE_SECTIONS.get(namespace, namespace or "portal")


def menu(request):
    """The left menu, with the current section marked (decided here only, from the URL)."""
    return {"menu_sections": sections_for(request.user),
            "menu_current": current_section(getattr(request, "resolver_match", None))}
