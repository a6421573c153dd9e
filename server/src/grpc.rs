//! The gRPC service (`recguard.v1.Sidecar`, `proto/recguard/v1/sidecar.proto`):
//! `Evaluate` and `EvaluateBatch`, served on the HTTP port (HTTP/2
//! cleartext), through the same admission, workers and metrics as the JSON
//! routes. A message crosses to the host as the JSON the HTTP API takes
//! ([`crate::proto_json`]), so both APIs refuse the same requests with the
//! same message.

use std::sync::{Arc, OnceLock};

use axum::http::StatusCode;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use recguard_host::Outcome;
use tonic::{Request, Response, Status};

use crate::proto_json;
use crate::{evaluate_one, one_line, AppState, Failure};

/// The messages, server and client generated from the .proto.
#[allow(missing_docs, clippy::all)]
pub mod pb {
    tonic::include_proto!("recguard.v1");
}

/// The .proto's descriptors (for the JSON mapping).
fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(include_bytes!(concat!(env!("OUT_DIR"), "/sidecar_descriptors.bin")).as_slice())
            .expect("the build compiled the descriptors")
    })
}

/// The descriptor of message `name` of `recguard.v1`.
pub fn message_descriptor(name: &str) -> MessageDescriptor {
    pool().get_message_by_name(&format!("recguard.v1.{name}")).unwrap_or_else(|| panic!("recguard.v1.{name} is in the .proto"))
}

/// A request message as the host's request JSON.
pub fn request_json(request: &pb::Request) -> Result<String, Status> {
    let dynamic = DynamicMessage::decode(message_descriptor("Request"), request.encode_to_vec().as_slice())
        .map_err(|e| Status::internal(format!("the request does not decode as its own message: {e}")))?;
    proto_json::to_json_text(&dynamic).map_err(|e| Status::internal(format!("the request cannot be written as JSON: {e}")))
}

/// An outcome as its message.
pub fn outcome_message(outcome: &Outcome) -> Result<pb::Outcome, Status> {
    let json = serde_json::to_value(outcome).map_err(|e| Status::internal(e.to_string()))?;
    let dynamic = proto_json::from_json(&json, &message_descriptor("Outcome"))
        .map_err(|e| Status::internal(format!("the outcome does not fit its message: {e}")))?;
    pb::Outcome::decode(dynamic.encode_to_vec().as_slice()).map_err(|e| Status::internal(e.to_string()))
}

/// A request's JSON (as the HTTP API takes it) as its message: for clients
/// and tests that hold requests as JSON.
pub fn request_message(json: &serde_json::Value) -> Result<pb::Request, String> {
    let dynamic = proto_json::from_json(json, &message_descriptor("Request"))?;
    pb::Request::decode(dynamic.encode_to_vec().as_slice()).map_err(|e| e.to_string())
}

/// An outcome message as the JSON the HTTP API answers with.
pub fn outcome_json(outcome: &pb::Outcome) -> serde_json::Value {
    let dynamic = DynamicMessage::decode(message_descriptor("Outcome"), outcome.encode_to_vec().as_slice())
        .expect("a message decodes as its own descriptor");
    proto_json::to_json(&dynamic)
}

impl From<Failure> for Status {
    fn from(failure: Failure) -> Status {
        match failure.status {
            StatusCode::BAD_REQUEST => Status::invalid_argument(failure.message),
            StatusCode::PAYLOAD_TOO_LARGE => Status::resource_exhausted(failure.message),
            StatusCode::SERVICE_UNAVAILABLE => {
                let mut status = Status::unavailable(failure.message);
                status.metadata_mut().insert("retry-after", tonic::metadata::MetadataValue::from_static("1"));
                status
            }
            _ => Status::internal(failure.message),
        }
    }
}

/// The service over the server's state.
pub(crate) struct Sidecar {
    pub(crate) state: AppState,
}

