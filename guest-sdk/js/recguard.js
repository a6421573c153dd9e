// recguard's JavaScript SDK: write a policy as a module that exports its
// description, its settings' defaults and one `evaluate`.
//
//   import { Article, Decision, Finding } from "recguard";
//   export const name = "topic-filter";
//   export const version = "0.1.0";
//   export const summary = "Drops candidates on a blocked topic.";
//   export const articles = [Article.D10F10];
//   export const reads = ["candidates.topics"];
//   export const defaults = { blockedTopics: ["gambling"] };
//   export function evaluate(request, settings) {
//     const decision = new Decision();
//     const finding = new Finding("topic-filter.blocked", Article.D10F10, "Blocked topic.");
//     for (const c of request.candidates) if (c.topics.some(t => settings.blockedTopics.includes(t))) decision.drop(c, finding);
//     return decision;
//   }
//
// The same concepts as the Rust SDK (`recguard-sdk`): settings are JSON with
// defaults (kebab-case keys in JSON, camelCase here), checked once when the
// policy loads and handed to every evaluation already decoded; every effect
// cites a finding, every finding an article; candidates are views over the
// request's columns, and decisions name them by index; time comes only from
// the request (`localTime`). `recguard build` stages this file as the module
// `recguard` beside the policy and exports the policy through `exportPolicy`.
//
// Ambient APIs that would make a decision depend on anything but the request
// are refused with a clear error (a thrown `RecguardError`, which the host
// reports as the policy's error): `Date.now()`, `new Date()` without an
// argument, `Math.random()`. `console.*` goes to the host's log (the trace).
// Numbers: every u64 of the contract is a JavaScript `number` here, whichever
// engine built the component (QuickJS passes numbers, StarlingMonkey BigInts);
// exact up to 2^53 (ms timestamps, fen amounts and counts all fit). A 64-bit
// `similarityKey` above 2^53 loses its low bits in QuickJS, before the SDK
// sees it.

import { log } from "recguard:policy/host@0.3.0";

// ------------------------------------------------------------------ errors

/** An error a policy raises on purpose; its message becomes the policy's error. */
export class RecguardError extends Error {
  constructor(message) {
    super(message);
    this.name = "RecguardError";
  }
}

// ---------------------------------------------------------------- ambient

function refuse(what, instead) {
  return function () {
    throw new RecguardError(`${what} is not available in a policy: ${instead}`);
  };
}

const NativeDate = Date;
/** `Date` without the clock: `new Date(ms)` works, `new Date()` and `Date.now()` are refused. */
function PolicyDate(...args) {
  if (!new.target) {
    throw new RecguardError("Date() is not available in a policy: the time is the request's (request.nowMs, localTime(request))");
  }
  if (args.length === 0) {
    throw new RecguardError("new Date() is not available in a policy: the time is the request's (new Date(request.nowMs), or localTime(request))");
  }
  return Reflect.construct(NativeDate, args, new.target);
}
PolicyDate.prototype = NativeDate.prototype;
PolicyDate.UTC = NativeDate.UTC;
PolicyDate.parse = NativeDate.parse;
PolicyDate.now = refuse("Date.now()", "the time is the request's (request.nowMs)");
globalThis.Date = PolicyDate;
Math.random = refuse("Math.random()", "decisions must be replayable; derive any choice from the request (e.g. a hash of its id)");

function logLine(level) {
  return (...parts) => log(level, parts.map((p) => (typeof p === "string" ? p : safeJson(p))).join(" "));
}
function safeJson(value) {
  try {
    return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? Number(v) : v));
  } catch (e) {
    return String(value);
  }
}
globalThis.console = {
  log: logLine("info"),
  info: logLine("info"),
  debug: logLine("debug"),
  warn: logLine("warn"),
  error: logLine("warn"),
};

// ---------------------------------------------------------------- articles

function article(draft, final) {
  return Object.freeze({ draft, final, toString: () => (draft === undefined ? `F${final}` : `D${draft} / F${final}`) });
}

/** The articles of the provisions, draft (2021) and final (2022) numbers, as in the Rust SDK. */
export const Article = Object.freeze({
  D8F8: article(8, 8),
  D9F9: article(9, 9),
  D10F10: article(10, 10),
  D11F11: article(11, 11),
  D12F12: article(12, 12),
  D13F14: article(13, 14),
  D13F15: article(13, 15),
  D14F16: article(14, 16),
  D15F17: article(15, 17),
  D16F18: article(16, 18),
  F19: article(undefined, 19),
  D17F20: article(17, 20),
  D18F21: article(18, 21),
  D22F26: article(22, 26),
  D26F22: article(26, 22),
});

