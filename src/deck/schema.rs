//! The JSON Schema of deck files (`schema/deck.schema.json`), generated from the Rust types so it
//! cannot drift from what the loader accepts. A test fails when the committed file is stale;
//! `streamdrill schema` prints it.

use schemars::{JsonSchema, schema_for};
use serde_json::{Map, Value, json};

use super::model::{Calc, CardCommon, Choice, Compare, DeckMeta, Failure, Myth, Numeric, Question};

/// The committed schema's path, relative to the repository.
pub const SCHEMA_PATH: &str = "schema/deck.schema.json";
pub const PRICES_SCHEMA_PATH: &str = "schema/prices.schema.json";

/// The price sheet's schema (`content/prices.toml`), pretty JSON with a trailing newline.
pub fn prices_schema_json() -> String {
    let mut schema = schemars::schema_for!(streamdrill_engine::cost::PriceSheet).to_value();
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "$id".into(),
            Value::from("https://github.com/streamdrill/streamdrill/schema/prices.schema.json"),
        );
    }
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// The deck file schema as pretty JSON with a trailing newline.
pub fn deck_schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&deck_schema()).unwrap_or_default();
    text.push('\n');
    text
}

pub fn deck_schema() -> Value {
    let mut defs = Map::new();
    let deck = take_into_defs(schema_for!(DeckMeta).to_value(), &mut defs);
    let common = take_into_defs(schema_for!(CardCommon).to_value(), &mut defs);

    let mut kinds = Vec::new();
    for (kind, schema) in [
        ("question", kind_schema::<Question>(&mut defs)),
        ("myth", kind_schema::<Myth>(&mut defs)),
        ("failure", kind_schema::<Failure>(&mut defs)),
        ("compare", kind_schema::<Compare>(&mut defs)),
        ("choice", kind_schema::<Choice>(&mut defs)),
        ("numeric", kind_schema::<Numeric>(&mut defs)),
        ("calc", kind_schema::<Calc>(&mut defs)),
    ] {
        kinds.push(card_schema(kind, &common, &schema));
    }

    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/streamdrill/streamdrill/schema/deck.schema.json",
        "title": "streamdrill deck (format version 1)",
        "description": "One TOML file is one deck: a [deck] table and [[cards]]. Each card's `kind` decides its fields; unknown fields are errors.",
        "type": "object",
        "additionalProperties": false,
        "required": ["deck", "cards"],
        "properties": {
            "deck": deck,
            "cards": {
                "type": "array",
                "minItems": 1,
                "items": { "oneOf": kinds }
            }
        },
        "$defs": defs
    })
}

fn kind_schema<T: JsonSchema>(defs: &mut Map<String, Value>) -> Value {
    take_into_defs(schema_for!(T).to_value(), defs)
}

/// Moves a root schema's `$defs` into the shared ones and returns the rest.
fn take_into_defs(mut schema: Value, defs: &mut Map<String, Value>) -> Value {
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
        if let Some(Value::Object(own)) = object.remove("$defs") {
            defs.extend(own);
        }
    }
    schema
}

/// A card of one kind: the common fields, `kind` fixed to its name, then the kind's fields.
fn card_schema(kind: &str, common: &Value, body: &Value) -> Value {
    let mut properties = Map::new();
    properties.insert("kind".into(), json!({ "const": kind }));
    let mut required = vec![Value::from("kind")];
    for part in [common, body] {
        if let Some(props) = part.get("properties").and_then(Value::as_object) {
            properties.extend(props.clone());
        }
        if let Some(req) = part.get("required").and_then(Value::as_array) {
            required.extend(req.iter().cloned());
        }
    }
    let mut schema = Map::new();
    schema.insert("title".into(), json!(format!("{kind} card")));
    if let Some(description) = body.get("description") {
        schema.insert("description".into(), description.clone());
    }
    schema.insert("type".into(), json!("object"));
    schema.insert("additionalProperties".into(), json!(false));
    schema.insert("required".into(), Value::Array(required));
    schema.insert("properties".into(), Value::Object(properties));
    Value::Object(schema)
}
