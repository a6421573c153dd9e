// Switching personalisation off (D15 / F17). When the user has switched
// personalised recommendation off, this very request is ranked without
// personal signals: by the non-personal score, ties broken by id (never by
// the provider's personalised order), and the user's tags are set aside.
// Items with a recorded editorial pin keep their place: a recorded pin is an
// editorial decision, not a personal characteristic.
import { AppliesTo, Article, Decision, Finding, compareIds, totalCmp } from "recguard";

export const name = "opt-out";
export const version = "0.2.0";
export const summary = "When personalisation is off, ranks by a non-personal score and sets the user's tags aside, on the very request.";
export const articles = [Article.D15F17];
export const reads = ["user.personalisation-off", "user.tags", "candidates.id", "candidates.non-personal-score", "candidates.operator-actions"];

export const defaults = {
  // D15 / F17 (an option not based on personal characteristics): tags are personal characteristics.
  setAsideTags: true,
};

/** A pin by the provider's staff with a recorded reason: editorial, not personal. */
function recordedPin(candidate) {
  return candidate.operatorActions.some((a) => a.kind === "pin" && a.reason !== undefined && a.reason.trim() !== "");
}

/** Only users who switched personalisation off. */
export function appliesTo() {
  return AppliesTo.everyRequest().whenPersonalisationOff();
}

export function evaluate(request, settings) {
  const decision = new Decision();
  if (!request.user.personalisationOff) {
    return decision;
  }
  const finding = new Finding(
    "opt-out.non-personalised",
    Article.D15F17,
    "You switched personalised recommendations off: this list is ranked by general popularity, not by your profile.",
  );
  // Pinned items keep their slots; the others fill the remaining slots by
  // non-personal score, ties by id.
  const pinned = request.candidates.map(recordedPin);
  const free = request.candidates
    .filter((c) => !pinned[c.index])
    .sort((a, b) => totalCmp(b.nonPersonalScore, a.nonPersonalScore) || compareIds(a.id, b.id));
  let next = 0;
  const order = request.candidates.map((c) => (pinned[c.index] ? c : free[next++]));
  decision.rerankNonPersonal(order, finding);
  if (settings.setAsideTags) {
    for (const tag of request.user.tags) {
      decision.setAsideTag(tag.name, finding);
    }
  }
  return decision;
}
