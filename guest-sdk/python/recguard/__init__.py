"""recguard's Python SDK: write a policy as a module that declares its
description, its settings' defaults and one ``evaluate``.

    from recguard import Article, Decision, Finding

    NAME = "topic-filter"
    VERSION = "0.1.0"
    SUMMARY = "Drops candidates on a blocked topic."
    ARTICLES = [Article.D10F10]
    READS = ["candidates.topics"]
    DEFAULTS = {"blocked_topics": ["gambling"]}

    def evaluate(request, settings):
        decision = Decision()
        finding = Finding("topic-filter.blocked", Article.D10F10, "Blocked topic.")
        for c in request.candidates:
            if any(t in settings.blocked_topics for t in c.topics):
                decision.drop(c, finding)
        return decision

The same concepts as the Rust SDK (``recguard-sdk``) and the JavaScript one:
settings are JSON with defaults (kebab-case keys in JSON, snake_case here),
checked once when the policy loads and handed to every evaluation already
decoded; every effect cites a finding, every finding an article; candidates
are views over the request's columns and decisions name them by index; enums
are the contract's names as strings (``"hot-list"``); time comes only from the
request (``local_time``). ``recguard build`` puts this package beside the
policy and exports the policy through ``export_policy``.

Ambient APIs that would make a decision depend on anything but the request
are refused with a ``RecguardError`` (reported as the policy's error):
``time.time()`` and its kin, ``datetime.now()``/``today()``, the ``random``
module's functions. ``print`` goes to the host's log (the trace). An exception
that escapes ``evaluate`` becomes the policy's error, never a trap.
"""

import builtins
import datetime as _datetime
import json
import random as _random
import struct
import time as _time

from componentize_py_types import Err
from wit_world.imports import host, types

__all__ = [
    "Article", "Decision", "Finding", "RecguardError", "Request", "Candidate", "LocalTime",
    "SURFACES", "AGE_BANDS", "AppliesTo", "local_time", "parse_clock", "export_policy", "total_order",
]


class RecguardError(Exception):
    """An error a policy raises on purpose; its message becomes the policy's error."""


# ------------------------------------------------------------------ ambient

def _refuse(what, instead):
    def refused(*_args, **_kwargs):
        raise RecguardError(f"{what} is not available in a policy: {instead}")
    return refused


_CLOCK = "the time is the request's (request.now_ms, local_time(request))"
for _name in ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "localtime", "gmtime", "ctime", "asctime", "strftime"):
    if hasattr(_time, _name):
        setattr(_time, _name, _refuse(f"time.{_name}()", _CLOCK))


class _PolicyDatetime(_datetime.datetime):
    now = classmethod(_refuse("datetime.now()", _CLOCK))
    utcnow = classmethod(_refuse("datetime.utcnow()", _CLOCK))
    today = classmethod(_refuse("datetime.today()", _CLOCK))


class _PolicyDate(_datetime.date):
    today = classmethod(_refuse("date.today()", _CLOCK))


_datetime.datetime = _PolicyDatetime
_datetime.date = _PolicyDate
_RANDOM = "decisions must be replayable; derive any choice from the request (e.g. a hash of its id)"
for _name in ("random", "randint", "randrange", "choice", "choices", "shuffle", "sample", "uniform", "gauss", "getrandbits", "seed"):
    setattr(_random, _name, _refuse(f"random.{_name}()", _RANDOM))


def _print(*parts, sep=" ", end="\n", file=None, flush=False):
    host.log(types.LogLevel.INFO, sep.join(str(p) for p in parts))


builtins.print = _print


def log(message, level="info"):
    """Writes a line to the evaluation's trace (level: debug, info or warn)."""
    host.log(types.LogLevel[level.upper()], str(message))


# ------------------------------------------------------------------ articles

class Article:
    """The articles of the provisions, draft (2021) and final (2022) numbers, as in the Rust SDK."""

    def __init__(self, draft, final):
        self.draft = draft
        self.final = final

    def __str__(self):
        return f"F{self.final}" if self.draft is None else f"D{self.draft} / F{self.final}"


