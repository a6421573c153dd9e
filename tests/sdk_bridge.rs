//! Converts the host's request into the guest SDK's, so that the same policy
//! logic can be called natively: for differential tests (the component
//! decides exactly as the native code) and for the native baseline of the
//! benchmarks.

use recguard_host as host;
use recguard_sdk as sdk;

/// A host type with an SDK twin.
pub trait ToSdk {
    /// The SDK's type.
    type Sdk;
    /// The same value as the SDK's type.
    fn to_sdk(&self) -> Self::Sdk;
}

macro_rules! same {
    ($($t:ty),*) => { $(impl ToSdk for $t { type Sdk = $t; fn to_sdk(&self) -> $t { self.clone() } })* };
}
same!(String, bool, u32, u64, i32, f32, f64);

impl<T: ToSdk> ToSdk for Vec<T> {
    type Sdk = Vec<T::Sdk>;
    fn to_sdk(&self) -> Self::Sdk {
        self.iter().map(ToSdk::to_sdk).collect()
    }
}

impl<T: ToSdk> ToSdk for Option<T> {
    type Sdk = Option<T::Sdk>;
    fn to_sdk(&self) -> Self::Sdk {
        self.as_ref().map(ToSdk::to_sdk)
    }
}

macro_rules! records {
    ($($name:ident { $($field:ident),* })*) => {$(
        impl ToSdk for host::$name {
            type Sdk = sdk::$name;
            fn to_sdk(&self) -> sdk::$name {
                sdk::$name { $($field: self.$field.to_sdk()),* }
            }
        }
    )*};
}

macro_rules! enums {
    ($($name:ident { $($variant:ident),* })*) => {$(
        impl ToSdk for host::$name {
            type Sdk = sdk::$name;
            fn to_sdk(&self) -> sdk::$name {
                match self { $(host::$name::$variant => sdk::$name::$variant),* }
            }
        }
    )*};
}

enums! {
    Surface { Feed, HotList, HotSearch, Search, Push, PopUp, HomeFirstScreen, CuratedPicks, Dispatch, Other }
    AgeBand { Unknown, Under8, From8to12, From12to16, From16to18, Adult, Elderly }
    TagSource { Inferred, UserSelected, Operator }
    ExemptionScope { Curfew, DailyLimit, RestReminder, GameHours }
    FeedbackTarget { Item, Author, Topic }
    ItemKind { Article, Video, Live, Game, Product, Ad, Order, TopUp, Ranking, Other }
    OperatorActionKind { Pin, Boost, Demote }
}

records! {
    UserTag { name, source, deleted_by_user }
    GuardianExemption { scope, expires_at_ms }
    TopicCount { topic, items }
    Usage { minutes_today, continuous_minutes, items_this_session, session_topics, spent_this_month_fen }
    NotInterested { target, value }
    User { id, age_band, identity_verified, minors_mode, personalisation_off, tags, usage, guardian_exemptions, not_interested }
    Provenance { metadata_label, uploader_declared, detector_score, label_stripped }
    Engagement { views, likes, comments, shares, low_reputation_share, velocity_per_hour, baseline_per_hour }
    OperatorAction { kind, operator, reason }
    PriceQuote { amount_fen, reference_fen, cohort, personalised }
    DeliveryTerms { promised_minutes, safe_baseline_minutes }
    Attribute { key, value }
    Candidate { id, author, kind, topics, risk_tags, labels, synthetic, score, non_personal_score, engagement,
                operator_actions, first_party, content_hash, similarity_key, price, delivery, attributes }
    Request { id, now_ms, utc_offset_minutes, surface, user, candidates }
}
