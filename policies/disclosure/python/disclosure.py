"""Disclosure (D14 / F16; D20–22 / F24–26): every served response carries a
notice that algorithmic recommendation is used, with the service's algorithm
filing number and a link to its public filing page."""

from recguard import SURFACES, AppliesTo, Article, Decision, Finding

NAME = "disclosure"
VERSION = "0.2.0"
SUMMARY = "Tells users that algorithmic recommendation is used, with the filing number and link."
ARTICLES = [Article.D14F16, Article.D22F26]
READS = ["surface"]

DEFAULTS = {
    # D14 / F16: tell users prominently that the service uses algorithmic recommendation.
    "notice": "Recommendations here are made by an algorithm. You can switch personalised recommendations off in Settings.",
    # D21–22 / F25–26: the algorithm filing number issued to the service. Required.
    "filing_number": "",
    # D22 / F26: link to the public filing information. Required.
    "filing_link": "",
    # Surfaces without a user-facing page (none by default).
    "exempt_surfaces": [],
}


def validate(settings):
    if not settings.filing_number.strip():
        return "filing-number is required: the algorithm filing number issued to this service (D22 / F26)"
    if not settings.filing_link.startswith(("https://", "http://")):
        return "filing-link is required: an http(s) link to the public filing information (D22 / F26)"
    if not settings.notice.strip():
        return "notice must not be empty (D14 / F16)"
    unknown = [s for s in settings.exempt_surfaces if s not in SURFACES]
    if unknown:
        return f"exempt-surfaces: unknown surface `{unknown[0]}`, expected one of {', '.join(SURFACES)}"
    return None


def applies_to(settings):
    """Every surface but the exempt ones."""
    return AppliesTo.every_request().except_on(settings.exempt_surfaces)


def evaluate(request, settings):
    decision = Decision()
    if request.surface in settings.exempt_surfaces:
        return decision
    text = f"{settings.notice} Algorithm filing No. {settings.filing_number}"
    finding = Finding("disclosure.algorithmic-recommendation", Article.D14F16, text).citing("D22 / F26 (filing number and link)")
    return decision.notice(finding, settings.filing_link)