for _name, _draft, _final in [
    ("D8F8", 8, 8), ("D9F9", 9, 9), ("D10F10", 10, 10), ("D11F11", 11, 11), ("D12F12", 12, 12),
    ("D13F14", 13, 14), ("D13F15", 13, 15), ("D14F16", 14, 16), ("D15F17", 15, 17), ("D16F18", 16, 18),
    ("F19", None, 19), ("D17F20", 17, 20), ("D18F21", 18, 21), ("D22F26", 22, 26), ("D26F22", 26, 22),
]:
    setattr(Article, _name, Article(_draft, _final))

SURFACES = ("feed", "hot-list", "hot-search", "search", "push", "pop-up", "home-first-screen", "curated-picks", "dispatch", "other")


AGE_BANDS = ("unknown", "under8", "from8to12", "from12to16", "from16to18", "adult", "elderly")


def _wit_name(member):
    return member.name.lower().replace("_", "-")


def _member(enum, name):
    return enum[name.upper().replace("-", "_")]


class AppliesTo:
    """The requests on which a policy can decide anything, given its settings
    (`applies-to` in the WIT): a chain skips the policy on any other. Define
    `applies_to(settings)` in the policy module to narrow it (the default is
    every request); each call narrows further. On a request outside it,
    `evaluate` must decide nothing."""

    def __init__(self):
        self.surfaces = None
        self.age_bands = None
        self.minors_mode = False
        self.personalisation_off = False
        self.requires = []

    @staticmethod
    def every_request():
        """Every request: the policy always runs."""
        return AppliesTo()

    def on_surfaces(self, surfaces):
        """Only on these surfaces (by their WIT names, e.g. "dispatch")."""
        unknown = [s for s in surfaces if s not in SURFACES]
        if unknown:
            raise RecguardError(f"applies_to: unknown surface `{unknown[0]}`")
        self.surfaces = list(surfaces)
        return self

    def except_on(self, surfaces):
        """Only on every surface but these."""
        return self.on_surfaces([s for s in SURFACES if s not in surfaces])

    def for_age_bands(self, bands):
        """Only for users in these age bands (by their WIT names, e.g. "elderly")."""
        unknown = [b for b in bands if b not in AGE_BANDS]
        if unknown:
            raise RecguardError(f"applies_to: unknown age band `{unknown[0]}`")
        self.age_bands = list(bands)
        return self

    def or_minors_mode(self):
        """With for_age_bands: also for a user in minors mode, whatever the age band."""
        self.minors_mode = True
        return self

    def when_personalisation_off(self):
        """Only for users who switched personalised recommendation off."""
        self.personalisation_off = True
        return self

    def requiring(self, path):
        """Only when the field at `path` (one the policy reads) is not empty, e.g. "user.tags"."""
        self.requires.append(path)
        return self

    def to_wit(self):
        """The contract's form."""
        return types.AppliesTo(
            surfaces=None if self.surfaces is None else [_member(types.Surface, s) for s in self.surfaces],
            age_bands=None if self.age_bands is None else [_member(types.AgeBand, b) for b in self.age_bands],
            or_minors_mode=self.minors_mode,
            personalisation_off=self.personalisation_off,
            requires=list(self.requires),
        )


# ------------------------------------------------------------------ decisions

class Finding:
    """Something a policy found and acted on: a stable code, an article, a message the user can read."""

    def __init__(self, code, article, message):
        if not isinstance(article, Article):
            raise RecguardError(f"finding {code}: cite an Article (e.g. Article.D16F18)")
        self.code = code
        self.article = article
        self.instrument = None
        self.message = message

    def citing(self, instrument):
        """Also cites another instrument, e.g. "CAC minors-mode guideline (2024)"."""
        self.instrument = instrument
        return self

    def _key(self):
        return (self.code, self.article.draft, self.article.final, self.instrument, self.message)