/** The surfaces, as the contract names them. */
export const SURFACES = Object.freeze(["feed", "hot-list", "hot-search", "search", "push", "pop-up", "home-first-screen", "curated-picks", "dispatch", "other"]);

/** The age bands, as the contract names them. */
export const AGE_BANDS = Object.freeze(["unknown", "under8", "from8to12", "from12to16", "from16to18", "adult", "elderly"]);

/**
 * The requests on which a policy can decide anything, given its settings
 * (`applies-to` in the WIT): a chain skips the policy on any other. Export
 * `appliesTo(settings)` from the policy module to narrow it (the default is
 * every request); each call narrows further. On a request outside it,
 * `evaluate` must decide nothing.
 */
export class AppliesTo {
  constructor() {
    this.surfaces = undefined;
    this.ageBands = undefined;
    this.minorsMode = false;
    this.personalisationOff = false;
    this.requires = [];
  }

  /** Every request: the policy always runs. */
  static everyRequest() {
    return new AppliesTo();
  }

  /** Only on these surfaces (by their WIT names, e.g. "dispatch"). */
  onSurfaces(surfaces) {
    const unknown = surfaces.find((s) => !SURFACES.includes(s));
    if (unknown !== undefined) throw new RecguardError(`appliesTo: unknown surface \`${unknown}\``);
    this.surfaces = [...surfaces];
    return this;
  }

  /** Only on every surface but these. */
  exceptOn(surfaces) {
    return this.onSurfaces(SURFACES.filter((s) => !surfaces.includes(s)));
  }

  /** Only for users in these age bands (by their WIT names, e.g. "elderly"). */
  forAgeBands(bands) {
    const unknown = bands.find((b) => !AGE_BANDS.includes(b));
    if (unknown !== undefined) throw new RecguardError(`appliesTo: unknown age band \`${unknown}\``);
    this.ageBands = [...bands];
    return this;
  }

  /** With forAgeBands: also for a user in minors mode, whatever the age band. */
  orMinorsMode() {
    this.minorsMode = true;
    return this;
  }

  /** Only for users who switched personalised recommendation off. */
  whenPersonalisationOff() {
    this.personalisationOff = true;
    return this;
  }

  /** Only when the field at `path` (one the policy reads) is not empty, e.g. "user.tags". */
  requiring(path) {
    this.requires.push(path);
    return this;
  }

  /** The contract's form. */
  toWit() {
    return {
      surfaces: this.surfaces,
      ageBands: this.ageBands,
      orMinorsMode: this.minorsMode,
      personalisationOff: this.personalisationOff,
      requires: this.requires,
    };
  }
}

// ---------------------------------------------------------------- decisions

/** Something a policy found and acted on: a stable code, an article, a message the user can read. */
export class Finding {
  constructor(code, article, message) {
    if (!article || article.final === undefined) throw new RecguardError(`finding ${code}: cite an Article (e.g. Article.D16F18)`);
    this.code = code;
    this.article = article;
    this.instrument = undefined;
    this.message = message;
  }
  /** Also cites another instrument, e.g. "CAC minors-mode guideline (2024)". */
  citing(instrument) {
    this.instrument = instrument;
    return this;
  }
  key() {
    return `${this.code}\u0000${this.article.draft}\u0000${this.article.final}\u0000${this.instrument}\u0000${this.message}`;
  }
}

/** The candidates' indices, from an array (by a plain loop) or any iterable. */
function indices(candidates) {
  if (!Array.isArray(candidates)) return Array.from(candidates, (c) => c.index);
  const order = new Array(candidates.length);
  for (let i = 0; i < candidates.length; i++) order[i] = candidates[i].index;
  return order;
}

/** Past this many findings, a decision finds them by key in a Map. */
const MANY_FINDINGS = 8;

