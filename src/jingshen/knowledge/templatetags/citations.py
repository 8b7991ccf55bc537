"""``{{ c|citation }}``: a citation as HTML (knowledge.citations.as_html) — a link to the cited
article, or marked 未收录 / 未指明条款."""

from django import template

from jingshen.knowledge import citations

register = template.Library()


@register.filter
def citation(c):
    return citations.as_html(c)