class Decision:
    """What a policy decides about one request; every effect cites a finding."""

    def __init__(self):
        self.findings = []
        self.actions = []
        self.rerank_order = None
        self.notices = []
        self.blocked = None
        self.tags_set_aside = []
        self._index = {}

    def record(self, finding):
        """Records a finding once, however often it is cited; returns its index."""
        key = finding._key()
        index = self._index.get(key)
        if index is None:
            index = len(self.findings)
            self.findings.append(finding)
            self._index[key] = index
        return index

    def _act(self, candidate, action, finding):
        self.actions.append(types.ItemAction(candidate=candidate.index, action=action, finding=self.record(finding)))
        return self

    def drop(self, candidate, finding):
        """Removes the candidate from the response."""
        return self._act(candidate, types.Action_Drop(), finding)

    def label(self, candidate, label, finding):
        """Attaches a visible label to the candidate."""
        return self._act(candidate, types.Action_Label(str(label)), finding)

    def move_by(self, candidate, places, finding):
        """Moves the candidate by `places` (positive: towards the top)."""
        return self._act(candidate, types.Action_MoveBy(int(places)), finding)

    def reprice(self, candidate, price_fen, finding):
        """Serves the candidate at `price_fen` (0.01 CNY)."""
        return self._act(candidate, types.Action_Reprice(int(price_fen)), finding)

    def rerank(self, candidates, finding, non_personal=False):
        """A new order: these candidates first, best first; the rest keep their order after them."""
        self.rerank_order = types.Rerank(finding=self.record(finding), order=[c.index for c in candidates], non_personal=non_personal)
        return self

    def rerank_non_personal(self, candidates, finding):
        """As `rerank`, declaring that the order uses no personal data."""
        return self.rerank(candidates, finding, non_personal=True)

    def notice(self, finding, link=None):
        """A notice shown with the response; its text is the finding's message."""
        self.notices.append(types.Notice(finding=self.record(finding), text=finding.message, link=link))
        return self

    def block(self, finding, retry_at_ms=None):
        """Refuses to serve the request; the reason is the finding's message."""
        retry = None if retry_at_ms is None else int(retry_at_ms)
        self.blocked = types.Block(finding=self.record(finding), reason=finding.message, retry_at_ms=retry)
        return self

    def set_aside_tag(self, tag, finding):
        """A user tag no later policy may use for this request."""
        self.tags_set_aside.append(types.TagSetAside(tag=str(tag), finding=self.record(finding)))
        return self

    def to_wit(self):
        """The decision as the contract carries it."""
        findings = [
            types.Finding(
                code=f.code,
                citation=types.Citation(draft_article=f.article.draft, final_article=f.article.final, instrument=f.instrument),
                message=f.message,
            )
            for f in self.findings
        ]
        return types.Decision(
            findings=findings, actions=self.actions, rerank=self.rerank_order,
            notices=self.notices, block=self.blocked, tags_set_aside=self.tags_set_aside,
        )


# ------------------------------------------------------------------ request

class _Strings:
    """A `strings` column: string i is bytes ends[i-1]..ends[i] of text."""

    __slots__ = ("text", "ends", "ascii")

    def __init__(self, raw):
        self.text = raw.text if raw is not None else ""
        self.ends = raw.ends if raw is not None else []
        self.ascii = self.text.isascii()
        if not self.ascii:
            self.text = self.text.encode("utf-8")

    def __len__(self):
        return len(self.ends)

    def get(self, i):
        start = self.ends[i - 1] if i > 0 else 0
        piece = self.text[start:self.ends[i]]
        return piece if self.ascii else piece.decode("utf-8")

    def slice(self, start, end):
        return [self.get(i) for i in range(start, end)]

    def all(self):
        return self.slice(0, len(self.ends))


def _span(ends, i):
    return (ends[i - 1] if i > 0 else 0), ends[i]


_F = types.CandidateFlags