/** What a policy decides about one request; every effect cites a finding. */
export class Decision {
  constructor() {
    this.findings = [];
    this.actions = [];
    this.rerankOrder = undefined;
    this.notices = [];
    this.blocked = undefined;
    this.tagsSetAside = [];
    // Finding keys to indices, made once a decision has many findings.
    this.findingIndex = undefined;
  }
  /** Records a finding once, however often it is cited; returns its index. */
  record(finding) {
    const findings = this.findings;
    if (this.findingIndex === undefined) {
      // Few findings (the usual case): the same object, or an equal one, by a scan.
      for (let i = 0; i < findings.length; i++) {
        if (findings[i] === finding) return i;
      }
      const key = finding.key();
      for (let i = 0; i < findings.length; i++) {
        if (findings[i].key() === key) return i;
      }
      findings.push(finding);
      if (findings.length === MANY_FINDINGS) this.findingIndex = new Map(findings.map((f, i) => [f.key(), i]));
      return findings.length - 1;
    }
    const key = finding.key();
    let index = this.findingIndex.get(key);
    if (index === undefined) {
      index = findings.length;
      findings.push(finding);
      this.findingIndex.set(key, index);
    }
    return index;
  }
  act(candidate, action, finding) {
    this.actions.push({ candidate: candidate.index, action, finding: this.record(finding) });
    return this;
  }
  /** Removes the candidate from the response. */
  drop(candidate, finding) {
    return this.act(candidate, { tag: "drop" }, finding);
  }
  /** Attaches a visible label to the candidate. */
  label(candidate, label, finding) {
    return this.act(candidate, { tag: "label", val: String(label) }, finding);
  }
  /** Moves the candidate by `places` (positive: towards the top). */
  moveBy(candidate, places, finding) {
    return this.act(candidate, { tag: "move-by", val: places | 0 }, finding);
  }
  /** Serves the candidate at `priceFen` (0.01 CNY). */
  reprice(candidate, priceFen, finding) {
    return this.act(candidate, { tag: "reprice", val: u64(priceFen) }, finding);
  }
  /** A new order: these candidates first, best first; the rest keep their order after them. */
  rerank(candidates, finding) {
    this.rerankOrder = { finding: this.record(finding), order: indices(candidates), nonPersonal: false };
    return this;
  }
  /** As `rerank`, declaring that the order uses no personal data. */
  rerankNonPersonal(candidates, finding) {
    this.rerank(candidates, finding);
    this.rerankOrder.nonPersonal = true;
    return this;
  }
  /** A notice shown with the response; its text is the finding's message. */
  notice(finding, link) {
    this.notices.push({ finding: this.record(finding), text: finding.message, link: link ?? undefined });
    return this;
  }
  /** Refuses to serve the request; the reason is the finding's message. */
  block(finding, retryAtMs) {
    this.blocked = { finding: this.record(finding), reason: finding.message, retryAtMs: retryAtMs === undefined ? undefined : u64(retryAtMs) };
    return this;
  }
  /** A user tag no later policy may use for this request. */
  setAsideTag(tag, finding) {
    this.tagsSetAside.push({ tag: String(tag), finding: this.record(finding) });
    return this;
  }
  /** The decision as the contract carries it. */
  toWit() {
    return {
      findings: this.findings.map((f) => ({
        code: f.code,
        citation: { draftArticle: f.article.draft, finalArticle: f.article.final, instrument: f.instrument },
        message: f.message,
      })),
      actions: this.actions,
      rerank: this.rerankOrder,
      notices: this.notices,
      block: this.blocked,
      tagsSetAside: this.tagsSetAside,
    };
  }
}

// ---------------------------------------------------------------- numbers

// Whether this engine passes u64 as BigInt (StarlingMonkey) or number (QuickJS);
// set from the first request.
let bigU64 = false;
function u64(value) {
  return bigU64 ? BigInt(Math.trunc(Number(value))) : Math.trunc(Number(value));
}
function num(value) {
  return typeof value === "bigint" ? Number(value) : value;
}

const SURROGATE = /[\ud800-\udfff]/;

/** Orders ids as the host and the Rust SDK do: by their UTF-8 bytes (code points), not UTF-16 units. */
export function compareIds(a, b) {
  if (a === b) return 0;
  // Without surrogates, UTF-16 order is code point order: the engine compares natively.
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(i);
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Orders numbers as Rust's `f64::total_cmp`: -0 before +0, NaN after everything. */
export function totalCmp(a, b) {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) {
    if (a !== 0) return 0;
    const na = Object.is(a, -0);
    const nb = Object.is(b, -0);
    return na === nb ? 0 : na ? -1 : 1;
  }
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  return an === bn ? 0 : an ? 1 : -1;
}

