"""The roles a user may hold. Which role may do what is decided in ``orgs/scope.py`` only."""

from django.db import models


class RoleCode(models.TextChoices):
    ADMIN = "admin", "系统管理员"
    DIRECTOR = "director", "经审负责人"
    TEAM_LEAD = "team_lead", "审计组长"
    AUDITOR = "auditor", "审计员"
    AUDITEE_CONTACT = "auditee_contact", "被审计单位联络人"
    LEADER = "leader", "领导查阅"