class Candidate:
    """One candidate: a view over entry `index` of the request's columns."""

    __slots__ = ("_c", "index")

    def __init__(self, columns, index):
        self._c = columns
        self.index = index

    @property
    def id(self):
        return self._c.id.get(self.index)

    @property
    def author(self):
        return self._c.author.get(self.index)

    @property
    def kind(self):
        kinds = self._c.raw.kind
        return _wit_name(kinds[self.index]) if kinds is not None else "article"

    @property
    def topics(self):
        return self._c.list("topics", self.index)

    @property
    def risk_tags(self):
        return self._c.list("risk_tags", self.index)

    @property
    def labels(self):
        return self._c.list("labels", self.index)

    @property
    def score(self):
        s = self._c.raw.score
        return s[self.index] if s is not None else 0.0

    @property
    def non_personal_score(self):
        s = self._c.raw.non_personal_score
        return s[self.index] if s is not None else 0.0

    def _flag(self, flag):
        flags = self._c.raw.flags
        return flags is not None and bool(flags[self.index] & flag)

    @property
    def first_party(self):
        return self._flag(_F.FIRST_PARTY)

    @property
    def synthetic(self):
        """Synthetic-content signals as a dict, or None when none were gathered."""
        if not self._flag(_F.SYNTHETIC):
            return None
        scores = self._c.raw.detector_score
        return {
            "metadata_label": self._flag(_F.SYNTHETIC_METADATA_LABEL),
            "uploader_declared": self._flag(_F.SYNTHETIC_UPLOADER_DECLARED),
            "label_stripped": self._flag(_F.SYNTHETIC_LABEL_STRIPPED),
            "detector_score": scores[self.index] if self._flag(_F.DETECTOR_SCORE) and scores is not None else None,
        }

    @property
    def engagement(self):
        """Engagement behind the rank as a dict, or None."""
        e = self._c.raw.engagement
        if e is None or not self._flag(_F.ENGAGEMENT):
            return None
        i = self.index
        return {
            "views": e.views[i], "likes": e.likes[i], "comments": e.comments[i], "shares": e.shares[i],
            "low_reputation_share": e.low_reputation_share[i],
            "velocity_per_hour": e.velocity_per_hour[i], "baseline_per_hour": e.baseline_per_hour[i],
        }

    @property
    def operator_actions(self):
        """Manual interventions: dicts of kind ("pin", "boost", "demote"), operator, reason (None if none recorded)."""
        a = self._c.raw.operator_actions
        if a is None:
            return []
        start, end = _span(a.ends, self.index)
        operators = self._c.strings("operator_actions.operator", a.operator)
        reasons = self._c.strings("operator_actions.reason", a.reason)
        out = []
        for j in range(start, end):
            reason = reasons.get(j)
            out.append({"kind": _wit_name(a.kind[j]), "operator": operators.get(j), "reason": reason or None})
        return out

    @property
    def content_hash(self):
        if not self._flag(_F.CONTENT_HASH):
            return None
        return self._c.strings("content_hash", self._c.raw.content_hash).get(self.index)

    @property
    def similarity_key(self):
        keys = self._c.raw.similarity_key
        return keys[self.index] if self._flag(_F.SIMILARITY_KEY) and keys is not None else None

    @property
    def price(self):
        """The price quote as a dict, or None."""
        p = self._c.raw.price
        if p is None or not self._flag(_F.PRICE):
            return None
        return {
            "amount_fen": p.amount_fen[self.index], "reference_fen": p.reference_fen[self.index],
            "cohort": self._c.strings("price.cohort", p.cohort).get(self.index),
            "personalised": self._flag(_F.PRICE_PERSONALISED),
        }

    @property
    def delivery(self):
        """Work-order terms as a dict, or None."""
        d = self._c.raw.delivery
        if d is None or not self._flag(_F.DELIVERY):
            return None
        return {"promised_minutes": d.promised_minutes[self.index], "safe_baseline_minutes": d.safe_baseline_minutes[self.index]}

    @property
    def attributes(self):
        """Free-form attributes as (key, value) pairs."""
        a = self._c.raw.attributes
        if a is None:
            return []
        start, end = _span(a.ends, self.index)
        keys = self._c.strings("attributes.key", a.key)
        values = self._c.strings("attributes.value", a.value)
        return [(keys.get(j), values.get(j)) for j in range(start, end)]

    def attribute(self, key):
        """The value of one attribute, or None."""
        return next((v for k, v in self.attributes if k == key), None)