// ---------------------------------------------------------------- text

/** UTF-8 bytes of a string (QuickJS has no TextEncoder). */
export function utf8Encode(text) {
  const out = [];
  for (const ch of text) {
    const c = ch.codePointAt(0);
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}

/** The string of UTF-8 bytes. */
export function utf8Decode(bytes) {
  let ascii = true;
  for (let i = 0; i < bytes.length && ascii; i++) ascii = bytes[i] < 0x80;
  if (ascii) return String.fromCharCode.apply(null, Array.from(bytes));
  let out = "";
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    let c;
    if (b < 0x80) (c = b), (i += 1);
    else if (b < 0xe0) (c = ((b & 31) << 6) | (bytes[i + 1] & 63)), (i += 2);
    else if (b < 0xf0) (c = ((b & 15) << 12) | ((bytes[i + 1] & 63) << 6) | (bytes[i + 2] & 63)), (i += 3);
    else (c = ((b & 7) << 18) | ((bytes[i + 1] & 63) << 12) | ((bytes[i + 2] & 63) << 6) | (bytes[i + 3] & 63)), (i += 4);
    out += String.fromCodePoint(c);
  }
  return out;
}

/**
 * A `strings` column: string i is bytes ends[i-1]..ends[i] of text. Offsets
 * (`ends`, here and in nested lists) are u32: a number in every engine, unlike a u64.
 */
class Strings {
  constructor(raw) {
    this.text = raw ? raw.text : "";
    this.ends = raw ? raw.ends : [];
    // UTF-8 is longer than UTF-16 for any text that is not ASCII, so the
    // text is ASCII exactly when its last byte offset is its length: byte
    // offsets are then character offsets. Otherwise map each string's byte
    // end to its UTF-16 index, once.
    const byteLength = this.ends.length === 0 ? 0 : this.ends[this.ends.length - 1];
    if (byteLength !== this.text.length) {
      const byteToUnit = new Map([[0, 0]]);
      let bytes = 0;
      let units = 0;
      for (const ch of this.text) {
        const c = ch.codePointAt(0);
        bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        units += c > 0xffff ? 2 : 1;
        byteToUnit.set(bytes, units);
      }
      this.ends = Array.from(this.ends, (end) => byteToUnit.get(end));
    }
  }
  get length() {
    return this.ends.length;
  }
  get(i) {
    return this.text.slice(i === 0 ? 0 : this.ends[i - 1], this.ends[i]);
  }
  slice(from, to) {
    const out = [];
    for (let i = from; i < to; i++) out.push(this.get(i));
    return out;
  }
  all() {
    return this.slice(0, this.length);
  }
}

/** The empty list every view returns when it has nothing to show (frozen: views are read-only). */
const NONE = Object.freeze([]);

// ---------------------------------------------------------------- request

/**
 * One candidate: a view over entry `index` of the request's columns. Views
 * come from `request.candidates`, made by `Candidate.all`.
 *
 * Fields: `index` (the candidate's position in the list the policy received),
 * `kind` ("article", "video", "product", …), `score` (the provider's, possibly
 * personalised, ranking score) and `nonPersonalScore` (a score that uses no
 * personal characteristics). They are fields, not getters, because QuickJS
 * calls a getter about ten times slower than it reads a field and a sort reads
 * them often; everything else is a getter, decoded when asked for.
 */
