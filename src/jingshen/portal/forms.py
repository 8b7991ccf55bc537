"""The 门户's forms: the notice a publisher writes, and the query strings of its list pages
(bounded, closed choices; querystring.py)."""

from django import forms

from jingshen import querystring
from jingshen.orgs.models import Kind, Level
from jingshen.portal import dashboard, services

RISK_SORTS = [("-score", "风险分从高到低"), ("score", "风险分从低到高"), ("code", "单位编码"), ("-code", "单位编码（倒序）"),
              ("name", "单位名称"), ("-name", "单位名称（倒序）"), ("level", "层级"), ("-level", "层级（倒序）"),
              ("flags", "疑点数"), ("-flags", "疑点数（倒序）"), ("high", "高风险疑点"), ("-high", "高风险疑点（倒序）"),
              ("amount", "涉及金额"), ("-amount", "涉及金额（倒序）"), ("finished", "筛查完成时间"), ("-finished", "筛查完成时间（倒序）")]
NEVER_SORTS = [("code", "单位编码"), ("-code", "单位编码（倒序）"), ("name", "单位名称"), ("-name", "单位名称（倒序）"),
               ("level", "层级"), ("-level", "层级（倒序）"), ("last", "最近审计年度"), ("-last", "最近审计年度（倒序）")]
SINCE_CHOICES = [("1", "近 1 年未审计"), ("3", "近 3 年未审计"), ("5", "近 5 年未审计")]
NOTICE_BOXES = [("received", "收到的通知"), ("published", "本单位发布的通知")]


class RiskQuery(querystring.ExportForm):
    level = querystring.choice("层级", Level.choices)
    kind = querystring.choice("单位性质", Kind.choices)
    band = querystring.choice("风险档次", dashboard.BANDS)
    q = querystring.text("单位名称或编码", max_length=50)
    sort = querystring.choice("排序", RISK_SORTS, default="-score")
    page = querystring.page()


class NeverAuditedQuery(querystring.ExportForm):
    level = querystring.choice("层级", Level.choices)
    kind = querystring.choice("单位性质", Kind.choices)
    q = querystring.text("单位名称或编码", max_length=50)
    since = querystring.choice("范围", SINCE_CHOICES)  # empty: never audited
    sort = querystring.choice("排序", NEVER_SORTS, default="code")
    page = querystring.page()


class NoticeQuery(querystring.QueryForm):
    box = querystring.choice("通知", NOTICE_BOXES, default="received")
    page = querystring.page()


class NoticeForm(forms.Form):
    title = forms.CharField(label="标题", max_length=services.TITLE_MAX,
                            error_messages={"required": "请填写标题。", "max_length": f"标题不能超过 {services.TITLE_MAX} 个字。"})
    body = forms.CharField(label="正文", max_length=services.BODY_MAX, widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
                           help_text="纯文本，按原样显示（换行保留，不支持 HTML 格式）。",
                           error_messages={"required": "请填写正文。", "max_length": f"正文不能超过 {services.BODY_MAX:,} 个字。"})
    pinned = forms.BooleanField(label="置顶", required=False)
