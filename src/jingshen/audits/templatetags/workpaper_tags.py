"""The project page's 工作底稿 section asks here whether the user sees the workpapers."""

from django import template

from jingshen.audits import workpapers

register = template.Library()


@register.simple_tag
def workpapers_visible(user, project) -> bool:
    return workpapers.may_view(user, project)


@register.simple_tag
def workpaper_count(project) -> int:
    return project.workpapers.count()