export class Candidate {
  /**
   * The views of all `count` candidates. What they share (the columns, and
   * the values of columns the policy did not declare) sits once on a
   * prototype made for this request, so that each view holds only its index
   * and the values of the columns the policy reads.
   */
  static all(columns, count) {
    const shared = Object.create(Candidate.prototype);
    shared.columns = columns;
    shared.kind = "article";
    shared.score = 0;
    shared.nonPersonalScore = 0;
    const { kind, score, nonPersonalScore } = columns;
    const views = new Array(count);
    for (let i = 0; i < count; i++) {
      const view = { __proto__: shared, index: i };
      if (kind) view.kind = kind[i];
      if (score) view.score = score[i];
      if (nonPersonalScore) view.nonPersonalScore = nonPersonalScore[i];
      views[i] = view;
    }
    return views;
  }
  get id() {
    return this.columns.id.get(this.index);
  }
  get author() {
    return this.columns.author.get(this.index);
  }
  get topics() {
    return this.columns.list("topics", this.index);
  }
  get riskTags() {
    return this.columns.list("riskTags", this.index);
  }
  get labels() {
    return this.columns.list("labels", this.index);
  }
  get flags() {
    return this.columns.raw.flags ? this.columns.raw.flags[this.index] : {};
  }
  get firstParty() {
    return Boolean(this.flags.firstParty);
  }
  /** Synthetic-content signals, or undefined when none were gathered. */
  get synthetic() {
    const f = this.flags;
    if (!f.synthetic) return undefined;
    const scores = this.columns.raw.detectorScore;
    return {
      metadataLabel: Boolean(f.syntheticMetadataLabel),
      uploaderDeclared: Boolean(f.syntheticUploaderDeclared),
      labelStripped: Boolean(f.syntheticLabelStripped),
      detectorScore: f.detectorScore && scores ? scores[this.index] : undefined,
    };
  }
  /** Engagement behind the rank, or undefined. */
  get engagement() {
    const e = this.columns.raw.engagement;
    if (!e || !this.flags.engagement) return undefined;
    const i = this.index;
    return {
      views: num(e.views[i]),
      likes: num(e.likes[i]),
      comments: num(e.comments[i]),
      shares: num(e.shares[i]),
      lowReputationShare: e.lowReputationShare[i],
      velocityPerHour: e.velocityPerHour[i],
      baselinePerHour: e.baselinePerHour[i],
    };
  }
  /** Manual interventions: { kind: "pin" | "boost" | "demote", operator, reason (undefined if none recorded) }. */
  get operatorActions() {
    const a = this.columns.raw.operatorActions;
    if (!a) return NONE;
    const from = this.index === 0 ? 0 : a.ends[this.index - 1];
    const to = a.ends[this.index];
    if (from === to) return NONE;
    const operators = this.columns.strings("operatorActions.operator", a.operator);
    const reasons = this.columns.strings("operatorActions.reason", a.reason);
    const out = [];
    for (let j = from; j < to; j++) {
      const reason = reasons.get(j);
      out.push({ kind: a.kind[j], operator: operators.get(j), reason: reason === "" ? undefined : reason });
    }
    return out;
  }
  get contentHash() {
    return this.flags.contentHash ? this.columns.strings("contentHash", this.columns.raw.contentHash).get(this.index) : undefined;
  }
  get similarityKey() {
    const keys = this.columns.raw.similarityKey;
    return this.flags.similarityKey && keys ? num(keys[this.index]) : undefined;
  }
  /** The price quote, or undefined. */
  get price() {
    const p = this.columns.raw.price;
    if (!p || !this.flags.price) return undefined;
    return {
      amountFen: num(p.amountFen[this.index]),
      referenceFen: num(p.referenceFen[this.index]),
      cohort: this.columns.strings("price.cohort", p.cohort).get(this.index),
      personalised: Boolean(this.flags.pricePersonalised),
    };
  }
  /** Work-order terms, or undefined. */
  get delivery() {
    const d = this.columns.raw.delivery;
    if (!d || !this.flags.delivery) return undefined;
    return { promisedMinutes: num(d.promisedMinutes[this.index]), safeBaselineMinutes: num(d.safeBaselineMinutes[this.index]) };
  }
  /** Free-form attributes as [key, value] pairs. */
  get attributes() {
    const a = this.columns.raw.attributes;
    if (!a) return NONE;
    const from = this.index === 0 ? 0 : a.ends[this.index - 1];
    const to = a.ends[this.index];
    if (from === to) return NONE;
    const keys = this.columns.strings("attributes.key", a.key);
    const values = this.columns.strings("attributes.value", a.value);
    const out = [];
    for (let j = from; j < to; j++) out.push([keys.get(j), values.get(j)]);
    return out;
  }
  /** The value of one attribute, or undefined. */
  attribute(key) {
    const found = this.attributes.find(([k]) => k === key);
    return found ? found[1] : undefined;
  }
}

class Columns {
  constructor(raw) {
    this.raw = raw;
    this.cache = new Map();
    this.id = this.strings("id", raw.id);
    this.author = this.strings("author", raw.author);
    this.kind = raw.kind;
    this.score = raw.score;
    this.nonPersonalScore = raw.nonPersonalScore;
  }
  strings(name, raw) {
    let column = this.cache.get(name);
    if (!column) {
      column = new Strings(raw);
      this.cache.set(name, column);
    }
    return column;
  }
  list(name, index) {
    const raw = this.raw[name];
    if (!raw) return NONE;
    const from = index === 0 ? 0 : raw.ends[index - 1];
    const to = raw.ends[index];
    return from === to ? NONE : this.strings(name, raw.items).slice(from, to);
  }
}

