"""``restrict(user, action)`` for every model whose rows belong to a unit (the NetBox pattern):
lists are filtered to the units on which the user may perform the action, decided in
``orgs/scope.py``."""

from django.db import models

from jingshen.orgs import scope


class UnitQuerySet(models.QuerySet):
    # the path from a row to the unit it belongs to; a subclass names another
    unit_field = "org"

    def restrict(self, user, action: str = scope.VIEW):
        return scope.restrict(self, user, action, field=self.unit_field)

