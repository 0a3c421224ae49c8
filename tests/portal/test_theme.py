"""The brand setting styles every page; the base template is accessible."""

import re

import pytest
from wagtail.models import Site

from theme.models import BrandSettings

pytestmark = pytest.mark.django_db


def test_brand_colours_and_font_are_rendered_as_css_custom_properties(client, home_page):
    """Changing the brand in the back office changes the page without code."""
    brand = BrandSettings.for_site(Site.objects.get(is_default_site=True))
    brand.primary_colour = "#aa0011"
    brand.accent_colour = "#123456"
    brand.font_stack = '"Fira Sans", sans-serif'
    brand.name = "Beispiel AG"
    brand.save()
    html = client.get("/").content.decode()
    assert "--brand-primary: #aa0011;" in html
    assert "--brand-accent: #123456;" in html
    assert '--brand-font: "Fira Sans", sans-serif;' in html
    assert "Beispiel AG" in html


def test_css_injection_through_the_brand_is_neutralised(client, home_page):
    """Even a value that bypassed validation cannot leave the style declaration."""
    brand = BrandSettings.for_site(Site.objects.get(is_default_site=True))
    BrandSettings.objects.filter(pk=brand.pk).update(font_stack="x;}</style><script>alert(1)</script>")
    html = client.get("/").content.decode()
    assert "<script>alert(1)" not in html
    style = re.search(r"<style nonce=\"[^\"]+\">(.*?)</style>", html, re.S).group(1)
    assert "}" in style and style.count("}") == 1


def test_brand_validation_rejects_bad_colours():
    from django.core.exceptions import ValidationError

    brand = BrandSettings(site=Site.objects.first(), primary_colour="red")
    with pytest.raises(ValidationError):
        brand.full_clean()


def test_base_template_landmarks_and_navigation(client, home_page):
    """Skip link, landmarks, the six areas of the portal and the language switcher."""
    html = client.get("/").content.decode()
    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html
    assert 'role="banner"' in html and 'role="contentinfo"' in html
    for path in ("/forums/", "/ideas/", "/blog/", "/kb/", "/chat/", "/privacy/"):
        assert f'href="{path}"' in html
    assert 'name="language" value="de"' in html and 'name="language" value="en"' in html
    assert '<html lang="en">' in html


def test_footer_shows_legal_links(client, home_page):
    html = client.get("/").content.decode()
    assert 'href="/imprint/"' in html
    assert "© Acme GmbH" in html


def test_default_palette_meets_wcag_aa_contrast():
    """White text on the brand colours and the colours on white reach 4.5:1."""

    def luminance(hex_colour):
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a, b):
        la, lb = sorted((luminance(a), luminance(b)), reverse=True)
        return (la + 0.05) / (lb + 0.05)

    defaults = BrandSettings()
    for colour in (defaults.primary_colour, defaults.secondary_colour, defaults.accent_colour):
        assert contrast(colour, "#ffffff") >= 4.5, colour