/** The user: plain values and lists, decoded from the request's columns. */
function userView(raw) {
  const tags = raw.tags;
  const tagNames = new Strings(tags ? tags.name : undefined);
  const usage = raw.usage;
  const topics = usage.sessionTopics;
  const topicNames = new Strings(topics ? topics.topic : undefined);
  const notInterested = raw.notInterested;
  const values = new Strings(notInterested ? notInterested.value : undefined);
  return {
    id: raw.id,
    ageBand: raw.ageBand,
    identityVerified: raw.identityVerified,
    minorsMode: raw.minorsMode,
    personalisationOff: raw.personalisationOff,
    tags: tags ? tagNames.all().map((name, i) => ({ name, source: tags.source[i], deletedByUser: tags.deletedByUser[i] })) : [],
    usage: {
      minutesToday: num(usage.minutesToday),
      continuousMinutes: num(usage.continuousMinutes),
      itemsThisSession: num(usage.itemsThisSession),
      sessionTopics: topics ? topicNames.all().map((topic, i) => ({ topic, items: num(topics.items[i]) })) : [],
      spentThisMonthFen: num(usage.spentThisMonthFen),
    },
    guardianExemptions: (raw.guardianExemptions || []).map((e) => ({
      scope: e.scope,
      expiresAtMs: e.expiresAtMs == null ? undefined : num(e.expiresAtMs),
    })),
    notInterested: notInterested ? values.all().map((value, i) => ({ target: notInterested.target[i], value })) : [],
  };
}

/** One request, as a policy sees it: fields it did not declare in `reads` are empty. */
export class Request {
  constructor(raw) {
    bigU64 = typeof raw.nowMs === "bigint";
    this.raw = raw;
    this.id = raw.id;
    this.nowMs = num(raw.nowMs);
    this.utcOffsetMinutes = raw.utcOffsetMinutes;
    this.surface = raw.surface;
  }
  /** The user (decoded on first use). */
  get user() {
    const user = userView(this.raw.user);
    Object.defineProperty(this, "user", { value: user });
    return user;
  }
  /** The candidates, in the order received (best first); views made on first use. */
  get candidates() {
    const columns = new Columns(this.raw.candidates);
    const count = num(this.raw.candidates.count);
    const candidates = Candidate.all(columns, count);
    Object.defineProperty(this, "candidates", { value: candidates });
    return candidates;
  }
}

// ---------------------------------------------------------------- time

const DAY_MS = 86400000;
const WEEKDAYS = ["thursday", "friday", "saturday", "sunday", "monday", "tuesday", "wednesday"];

/** A local date and time of day, from the request only. */
export class LocalTime {
  constructor(unixMs, utcOffsetMinutes) {
    this.unixMs = unixMs;
    const local = unixMs + utcOffsetMinutes * 60000;
    this.dayNumber = Math.floor(local / DAY_MS);
    this.minuteOfDay = Math.floor((local - this.dayNumber * DAY_MS) / 60000);
    const date = new NativeDate(this.dayNumber * DAY_MS);
    this.year = date.getUTCFullYear();
    this.month = date.getUTCMonth() + 1;
    this.day = date.getUTCDate();
    this.weekday = WEEKDAYS[((this.dayNumber % 7) + 7) % 7];
  }
  /** The date as "YYYY-MM-DD". */
  date() {
    return `${String(this.year).padStart(4, "0")}-${String(this.month).padStart(2, "0")}-${String(this.day).padStart(2, "0")}`;
  }
  /** Whether the time of day is in [start, end) minutes, wrapping past midnight when start > end. */
  within(start, end) {
    const m = this.minuteOfDay;
    return start <= end ? m >= start && m < end : m >= start || m < end;
  }
  /** Minutes from now until the next `target` minute of the day. */
  minutesUntil(target) {
    return (target - this.minuteOfDay + 1440) % 1440;
  }
}

/** The request's local time at the device's UTC offset, or at `utcOffsetMinutes` if given. */
export function localTime(request, utcOffsetMinutes) {
  return new LocalTime(request.nowMs, utcOffsetMinutes ?? request.utcOffsetMinutes);
}

