"""``{% rule_knowledge code as kb %}``: the guides and standard wordings the reader sees that link
to a rule, for the rule catalogue (screening/rules.html). Computed once per request (two queries
for the whole catalogue), not once per rule."""

from django import template

from jingshen.knowledge.guides import related_to_rules

register = template.Library()


@register.simple_tag(takes_context=True)
def rule_knowledge(context, code: str):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    related = getattr(request, "_knowledge_by_rule", None)
    if related is None:
        related = request._knowledge_by_rule = related_to_rules(user)
    return related.get(code)
