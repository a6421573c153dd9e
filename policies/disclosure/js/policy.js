// Disclosure (D14 / F16; D20–22 / F24–26): every served response carries a
// notice that algorithmic recommendation is used, with the service's
// algorithm filing number and a link to its public filing page.
import { AppliesTo, Article, Decision, Finding, SURFACES } from "recguard";

export const name = "disclosure";
export const version = "0.2.0";
export const summary = "Tells users that algorithmic recommendation is used, with the filing number and link.";
export const articles = [Article.D14F16, Article.D22F26];
export const reads = ["surface"];

export const defaults = {
  // D14 / F16: tell users prominently that the service uses algorithmic recommendation.
  notice: "Recommendations here are made by an algorithm. You can switch personalised recommendations off in Settings.",
  // D21–22 / F25–26: the algorithm filing number issued to the service. Required.
  filingNumber: "",
  // D22 / F26: link to the public filing information. Required.
  filingLink: "",
  // Surfaces without a user-facing page (none by default).
  exemptSurfaces: [],
};

export function validate(settings) {
  if (settings.filingNumber.trim() === "") {
    return "filing-number is required: the algorithm filing number issued to this service (D22 / F26)";
  }
  if (!(settings.filingLink.startsWith("https://") || settings.filingLink.startsWith("http://"))) {
    return "filing-link is required: an http(s) link to the public filing information (D22 / F26)";
  }
  if (settings.notice.trim() === "") {
    return "notice must not be empty (D14 / F16)";
  }
  const unknown = settings.exemptSurfaces.find((s) => !SURFACES.includes(s));
  if (unknown !== undefined) {
    return `exempt-surfaces: unknown surface \`${unknown}\`, expected one of ${SURFACES.join(", ")}`;
  }
}

/** Every surface but the exempt ones. */
export function appliesTo(settings) {
  return AppliesTo.everyRequest().exceptOn(settings.exemptSurfaces);
}

export function evaluate(request, settings) {
  const decision = new Decision();
  if (settings.exemptSurfaces.includes(request.surface)) {
    return decision;
  }
  const text = `${settings.notice} Algorithm filing No. ${settings.filingNumber}`;
  const finding = new Finding("disclosure.algorithmic-recommendation", Article.D14F16, text).citing("D22 / F26 (filing number and link)");
  return decision.notice(finding, settings.filingLink);
}