/** Minutes since midnight of "HH:MM"; throws a RecguardError naming the bad value. */
export function parseClock(text) {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(String(text));
  if (!m) throw new RecguardError(`"${text}" is not a time of day as HH:MM`);
  return Number(m[1]) * 60 + Number(m[2]);
}

// ---------------------------------------------------------------- settings

function camel(key) {
  return key.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
}
function kebab(key) {
  return key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}
function kindOf(value) {
  return Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
}

/** Settings JSON (kebab-case keys) over the policy's defaults (camelCase), checked key by key. */
export function parseSettings(policy, json) {
  const defaults = policy.defaults || {};
  const settings = JSON.parse(JSON.stringify(defaults));
  if (json.trim() === "") return settings;
  let given;
  try {
    given = JSON.parse(json);
  } catch (e) {
    throw new RecguardError(`invalid settings for ${policy.name}: not JSON: ${e.message}`);
  }
  if (kindOf(given) !== "object") throw new RecguardError(`invalid settings for ${policy.name}: expected a JSON object`);
  for (const [key, value] of Object.entries(given)) {
    const name = camel(key);
    if (!(name in defaults)) {
      const known = Object.keys(defaults).map(kebab).join("`, `");
      throw new RecguardError(`invalid settings for ${policy.name}: unknown field \`${key}\`, expected one of \`${known}\``);
    }
    if (kindOf(value) !== kindOf(defaults[name])) {
      throw new RecguardError(`invalid settings for ${policy.name}: at \`${key}\`: expected ${kindOf(defaults[name])}, got ${kindOf(value)}`);
    }
    settings[name] = value;
  }
  return settings;
}

// The checked settings travel from `validate-settings` to every `evaluate` as
// JSON with every non-ASCII character escaped (\uXXXX): ASCII bytes, which
// become a string again without a loop over them in JavaScript.
function encodeSettings(settings) {
  const json = JSON.stringify(settings).replace(/[\u0080-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  const bytes = new Uint8Array(json.length);
  for (let i = 0; i < json.length; i++) bytes[i] = json.charCodeAt(i);
  return bytes;
}

const CHUNK = 8192;
function decodeSettings(bytes) {
  if (bytes.length <= CHUNK) return JSON.parse(String.fromCharCode.apply(null, bytes));
  let json = "";
  for (let i = 0; i < bytes.length; i += CHUNK) json += String.fromCharCode.apply(null, bytes.slice(i, i + CHUNK));
  return JSON.parse(json);
}

// ---------------------------------------------------------------- export

function message(error) {
  if (error instanceof RecguardError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** The three functions of the policy world, from a policy module. */
export function exportPolicy(policy) {
  for (const key of ["name", "version", "summary", "articles", "reads", "evaluate"]) {
    if (policy[key] === undefined) throw new Error(`the policy module does not export \`${key}\``);
  }
  // A thrown error becomes the policy's error (the host's error policy applies),
  // never a trap.
  const guard = (f) => (...args) => {
    try {
      return f(...args);
    } catch (error) {
      throw message(error);
    }
  };
  return {
    describe: () => ({
      name: policy.name,
      version: policy.version,
      summary: policy.summary,
      articles: policy.articles.map((a) => ({ draftArticle: a.draft, finalArticle: a.final, instrument: undefined })),
      defaultSettings: JSON.stringify(Object.fromEntries(Object.entries(policy.defaults || {}).map(([k, v]) => [kebab(k), v]))),
      reads: policy.reads,
    }),
    validateSettings: guard((json) => {
      const settings = parseSettings(policy, json);
      const problem = policy.validate ? policy.validate(settings) : undefined;
      if (problem) throw new RecguardError(problem);
      const scope = policy.appliesTo ? policy.appliesTo(settings) : AppliesTo.everyRequest();
      if (!(scope instanceof AppliesTo)) throw new RecguardError("appliesTo must return an AppliesTo");
      return { encoded: encodeSettings(settings), appliesTo: scope.toWit() };
    }),
    evaluate: guard((raw, encoded) => {
      const request = new Request(raw);
      const settings = decodeSettings(encoded);
      const decision = policy.evaluate(request, settings);
      if (!(decision instanceof Decision)) throw new RecguardError("evaluate must return a Decision");
      return decision.toWit();
    }),
  };
}