class _Columns:
    def __init__(self, raw):
        self.raw = raw
        self._cache = {}
        self.id = self.strings("id", raw.id)
        self.author = self.strings("author", raw.author)

    def strings(self, name, raw):
        column = self._cache.get(name)
        if column is None:
            column = self._cache[name] = _Strings(raw)
        return column

    def list(self, name, index):
        raw = getattr(self.raw, name)
        if raw is None:
            return []
        start, end = _span(raw.ends, index)
        return self.strings(name, raw.items).slice(start, end)


class _View:
    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self):
        return f"{type(self).__name__}({self.__dict__!r})"


def _user(raw):
    tags = raw.tags
    usage = raw.usage
    topics = usage.session_topics
    not_interested = raw.not_interested
    return _View(
        id=raw.id,
        age_band=_wit_name(raw.age_band),
        identity_verified=raw.identity_verified,
        minors_mode=raw.minors_mode,
        personalisation_off=raw.personalisation_off,
        tags=[
            _View(name=name, source=_wit_name(tags.source[i]), deleted_by_user=tags.deleted_by_user[i])
            for i, name in enumerate(_Strings(tags.name).all())
        ] if tags is not None else [],
        usage=_View(
            minutes_today=usage.minutes_today,
            continuous_minutes=usage.continuous_minutes,
            items_this_session=usage.items_this_session,
            session_topics=[(t, topics.items[i]) for i, t in enumerate(_Strings(topics.topic).all())] if topics is not None else [],
            spent_this_month_fen=usage.spent_this_month_fen,
        ),
        guardian_exemptions=[_View(scope=_wit_name(e.scope), expires_at_ms=e.expires_at_ms) for e in (raw.guardian_exemptions or [])],
        not_interested=[
            _View(target=_wit_name(not_interested.target[i]), value=v)
            for i, v in enumerate(_Strings(not_interested.value).all())
        ] if not_interested is not None else [],
    )


class Request:
    """One request, as a policy sees it: fields it did not declare in READS are empty."""

    def __init__(self, raw):
        self.id = raw.id
        self.now_ms = raw.now_ms
        self.utc_offset_minutes = raw.utc_offset_minutes
        self.surface = _wit_name(raw.surface)
        self.user = _user(raw.user)
        columns = _Columns(raw.candidates)
        self.candidates = [Candidate(columns, i) for i in range(raw.candidates.count)]


def total_order(x):
    """A sort key that orders floats as Rust's `f64::total_cmp`: -0.0 before 0.0, NaN last
    (Python's own comparison holds -0.0 and 0.0 equal)."""
    bits = struct.unpack("<q", struct.pack("<d", x))[0]
    return bits ^ ((bits >> 63) & 0x7FFF_FFFF_FFFF_FFFF)


# ------------------------------------------------------------------ time

_DAY_MS = 86_400_000
_WEEKDAYS = ("thursday", "friday", "saturday", "sunday", "monday", "tuesday", "wednesday")


class LocalTime:
    """A local date and time of day, from the request only."""

    def __init__(self, unix_ms, utc_offset_minutes):
        self.unix_ms = unix_ms
        local = unix_ms + utc_offset_minutes * 60_000
        self.day_number = local // _DAY_MS
        self.minute_of_day = (local - self.day_number * _DAY_MS) // 60_000
        civil = _datetime.date.fromordinal(_datetime.date(1970, 1, 1).toordinal() + self.day_number)
        self.year, self.month, self.day = civil.year, civil.month, civil.day
        self.weekday = _WEEKDAYS[self.day_number % 7]

    def date(self):
        """The date as "YYYY-MM-DD"."""
        return f"{self.year:04}-{self.month:02}-{self.day:02}"

    def within(self, start, end):
        """Whether the time of day is in [start, end) minutes, wrapping past midnight when start > end."""
        m = self.minute_of_day
        return start <= m < end if start <= end else (m >= start or m < end)

    def minutes_until(self, target):
        """Minutes from now until the next `target` minute of the day."""
        return (target - self.minute_of_day) % 1440


