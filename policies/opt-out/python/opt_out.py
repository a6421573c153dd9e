"""Switching personalisation off (D15 / F17). When the user has switched
personalised recommendation off, this very request is ranked without personal
signals: by the non-personal score, ties broken by id (never by the provider's
personalised order), and the user's tags are set aside. Items with a recorded
editorial pin keep their place: a recorded pin is an editorial decision, not a
personal characteristic."""

from recguard import AppliesTo, Article, Decision, Finding, total_order

NAME = "opt-out"
VERSION = "0.2.0"
SUMMARY = "When personalisation is off, ranks by a non-personal score and sets the user's tags aside, on the very request."
ARTICLES = [Article.D15F17]
READS = ["user.personalisation-off", "user.tags", "candidates.id", "candidates.non-personal-score", "candidates.operator-actions"]

DEFAULTS = {
    # D15 / F17 (an option not based on personal characteristics): tags are personal characteristics.
    "set_aside_tags": True,
}


def recorded_pin(candidate):
    """A pin by the provider's staff with a recorded reason: editorial, not personal."""
    return any(a["kind"] == "pin" and a["reason"] and a["reason"].strip() for a in candidate.operator_actions)


def applies_to(settings):
    """Only users who switched personalisation off."""
    return AppliesTo.every_request().when_personalisation_off()


def evaluate(request, settings):
    decision = Decision()
    if not request.user.personalisation_off:
        return decision
    finding = Finding(
        "opt-out.non-personalised",
        Article.D15F17,
        "You switched personalised recommendations off: this list is ranked by general popularity, not by your profile.",
    )
    # Pinned items keep their slots; the others fill the remaining slots by
    # non-personal score (in Rust's total order: -0.0 below 0.0), ties by id
    # (Python orders str by code point, as Rust orders its UTF-8 bytes).
    pinned = [recorded_pin(c) for c in request.candidates]
    free = iter(sorted(
        (c for c in request.candidates if not pinned[c.index]),
        key=lambda c: (-total_order(c.non_personal_score), c.id),
    ))
    order = [c if pinned[c.index] else next(free) for c in request.candidates]
    decision.rerank_non_personal(order, finding)
    if settings.set_aside_tags:
        for tag in request.user.tags:
            decision.set_aside_tag(tag.name, finding)
    return decision
