//! The admin requests a client's `AdminClient` (or `kcat`, `kafka-topics` pointed at the door)
//! sends: CreateTopics (v0-v4), DeleteTopics (v0-v3) and DescribeConfigs of topics (v0-v3),
//! read off the wire and answered through the engine's broker API, which checks them as the
//! controller does. In a lab the cluster is the lab's: changes are refused.

use streamdrill_engine::api::kafka as api;

use super::protocol::{code, error_code};
use super::wire::{Reader, WireError, Writer};
use crate::doors::Served;

pub const API_CREATE_TOPICS: i16 = 19;
pub const API_DELETE_TOPICS: i16 = 20;
pub const API_DESCRIBE_CONFIGS: i16 = 32;

pub const SUPPORTED: [(i16, i16, i16); 3] = [
    (API_CREATE_TOPICS, 0, 4),
    (API_DELETE_TOPICS, 0, 3),
    (API_DESCRIBE_CONFIGS, 0, 3),
];

/// DescribeConfigs' resource type of a topic (a broker is 4).
const RESOURCE_TOPIC: i8 = 2;
/// DescribeConfigs' config sources (v1+).
const SOURCE_TOPIC: i8 = 1;
const SOURCE_DEFAULT: i8 = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    pub name: String,
    pub partitions: i32,
    pub replication_factor: i16,
    /// Replica assignments given by hand (refused: the controller places replicas).
    pub manual_assignment: bool,
    pub configs: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminRequest {
    CreateTopics {
        topics: Vec<NewTopic>,
        validate_only: bool,
    },
    DeleteTopics {
        names: Vec<String>,
    },
    DescribeConfigs {
        /// Resource type, name, the config names asked for (`None`: all).
        resources: Vec<(i8, String, Option<Vec<String>>)>,
    },
}

pub fn parse(r: &mut Reader<'_>, api: i16, v: i16) -> Result<AdminRequest, WireError> {
    Ok(match api {
        API_CREATE_TOPICS => {
            let mut topics = Vec::new();
            for _ in 0..r.array_len(14)?.unwrap_or(0) {
                let name = r.string()?;
                let partitions = r.i32()?;
                let replication_factor = r.i16()?;
                let mut manual_assignment = false;
                for _ in 0..r.array_len(8)?.unwrap_or(0) {
                    let _partition = r.i32()?;
                    for _ in 0..r.array_len(4)?.unwrap_or(0) {
                        r.i32()?;
                    }
                    manual_assignment = true;
                }
                let mut configs = Vec::new();
                for _ in 0..r.array_len(4)?.unwrap_or(0) {
                    let key = r.string()?;
                    let value = r.nullable_string()?.unwrap_or_default();
                    configs.push((key, value));
                }
                topics.push(NewTopic {
                    name,
                    partitions,
                    replication_factor,
                    manual_assignment,
                    configs,
                });
            }
            let _timeout_ms = r.i32()?;
            let validate_only = v >= 1 && r.i8()? != 0;
            AdminRequest::CreateTopics {
                topics,
                validate_only,
            }
        }
        API_DELETE_TOPICS => {
            let mut names = Vec::new();
            for _ in 0..r.array_len(2)?.unwrap_or(0) {
                names.push(r.string()?);
            }
            let _timeout_ms = r.i32()?;
            AdminRequest::DeleteTopics { names }
        }
        API_DESCRIBE_CONFIGS => {
            let mut resources = Vec::new();
            for _ in 0..r.array_len(7)?.unwrap_or(0) {
                let kind = r.i8()?;
                let name = r.string()?;
                let keys = match r.array_len(2)? {
                    None => None,
                    Some(n) => {
                        let mut keys = Vec::with_capacity(n);
                        for _ in 0..n {
                            keys.push(r.string()?);
                        }
                        Some(keys)
                    }
                };
                resources.push((kind, name, keys));
            }
            if v >= 1 {
                let _include_synonyms = r.i8()?;
            }
            if v >= 3 {
                let _include_documentation = r.i8()?;
            }
            AdminRequest::DescribeConfigs { resources }
        }
        _ => return Err(WireError(format!("API {api} is not an admin API"))),
    })
}

