//! The short strings an outcome repeats once per effect — candidate ids and
//! finding codes — in forms that cost no allocation per effect: a decision
//! that drops 500 items makes 500 effects, and each names an id and a code.
//! Both read as `&str` (`Deref`), compare with strings and serialise as
//! plain JSON strings.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// A candidate's id in an effect: ids of up to 24 bytes are kept inline.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CandidateId(CompactString);

/// A finding's code in an effect, shared by every effect that cites the finding.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(Arc<str>);

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|s| Code(s.into()))
    }
}

macro_rules! reads_as_str {
    ($name:ident) => {
        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.into())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                &*self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                &*self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &*self.0 == other.as_str()
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == &*other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self.as_str() == &*other.0
            }
        }

        /// A plain string in JSON.
        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                "String".into()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                String::json_schema(generator)
            }
        }
    };
}

reads_as_str!(CandidateId);
reads_as_str!(Code);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn they_read_compare_and_serialise_as_strings() {
        let id = CandidateId::from("item-0042");
        let code = Code::from("hot-list.unrecorded-intervention");
        assert_eq!(id, "item-0042");
        assert_eq!("hot-list.unrecorded-intervention", code);
        assert_eq!(code.len(), 32);
        assert_eq!(serde_json::to_string(&(id.clone(), code.clone())).unwrap(), r#"["item-0042","hot-list.unrecorded-intervention"]"#);
        let back: (CandidateId, Code) = serde_json::from_str(r#"["item-0042","hot-list.unrecorded-intervention"]"#).unwrap();
        assert_eq!(back, (id, code));
    }
}
