//! The closed sets of values the contract names (`enum`s in
//! `wit/policy.wit`): surfaces, age bands, item kinds, and the like. In JSON
//! each is its WIT case name, e.g. `"hot-list"`.

use serde::{Deserialize, Serialize};
use wasmtime::component::{ComponentType, Lift, Lower};

/// Declares a WIT `enum` as a Rust enum that is also a serde string.
macro_rules! wit_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wit:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ComponentType, Lift, Lower)]
        #[component(enum)]
        #[repr(u8)]
        pub enum $name {
            $($(#[$vmeta])* #[component(name = $wit)] #[serde(rename = $wit)] $variant,)*
        }
    };
}
pub(crate) use wit_enum;


wit_enum! {
    /// Where the response will be shown to the user.
    Surface {
        /// A personalised feed.
        Feed = "feed",
        /// A ranked hot list (榜单).
        HotList = "hot-list",
        /// Hot searches (热搜).
        HotSearch = "hot-search",
        /// Search results.
        Search = "search",
        /// A push notification.
        Push = "push",
        /// A pop-up window (弹窗).
        PopUp = "pop-up",
        /// The first screen of the home page (首页首屏).
        HomeFirstScreen = "home-first-screen",
        /// Editor's or curated picks (精选).
        CuratedPicks = "curated-picks",
        /// Work dispatch: candidates are orders offered to a worker.
        Dispatch = "dispatch",
        /// Any other surface.
        Other = "other",
    }
}

wit_enum! {
    /// The user's age band, as established by the provider.
    AgeBand {
        /// Age not established.
        Unknown = "unknown",
        /// Younger than 8.
        Under8 = "under8",
        /// 8 to 11 years.
        From8to12 = "from8to12",
        /// 12 to 15 years.
        From12to16 = "from12to16",
        /// 16 and 17 years.
        From16to18 = "from16to18",
        /// An adult who is not elderly.
        Adult = "adult",
        /// An elderly user (60 and over).
        Elderly = "elderly",
    }
}

wit_enum! {
    /// How a user tag came about.
    TagSource {
        /// Inferred by the provider's models from behaviour.
        Inferred = "inferred",
        /// Chosen by the user.
        UserSelected = "user-selected",
        /// Set by the provider's staff.
        Operator = "operator",
    }
}

wit_enum! {
    /// What a guardian has exempted a minor from.
    ExemptionScope {
        /// The night-time curfew.
        Curfew = "curfew",
        /// The daily time cap.
        DailyLimit = "daily-limit",
        /// The rest reminder after continuous use.
        RestReminder = "rest-reminder",
        /// The game-hours window.
        GameHours = "game-hours",
    }
}

wit_enum! {
    /// What a "not interested" signal points at.
    FeedbackTarget {
        /// One item, by id.
        Item = "item",
        /// Everything by an author.
        Author = "author",
        /// Everything on a topic.
        Topic = "topic",
    }
}

wit_enum! {
    /// What a candidate is.
    ItemKind {
        /// A text or picture article.
        Article = "article",
        /// A video.
        Video = "video",
        /// A live stream.
        Live = "live",
        /// A game.
        Game = "game",
        /// A product for sale.
        Product = "product",
        /// An advertisement.
        Ad = "ad",
        /// A work order offered to a worker (dispatch surface).
        Order = "order",
        /// A top-up or in-app purchase.
        TopUp = "top-up",
        /// A ranking or list entry (e.g. a person's popularity ranking).
        Ranking = "ranking",
        /// Anything else.
        Other = "other",
    }
}

wit_enum! {
    /// What an operator did to an item by hand.
    OperatorActionKind {
        /// Fixed the item at a position.
        Pin = "pin",
        /// Raised the item's score.
        Boost = "boost",
        /// Lowered the item's score.
        Demote = "demote",
    }
}