/// The response body for an admin request.
pub fn answer(served: &Served, v: i16, request: AdminRequest) -> Vec<u8> {
    match request {
        AdminRequest::CreateTopics {
            topics,
            validate_only,
        } => {
            let results: Vec<(String, i16, Option<String>)> = topics
                .into_iter()
                .map(|t| {
                    let result = served.with(|world| {
                        if !world.kafka_writable() {
                            return Err((
                                code::CLUSTER_AUTHORIZATION_FAILED,
                                "in a lab the cluster is the lab's".to_string(),
                            ));
                        }
                        if t.manual_assignment {
                            return Err((
                                code::INVALID_REQUEST,
                                "replica assignments are placed by the controller here: give partitions and a replication factor".to_string(),
                            ));
                        }
                        let Some((kafka, now)) = world.kafka() else {
                            return Err((code::UNKNOWN_SERVER_ERROR, "no cluster".to_string()));
                        };
                        api::create_topic(
                            kafka,
                            &t.name,
                            t.partitions,
                            t.replication_factor,
                            &t.configs,
                            validate_only,
                            now,
                        )
                        .map_err(|e| (error_code(e.code), e.message))
                    });
                    match result {
                        Ok(()) => (t.name, code::NONE, None),
                        Err((error, message)) => (t.name, error, Some(message)),
                    }
                })
                .collect();
            let mut w = Writer::default();
            if v >= 2 {
                w.i32(0);
            }
            w.array_len(results.len());
            for (name, error, message) in &results {
                w.string(name).i16(*error);
                if v >= 1 {
                    w.nullable_string(message.as_deref());
                }
            }
            w.buf
        }
        AdminRequest::DeleteTopics { names } => {
            let mut w = Writer::default();
            if v >= 1 {
                w.i32(0);
            }
            w.array_len(names.len());
            for name in &names {
                let error = served.with(|world| {
                    if !world.kafka_writable() {
                        return code::TOPIC_AUTHORIZATION_FAILED;
                    }
                    match world.kafka() {
                        Some((kafka, now)) => api::delete_topic(kafka, name, now)
                            .err()
                            .map_or(code::NONE, |e| error_code(e.code)),
                        None => code::UNKNOWN_SERVER_ERROR,
                    }
                });
                w.string(name).i16(error);
            }
            w.buf
        }
        AdminRequest::DescribeConfigs { resources } => describe_configs(served, v, &resources),
    }
}

fn describe_configs(
    served: &Served,
    v: i16,
    resources: &[(i8, String, Option<Vec<String>>)],
) -> Vec<u8> {
    let mut w = Writer::default();
    w.i32(0).array_len(resources.len());
    for (kind, name, keys) in resources {
        let entries = if *kind == RESOURCE_TOPIC {
            served.with(|world| match world.kafka() {
                Some((kafka, _)) => {
                    api::topic_configs(kafka, name).map_err(|e| (error_code(e.code), e.message))
                }
                None => Err((code::UNKNOWN_SERVER_ERROR, "no cluster".to_string())),
            })
        } else {
            Err((
                code::INVALID_REQUEST,
                "only topic configs are described here (resource type 2)".to_string(),
            ))
        };
        match entries {
            Ok(entries) => {
                let shown: Vec<_> = entries
                    .into_iter()
                    .filter(|e| keys.as_ref().is_none_or(|k| k.contains(&e.name)))
                    .collect();
                w.i16(code::NONE)
                    .nullable_string(None)
                    .i8(*kind)
                    .string(name);
                w.array_len(shown.len());
                for e in &shown {
                    w.string(&e.name)
                        .nullable_string(Some(&e.value))
                        .bool(false);
                    if v == 0 {
                        w.bool(!e.overridden);
                    } else {
                        w.i8(if e.overridden {
                            SOURCE_TOPIC
                        } else {
                            SOURCE_DEFAULT
                        });
                    }
                    w.bool(false);
                    if v >= 1 {
                        w.array_len(0);
                    }
                    if v >= 3 {
                        // Config type unknown (0) and no documentation.
                        w.i8(0).nullable_string(None);
                    }
                }
            }
            Err((error, message)) => {
                w.i16(error)
                    .nullable_string(Some(&message))
                    .i8(*kind)
                    .string(name);
                w.array_len(0);
            }
        }
    }
    w.buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_topics_reads_counts_configs_and_validate_only() {
        let mut w = Writer::default();
        w.array_len(1).string("orders").i32(6).i16(3);
        w.array_len(0);
        w.array_len(1)
            .string("retention.ms")
            .nullable_string(Some("60000"));
        w.i32(30_000).i8(1);
        let r = parse(&mut Reader::new(&w.buf), API_CREATE_TOPICS, 4).unwrap();
        assert_eq!(
            r,
            AdminRequest::CreateTopics {
                topics: vec![NewTopic {
                    name: "orders".into(),
                    partitions: 6,
                    replication_factor: 3,
                    manual_assignment: false,
                    configs: vec![("retention.ms".into(), "60000".into())],
                }],
                validate_only: true,
            }
        );
        for n in 0..w.buf.len() {
            assert!(
                parse(&mut Reader::new(&w.buf[..n]), API_CREATE_TOPICS, 4).is_err(),
                "{n}"
            );
        }
    }
}
