"""Values every page template needs."""

from __future__ import annotations

from django.http import HttpRequest

SITE = {
    "site_title": "Compte Formation",
    "site_tagline": "Vos droits à la formation, les formations certifiantes près de chez vous",
}


def site(request: HttpRequest) -> dict[str, object]:
    """The site's name for the header and titles. Kept in code rather than in the database:
    no query on every page."""
    return {"SITE_CONFIG": SITE}