#[tonic::async_trait]
impl pb::sidecar_server::Sidecar for Sidecar {
    async fn evaluate(&self, request: Request<pb::Request>) -> Result<Response<pb::Outcome>, Status> {
        let json = request_json(request.get_ref())?;
        let result = self.state.run(move |chain| evaluate_one(chain, &json)).await?;
        match result {
            Ok(outcome) => {
                self.state.metrics.outcome(&outcome);
                Ok(Response::new(outcome_message(&outcome)?))
            }
            Err(error) => {
                self.state.metrics.error();
                Err(crate::evaluate_error(&error).into())
            }
        }
    }

    async fn evaluate_batch(&self, request: Request<pb::BatchRequest>) -> Result<Response<pb::BatchResponse>, Status> {
        let requests = request.get_ref().requests.iter().map(request_json).collect::<Result<Vec<String>, Status>>()?;
        let results = self
            .state
            .run(move |chain| {
                requests
                    .iter()
                    .enumerate()
                    .map(|(i, json)| evaluate_one(chain, json).map_err(|e| one_line(&format!("request {i}: {e}"))))
                    .collect::<Vec<Result<Arc<Outcome>, String>>>()
            })
            .await?;
        let mut answers = Vec::with_capacity(results.len());
        for result in results {
            let answer = match result {
                Ok(outcome) => {
                    self.state.metrics.outcome(&outcome);
                    pb::batch_answer::Answer::Outcome(outcome_message(&outcome)?)
                }
                Err(message) => {
                    self.state.metrics.error();
                    pb::batch_answer::Answer::Error(message)
                }
            };
            answers.push(pb::BatchAnswer { answer: Some(answer) });
        }
        Ok(Response::new(pb::BatchResponse { answers }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value as Json;
    use std::collections::BTreeSet;

    /// The JSON schemas of `/openapi.json`, by name.
    fn schemas() -> serde_json::Map<String, Json> {
        crate::openapi::document()["components"]["schemas"].as_object().unwrap().clone()
    }

    /// What the schema `property` refers to (a type name), and whether it is a list.
    fn shape(property: &Json) -> (Option<String>, bool) {
        let target = |v: &Json| v["$ref"].as_str().map(|r| r.rsplit('/').next().unwrap().to_string());
        if property["type"] == "array" {
            return (target(&property["items"]), true);
        }
        let any_of = property["anyOf"].as_array().and_then(|a| a.iter().find_map(target));
        (target(property).or(any_of), false)
    }

    fn check_fields(message: &MessageDescriptor, schema: &Json, skip: &[&str]) {
        let properties = schema["properties"].as_object().cloned().unwrap_or_default();
        let wanted: BTreeSet<String> = properties.keys().filter(|k| !skip.contains(&k.as_str())).cloned().collect();
        let have: BTreeSet<String> = message.fields().map(|f| f.name().replace('_', "-")).collect();
        assert_eq!(have, wanted, "{}: fields", message.full_name());
        for field in message.fields() {
            let (target, list) = shape(&properties[&field.name().replace('_', "-")]);
            let target = target.filter(|t| t != "Reads");
            assert_eq!(field.is_list(), list || field.name() == "reads", "{}.{}: list", message.full_name(), field.name());
            let kind = match field.kind() {
                prost_reflect::Kind::Message(m) => Some(m.name().to_string()),
                prost_reflect::Kind::Enum(e) => Some(e.name().to_string()),
                _ => None,
            };
            assert_eq!(kind, target, "{}.{}: type", message.full_name(), field.name());
        }
    }

    #[test]
    fn every_message_and_enum_has_the_fields_and_values_of_its_json_schema() {
        let mut checked = 0;
        for (name, schema) in schemas() {
            if ["ErrorBody", "PolicyList", "ReloadAnswer", "PolicySummary", "AppliesTo", "Reads"].contains(&name.as_str()) {
                continue;
            }
            let cases = schema["oneOf"].as_array().cloned().unwrap_or_default();
            if let Some(enumeration) = pool().get_enum_by_name(&format!("recguard.v1.{name}")) {
                let prefix = proto_json_prefix(&enumeration);
                let have: BTreeSet<String> = enumeration
                    .values()
                    .filter(|v| v.number() != 0)
                    .map(|v| v.name().strip_prefix(&prefix).unwrap().to_ascii_lowercase().replace('_', "-"))
                    .collect();
                let wanted: BTreeSet<String> = cases.iter().map(|c| c["const"].as_str().unwrap().to_string()).collect();
                assert_eq!(have, wanted, "enum {name}");
            } else {
                let message = message_descriptor(&name);
                if cases.is_empty() {
                    check_fields(&message, &schema, &[]);
                } else if name == "BatchAnswer" {
                    check_fields(&message, &json!({"properties": {"outcome": {"$ref": "#/x/Outcome"}, "error": {"type": "string"}}}), &[]);
                } else {
                    let oneof = message.oneofs().find(|o| o.name() == "kind").unwrap_or_else(|| panic!("{name}: oneof kind"));
                    let mut tags = BTreeSet::new();
                    for case in &cases {
                        let tag = case["properties"]["kind"]["const"].as_str().unwrap();
                        tags.insert(tag.to_string());
                        let field = oneof.fields().find(|f| f.name() == tag.replace('-', "_")).unwrap_or_else(|| panic!("{name}: case {tag}"));
                        check_fields(field.kind().as_message().unwrap(), case, &["kind"]);
                    }
                    assert_eq!(oneof.fields().count(), tags.len(), "{name}: cases");
                }
            }
            checked += 1;
        }
        assert!(checked >= 35, "{checked}");
    }

    fn proto_json_prefix(descriptor: &prost_reflect::EnumDescriptor) -> String {
        let first = descriptor.values().find(|v| v.number() == 0).unwrap();
        first.name().strip_suffix("UNSPECIFIED").unwrap().to_string()
    }

    use serde_json::json;

    #[test]
    fn every_example_request_crosses_as_a_message_unchanged() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/requests");
        let mut crossed = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let direct = recguard_host::Request::from_json(&text).unwrap();
            let message = request_message(&serde_json::from_str(&text).unwrap()).unwrap();
            let crossed_request = recguard_host::Request::from_json(&request_json(&message).unwrap()).unwrap();
            assert_eq!(crossed_request, direct);
            crossed += 1;
        }
        assert!(crossed >= 5);
    }

    #[test]
    fn what_does_not_fit_a_message_is_named_by_its_json_path() {
        let error = |json: serde_json::Value| request_message(&json).unwrap_err();
        let base = json!({"id": "r", "now-ms": 1, "surface": "hot-list", "user": {"id": "u"}});
        let with = |key: &str, value: serde_json::Value| {
            let mut request = base.clone();
            request[key] = value;
            request
        };
        let message = error(with("candidates", json!([{"id": "a"}, {"id": 7}])));
        assert!(message.starts_with("/candidates/1/id: 7 does not fit"), "{message}");
        let message = error(with("candidates", json!([{"id": "a", "topics": ["x", 3]}])));
        assert!(message.starts_with("/candidates/0/topics/1: 3 does not fit"), "{message}");
        let message = error(with("surface", json!("nowhere")));
        assert!(message.starts_with("/surface: \"nowhere\" does not fit"), "{message}");
        let message = error(with("unknown-key", json!(1)));
        assert_eq!(message, "/unknown-key: no field \"unknown-key\" in Request");
        let message = error(json!([1]));
        assert_eq!(message, "/: expected an object for Request");
    }

    #[test]
    fn enum_values_cross_by_their_json_names_in_either_spelling() {
        let request = |surface: &str| {
            request_message(&json!({"id": "r", "now-ms": 1, "surface": surface, "user": {"id": "u", "age-band": "from12to16"}}))
        };
        let canonical = request("hot-list").unwrap();
        assert_eq!(request("HOT_LIST").unwrap(), canonical);
        assert_eq!(request("hot_list").unwrap(), canonical);
        let back: serde_json::Value = serde_json::from_str(&request_json(&canonical).unwrap()).unwrap();
        assert_eq!(back["surface"], "hot-list");
        assert_eq!(back["user"]["age-band"], "from12to16");
        assert!(request("hot-lis").is_err());
    }
}
