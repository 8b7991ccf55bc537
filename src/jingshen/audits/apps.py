from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "jingshen.audits"
    verbose_name = "审计作业"

    def ready(self):
        # confirmed findings of earlier audits raise a unit's risk in later rankings: scoring
        # reads them through this hook, so screening never imports the audits app
        from jingshen.audits import findings
        from jingshen.screening import scoring

        scoring.prior_findings = findings.findings_by_unit
