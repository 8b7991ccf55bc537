"""The voucher page of 查账 shows here which key funds (重点资金) its voucher is tagged with, and
offers the tag form to those who audit the unit."""

from django import template

from jingshen.finance import access
from jingshen.finance.models import FundVoucher
from jingshen.orgs import scope

register = template.Library()


@register.inclusion_tag("finance/_voucher_funds.html", takes_context=True)
def voucher_funds(context, dataset, voucher):
    user = context["request"].user
    tags = list(FundVoucher.objects.filter(org=dataset.org, fiscal_year=dataset.fiscal_year, period=voucher.period,
                                           voucher_type=voucher.voucher_type, voucher_no=voucher.voucher_no)
                .select_related("fund", "tagged_by").order_by("fund__name"))
    may_tag = scope.can(user, scope.AUDIT, dataset.org)
    tagged = {t.fund_id for t in tags}
    funds = [f for f in access.funds_applying_to(dataset.org).filter(active=True).order_by("name") if f.pk not in tagged] if may_tag else []
    return {"dataset": dataset, "v": voucher, "tags": tags, "may_tag": may_tag, "funds": funds, "csrf_token": context.get("csrf_token")}
