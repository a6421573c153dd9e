//! The API's own bodies and its OpenAPI 3.1 document (`GET /openapi.json`).
//!
//! The document is generated from the types the handlers serialise: the
//! host's [`Request`] and [`Outcome`] (whose types come from `wit/`) and the
//! bodies below, through their JSON Schemas (`schemars`, which follows the
//! types' serde attributes, so unknown fields are refused in the schema as
//! they are by the server). Only the table of routes is written here.

use std::sync::Arc;

use recguard_host::{Outcome, PolicySummary, Request};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde_json::{json, Value};

/// An error answer, for every status but 200 (as `recguard eval` prints it:
/// one line, naming the JSON path where the request is at fault).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    /// What went wrong and what to do about it.
    pub error: String,
}

/// An outcome shared with the receipt writer, serialised as the outcome.
#[derive(Debug)]
pub struct SharedOutcome(pub Arc<Outcome>);

impl Serialize for SharedOutcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl JsonSchema for SharedOutcome {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        Outcome::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        Outcome::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        Outcome::json_schema(generator)
    }
}

/// One answer of a batch, in the order of the requests.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BatchAnswer {
    /// The request's outcome.
    Outcome(SharedOutcome),
    /// Why the request could not be evaluated (`request <i>: …`).
    Error(String),
}

/// `GET /v1/policies`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PolicyList {
    /// The chain's policies, in order.
    pub policies: Vec<PolicySummary>,
}

/// `POST /v1/reload`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReloadAnswer {
    /// Whether the new chain now serves.
    pub reloaded: bool,
    /// The new chain's number of policies (when reloaded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policies: Option<usize>,
    /// Why the last good chain keeps serving (when not reloaded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A response: its status, a description and, unless empty, its media type and schema.
type Answer = (u16, &'static str, Option<(&'static str, Schema)>);

fn operation(summary: &str, body: Option<Schema>, answers: Vec<Answer>) -> Value {
    let mut responses = serde_json::Map::new();
    for (status, description, content) in answers {
        let mut response = json!({ "description": description });
        if let Some((media, schema)) = content {
            response["content"] = json!({ media: { "schema": schema } });
        }
        if status == 503 {
            response["headers"] = json!({ "Retry-After": { "description": "seconds to wait", "schema": { "type": "integer" } } });
        }
        responses.insert(status.to_string(), response);
    }
    let mut operation = json!({ "summary": summary, "responses": responses });
    if let Some(schema) = body {
        operation["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": schema } } });
    }
    operation
}

/// The document, generated once per process (what `GET /openapi.json` answers).
pub fn cached() -> &'static Value {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(document)
}

/// The OpenAPI 3.1 document of the API and admin listeners.
pub fn document() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    let mut generator = settings.into_generator();
    let mut schema = |f: fn(&mut SchemaGenerator) -> Schema| f(&mut generator);
    let request = schema(|g| g.subschema_for::<Request>());
    let requests = schema(|g| g.subschema_for::<Vec<Request>>());
    let outcome = schema(|g| g.subschema_for::<Outcome>());
    let answers = schema(|g| g.subschema_for::<Vec<BatchAnswer>>());
    let error = schema(|g| g.subschema_for::<ErrorBody>());
    let policies = schema(|g| g.subschema_for::<PolicyList>());
    let reload = schema(|g| g.subschema_for::<ReloadAnswer>());
    let text = || Some(("text/plain", schemars::json_schema!({ "type": "string" })));
    let json = |schema: &Schema| Some(("application/json", schema.clone()));
    let refused = |answers: &mut Vec<Answer>| {
        answers.extend([
            (400, "The body is not a request: the message names the JSON path", json(&error)),
            (413, "The body is over the server's --max-body-bytes", json(&error)),
            (503, "Every worker is busy and the queue is full: retry after Retry-After seconds", json(&error)),
            (500, "The host failed (not a policy: a policy's failure is in the outcome)", json(&error)),
        ])
    };
    let mut evaluate = vec![(200, "The outcome: the verdict, the candidates to show and the trace", json(&outcome))];
    refused(&mut evaluate);
    let mut batch = vec![(200, "An answer per request, in order: an outcome or why it failed", json(&answers))];
    refused(&mut batch);
    let paths = json!({
        "/v1/evaluate": { "post": operation("Evaluate one request through the chain", Some(request), evaluate) },
        "/v1/evaluate:batch": { "post": operation("Evaluate many requests in one round trip", Some(requests), batch) },
        "/v1/policies": { "get": operation("The chain's policies: versions, digests, issuer, mode, signer", None, vec![
            (200, "The policies, in chain order", json(&policies)),
        ]) },
        "/v1/reload": { "post": operation("Rebuild the chain now (admin listener only)", None, vec![
            (200, "The new chain serves", json(&reload)),
            (409, "The new chain did not load; the last good chain keeps serving", json(&reload)),
        ]) },
        "/healthz": { "get": operation("Liveness", None, vec![(200, "ok", text())]) },
        "/readyz": { "get": operation("Readiness; says so when the last reload failed", None, vec![(200, "ready", text())]) },
        "/metrics": { "get": operation("Prometheus metrics", None, vec![
            (200, "OpenMetrics text", Some(("application/openmetrics-text", schemars::json_schema!({ "type": "string" })))),
        ]) },
        "/openapi.json": { "get": operation("This document", None, vec![
            (200, "OpenAPI 3.1", Some(("application/json", schemars::json_schema!({ "type": "object" })))),
        ]) },
    });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "recguard sidecar",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Policies on recommendation requests, as WebAssembly components, beside the recommender.",
        },
        "paths": paths,
        "components": { "schemas": generator.take_definitions(true) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn references(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.push(target.clone());
                }
                map.values().for_each(|v| references(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| references(v, found)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves_within_the_document() {
        let document = document();
        let mut found = Vec::new();
        references(&document, &mut found);
        assert!(found.len() > 20, "{found:?}");
        for target in found {
            let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("{target} is not local"));
            assert!(document.pointer(pointer).is_some(), "{target} does not resolve");
        }
        for schema in ["Request", "Outcome", "Candidate", "PolicySummary", "ErrorBody"] {
            assert!(document["components"]["schemas"].get(schema).is_some(), "{schema}");
        }
    }
}
