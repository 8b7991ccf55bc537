from jingshen.portal.menu import sections_for


def menu(request):
    """The left menu, with the current section marked."""
    match = getattr(request, "resolver_match", None)
    current = "portal"
    if match is not None:
        current = getattr(match, "app_name", None) or "portal"
        current = {"orgs": "portal", "admin_center": "admin", "finance": "collect"}.get(current, current)
    return {"menu_sections": sections_for(request.user), "menu_current": current}
