//! Converts the host's request into the guest SDK's, so that the same policy
//! logic can be called natively: for differential tests (the component
//! decides exactly as the native code) and for the native baseline of the
//! benchmarks. The request goes the way it goes to a component: the host's
//! rows become the host's columns (`wire::Request::from_rows`), which the
//! generated `wire_bridge.rs` copies field by field into the SDK's.

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
same!(String, bool, u8, u32, u64, i32, f32, f64);

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

/// The provider's request, as a policy receives it (every field filled).
impl ToSdk for host::Request {
    type Sdk = sdk::Request;
    fn to_sdk(&self) -> sdk::Request {
        sdk::Request::from_wit(host::wire::Request::from_rows(self).to_sdk())
    }
}

#[path = "wire_bridge.rs"]
mod wire_bridge;
