"""The company's corporate design, editable in the back office without code."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a hex colour like #1d4ed8."))

DEFAULT_FONT_STACK = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'


@register_setting(icon="pick")
class BrandSettings(BaseSiteSetting):
    """Name, logo, colours, fonts and legal links of the portal's brand, applied as CSS custom properties."""

    name = models.CharField(_("brand name"), max_length=80, default="Community")
    logo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("logo"),
    )
    primary_colour = models.CharField(_("primary colour"), max_length=7, default="#1d4ed8", validators=[colour])
    secondary_colour = models.CharField(_("secondary colour"), max_length=7, default="#0f172a", validators=[colour])
    accent_colour = models.CharField(_("accent colour"), max_length=7, default="#b45309", validators=[colour])
    font_stack = models.CharField(
        _("font stack"),
        max_length=200,
        default=DEFAULT_FONT_STACK,
        validators=[RegexValidator(r'^[\w\s,"\'-]+$', _("Only font names, quotes, commas and hyphens."))],
    )
    footer_text = models.CharField(_("footer text"), max_length=300, blank=True)
    imprint_url = models.CharField(_("imprint link"), max_length=300, blank=True)
    privacy_policy_url = models.CharField(_("privacy policy link"), max_length=300, blank=True)

    panels = [
        MultiFieldPanel([FieldPanel("name"), FieldPanel("logo")], heading=_("Identity")),
        MultiFieldPanel(
            [
                FieldPanel("primary_colour"),
                FieldPanel("secondary_colour"),
                FieldPanel("accent_colour"),
                FieldPanel("font_stack"),
            ],
            heading=_("Design"),
        ),
        MultiFieldPanel(
            [FieldPanel("footer_text"), FieldPanel("imprint_url"), FieldPanel("privacy_policy_url")],
            heading=_("Footer"),
        ),
    ]

    class Meta:
        verbose_name = _("brand")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        from theme.selectors import brand_cache_clear

        brand_cache_clear()

    def css_variables(self) -> dict[str, str]:
        return {
            "--brand-primary": self.primary_colour,
            "--brand-secondary": self.secondary_colour,
            "--brand-accent": self.accent_colour,
            "--brand-font": self.font_stack,
        }