def local_time(request, utc_offset_minutes=None):
    """The request's local time at the device's UTC offset, or at `utc_offset_minutes` if given."""
    return LocalTime(request.now_ms, request.utc_offset_minutes if utc_offset_minutes is None else utc_offset_minutes)


def parse_clock(text):
    """Minutes since midnight of "HH:MM"; raises a RecguardError naming the bad value."""
    parts = str(text).split(":")
    if len(parts) != 2 or not all(len(p) == 2 and p.isdigit() for p in parts) or int(parts[0]) > 23 or int(parts[1]) > 59:
        raise RecguardError(f'"{text}" is not a time of day as HH:MM')
    return int(parts[0]) * 60 + int(parts[1])


# ------------------------------------------------------------------ settings

def _kind(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}.get(type(value), type(value).__name__)


def parse_settings(policy, text):
    """Settings JSON (kebab-case keys) over the policy's DEFAULTS (snake_case), checked key by key."""
    defaults = getattr(policy, "DEFAULTS", {})
    settings = json.loads(json.dumps(defaults))
    if text.strip() == "":
        return settings
    try:
        given = json.loads(text)
    except ValueError as e:
        raise RecguardError(f"invalid settings for {policy.NAME}: not JSON: {e}") from None
    if not isinstance(given, dict):
        raise RecguardError(f"invalid settings for {policy.NAME}: expected a JSON object")
    for key, value in given.items():
        name = key.replace("-", "_")
        if name not in defaults:
            known = "`, `".join(k.replace("_", "-") for k in defaults)
            raise RecguardError(f"invalid settings for {policy.NAME}: unknown field `{key}`, expected one of `{known}`")
        if _kind(value) != _kind(defaults[name]):
            raise RecguardError(f"invalid settings for {policy.NAME}: at `{key}`: expected {_kind(defaults[name])}, got {_kind(value)}")
        settings[name] = value
    return settings


# ------------------------------------------------------------------ export

def _message(error):
    if isinstance(error, RecguardError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def export_policy(policy):
    """The policy world's exports (a `WitWorld` class), from a policy module."""
    for key in ("NAME", "VERSION", "SUMMARY", "ARTICLES", "READS", "evaluate"):
        if not hasattr(policy, key):
            raise RecguardError(f"the policy module does not define `{key}`")

    class WitWorld:
        def describe(self):
            defaults = {k.replace("_", "-"): v for k, v in getattr(policy, "DEFAULTS", {}).items()}
            return types.Descriptor(
                name=policy.NAME,
                version=policy.VERSION,
                summary=policy.SUMMARY,
                articles=[types.Citation(draft_article=a.draft, final_article=a.final, instrument=None) for a in policy.ARTICLES],
                default_settings=json.dumps(defaults, ensure_ascii=False),
                reads=list(policy.READS),
            )

        def validate_settings(self, text):
            try:
                settings = parse_settings(policy, text)
                problem = policy.validate(_View(**settings)) if hasattr(policy, "validate") else None
            except Exception as error:  # any escaping exception is the policy's error
                raise Err(_message(error)) from None
            if problem:
                raise Err(str(problem))
            try:
                scope = policy.applies_to(_View(**settings)) if hasattr(policy, "applies_to") else AppliesTo.every_request()
                if not isinstance(scope, AppliesTo):
                    raise RecguardError("applies_to must return an AppliesTo")
                applies_to = scope.to_wit()
            except Exception as error:  # any escaping exception is the policy's error
                raise Err(_message(error)) from None
            return types.CheckedSettings(encoded=json.dumps(settings, ensure_ascii=False).encode("utf-8"), applies_to=applies_to)

        def evaluate(self, raw, encoded):
            try:
                settings = _View(**json.loads(encoded.decode("utf-8")))
                decision = policy.evaluate(Request(raw), settings)
                if not isinstance(decision, Decision):
                    raise RecguardError("evaluate must return a Decision")
                return decision.to_wit()
            except Exception as error:  # any escaping exception is the policy's error
                raise Err(_message(error)) from None

    return WitWorld
