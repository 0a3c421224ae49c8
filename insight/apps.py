from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    """Aggregates, mood and topics of what members write, without profiling anyone."""

    name = "insight"
    verbose_name = _("Insight")
