//! The Kinesis HTTP front door: the JSON 1.1 protocol AWS SDKs and the AWS CLI speak.
//!
//! A request is `POST /` with `X-Amz-Target: Kinesis_20131202.<Operation>`, a body of
//! `application/x-amz-json-1.1` and a SigV4 `Authorization` header. Signatures are accepted
//! without verification, as emulators do, but a request without one is refused as AWS refuses
//! it. Errors answer HTTP 400 (500 for internal failures) with `{"__type", "message"}`.
//! `SubscribeToShard` answers `application/vnd.amazon.eventstream`: the initial response,
//! then an event whenever records are pushed, until the subscription's five minutes are up.
//!
//! [`route`] and [`answer`] decide every answer from the request's head and body (pure of the
//! network: tested without a socket); [`serve`] is the hyper listener around them.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full, Limited, channel::Channel};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};
use streamdrill_engine::api::kinesis::{OPERATIONS, Subscription, TARGET_PREFIX};
use streamdrill_engine::kinesis::{ErrorCode, KinesisError};
use tokio::net::TcpListener;

use super::Served;
use super::eventstream::Message;

/// Largest request body read: a full PutRecords (5 MiB of data) in base64 with its JSON, and
/// room. A larger one is refused before it is read.
pub const BODY_BYTES_MAX: usize = 10 * 1_048_576;
/// Connections open at once; more wait in the kernel's backlog until one closes.
pub const CONNECTIONS_MAX: usize = 256;
/// Subscriptions streaming at once (AWS allows 20 consumers a stream, each one per shard).
pub const SUBSCRIPTIONS_MAX: usize = 64;
/// How often an open subscription looks for new events.
const SUBSCRIPTION_POLL: Duration = Duration::from_millis(200);
/// A client that sends no complete request head in this long is dropped.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";
const EVENT_STREAM_CONTENT_TYPE: &str = "application/vnd.amazon.eventstream";

/// What the door needs of a request's head.
#[derive(Debug, Default, Clone)]
pub struct Head<'a> {
    pub method: &'a str,
    pub target: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub authorized: bool,
    pub content_length: Option<u64>,
}

/// Where a request goes once its head is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Call(&'static str),
    Subscribe,
}

/// A whole JSON answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    fn ok(body: Value) -> Reply {
        Reply { status: 200, body }
    }

    fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
        Reply {
            status,
            body: json!({"__type": code, "message": message.into()}),
        }
    }

    fn of(error: &KinesisError) -> Reply {
        let status = if error.code == ErrorCode::InternalFailure {
            500
        } else {
            400
        };
        Reply::error(status, error.code.name(), error.message.clone())
    }
}

/// Decides from the head alone: the operation to run, or the refusal (no body is read for
/// a refused request).
pub fn route(head: &Head) -> Result<Route, Reply> {
    if head.method != "POST" {
        return Err(Reply::error(
            400,
            "UnknownOperationException",
            format!(
                "the Kinesis API is POST / with an X-Amz-Target header, not {}",
                head.method
            ),
        ));
    }
    if !head.authorized {
        // AWS's common errors: MissingAuthenticationToken is HTTP 403.
        return Err(Reply::error(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    }
    let content_type = head.content_type.unwrap_or("");
    if content_type.starts_with("application/x-amz-cbor") {
        return Err(Reply::error(
            400,
            "SerializationException",
            "this door speaks the JSON protocol only, not CBOR: set AWS_CBOR_DISABLE=true \
             (or CBOR_ENABLED=false; for the Java SDK, -Dcom.amazonaws.sdk.disableCbor=true or \
             -Daws.cborEnabled=false)",
        ));
    }
    if !matches!(
        content_type.split(';').next().unwrap_or("").trim(),
        "application/x-amz-json-1.1" | "application/x-amz-json-1.0" | "application/json"
    ) {
        return Err(Reply::error(
            400,
            "SerializationException",
            format!("Content-Type must be {JSON_CONTENT_TYPE}"),
        ));
    }
    if let Some(len) = head.content_length.filter(|&n| n > BODY_BYTES_MAX as u64) {
        return Err(too_large(len));
    }
    let operation = head
        .target
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        .and_then(|op| OPERATIONS.iter().copied().find(|known| *known == op))
        .ok_or_else(|| {
            Reply::error(
                400,
                "UnknownOperationException",
                match head.target {
                    Some(t) => format!("unknown operation {t}"),
                    None => format!("missing X-Amz-Target ({TARGET_PREFIX}<Operation>)"),
                },
            )
        })?;
    Ok(if operation == "SubscribeToShard" {
        Route::Subscribe
    } else {
        Route::Call(operation)
    })
}

fn too_large(len: u64) -> Reply {
    Reply {
        status: 413,
        body: json!({
            "__type": "SerializationException",
            "message": format!("request body of {len} bytes is over the {BODY_BYTES_MAX} this door reads"),
        }),
    }
}

/// The request body as JSON (an empty body is an empty request, as the CLI sends for
/// `list-streams`).
pub fn parse_body(body: &[u8]) -> Result<Value, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| {
        Reply::error(
            400,
            "SerializationException",
            format!("the request body is not JSON: {e}"),
        )
    })
}

/// Runs a called operation.
pub fn answer(served: &Served, operation: &str, body: &[u8]) -> Reply {
    let request = match parse_body(body) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    served.with(|world| match world.kinesis_call(operation, &request) {
        Ok(v) => Reply::ok(v),
        Err(e) => Reply::of(&e),
    })
}

type Body = Either<Full<Bytes>, Channel<Bytes>>;

/// Counts and names the door's requests.
#[derive(Default)]
struct Door {
    connections: AtomicUsize,
    subscriptions: AtomicUsize,
    requests: AtomicU64,
    log_requests: bool,
}

/// Accepts connections on `listener` until the process ends.
pub async fn serve(listener: TcpListener, served: Arc<Served>, log_requests: bool) {
    let door = Arc::new(Door {
        log_requests,
        ..Door::default()
    });
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait, then go on accepting.
                eprintln!("kinesis door: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if door.connections.load(Ordering::Relaxed) >= CONNECTIONS_MAX {
            drop(stream);
            continue;
        }
        door.connections.fetch_add(1, Ordering::Relaxed);
        let served = served.clone();
        let door = door.clone();
        tokio::spawn(async move {
            let service = service_fn(|req| handle(served.clone(), door.clone(), peer, req));
            let _ = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            door.connections.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

async fn handle(
    served: Arc<Served>,
    door: Arc<Door>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let id = door.requests.fetch_add(1, Ordering::Relaxed);
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let head = Head {
        method: req.method().as_str(),
        target: header("x-amz-target"),
        content_type: header("content-type"),
        authorized: req.headers().contains_key("authorization"),
        content_length: header("content-length").and_then(|n| n.parse().ok()),
    };
    let routed = route(&head);
    let target = head.target.unwrap_or("-").to_owned();
    let reply = match routed {
        Err(reply) => reply,
        Ok(route) => match Limited::new(req.into_body(), BODY_BYTES_MAX)
            .collect()
            .await
        {
            Err(_) => too_large(BODY_BYTES_MAX as u64 + 1),
            Ok(body) => {
                let body = body.to_bytes();
                match route {
                    Route::Call(operation) => answer(&served, operation, &body),
                    Route::Subscribe => match open_subscription(&served, &door, &body) {
                        Ok((sub, first)) => {
                            if door.log_requests {
                                log(peer, &target, 200);
                            }
                            return Ok(stream_events(served, door, sub, first, id));
                        }
                        Err(reply) => reply,
                    },
                }
            }
        },
    };
    if door.log_requests {
        log(peer, &target, reply.status);
    }
    Ok(json_response(&reply, id))
}

fn log(peer: SocketAddr, target: &str, status: u16) {
    eprintln!(
        "kinesis door: {peer} {} {status}",
        crate::text::sanitize_line(target.trim_start_matches(TARGET_PREFIX))
    );
}

fn open_subscription(
    served: &Served,
    door: &Door,
    body: &[u8],
) -> Result<(Subscription, Vec<Value>), Reply> {
    let request = parse_body(body)?;
    if door.subscriptions.load(Ordering::Relaxed) >= SUBSCRIPTIONS_MAX {
        return Err(Reply::error(
            400,
            "LimitExceededException",
            format!("this door streams at most {SUBSCRIPTIONS_MAX} subscriptions at once"),
        ));
    }
    served.with(|world| {
        let sub = world
            .kinesis_subscribe(&request)
            .map_err(|e| Reply::of(&e))?;
        let (first, _) = world.kinesis_events(&sub).map_err(|e| Reply::of(&e))?;
        Ok((sub, first))
    })
}

/// Answers a subscription: the initial response and the events pushed so far at once, then
/// new events as virtual time moves, until the subscription ends or the client goes away.
fn stream_events(
    served: Arc<Served>,
    door: Arc<Door>,
    sub: Subscription,
    first: Vec<Value>,
    id: u64,
) -> Response<Body> {
    let (mut sender, body) = Channel::<Bytes>::new(16);
    door.subscriptions.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(async move {
        let initial = Message::json_event("initial-response", b"{}".to_vec());
        let mut pending = vec![initial];
        pending.extend(first.iter().map(event_message));
        // Sends what is pending, then stops once the subscription (or the client) is done.
        let mut ended = false;
        'stream: loop {
            for message in pending.drain(..) {
                let Ok(bytes) = message.encode() else {
                    continue;
                };
                if sender.send_data(Bytes::from(bytes)).await.is_err() {
                    break 'stream;
                }
            }
            if ended {
                break;
            }
            tokio::time::sleep(SUBSCRIPTION_POLL).await;
            match served.with(|world| world.kinesis_events(&sub)) {
                Ok((events, done)) => {
                    pending.extend(events.iter().map(event_message));
                    ended = done;
                }
                Err(e) => {
                    let payload = json!({"message": e.message}).to_string().into_bytes();
                    pending.push(Message::exception(e.code.name(), payload));
                    ended = true;
                }
            }
        }
        door.subscriptions.fetch_sub(1, Ordering::Relaxed);
    });
    let mut response = Response::new(Either::Right(body));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(EVENT_STREAM_CONTENT_TYPE),
    );
    insert_request_id(headers, id);
    response
}

fn event_message(event: &Value) -> Message {
    Message::json_event("SubscribeToShardEvent", event.to_string().into_bytes())
}

fn json_response(reply: &Reply, id: u64) -> Response<Body> {
    let body = reply.body.to_string();
    let length = body.len();
    let mut response = Response::new(Either::Left(Full::new(Bytes::from(body))));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    insert_request_id(headers, id);
    response
}

fn insert_request_id(headers: &mut hyper::HeaderMap, id: u64) {
    if let Ok(v) = HeaderValue::from_str(&format!("00000000-0000-4000-8000-{id:012x}")) {
        headers.insert("x-amzn-requestid", v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doors::clock::WallClock;
    use crate::doors::world::World;
    use streamdrill_engine::{Console, SimDuration};

    fn head(target: &str) -> Head<'_> {
        Head {
            method: "POST",
            target: Some(target),
            content_type: Some(JSON_CONTENT_TYPE),
            authorized: true,
            content_length: Some(2),
        }
    }

    fn served() -> Served {
        let world = World::Free(Box::new(Console::new(1)));
        Served::new(
            world,
            WallClock::new(1.0, crate::shell::clock::instant(), SimDuration::ZERO),
        )
    }

    fn code(reply: &Reply) -> &str {
        reply.body["__type"].as_str().unwrap_or("")
    }

    #[test]
    fn the_head_routes_to_an_operation() {
        assert_eq!(
            route(&head("Kinesis_20131202.PutRecords")),
            Ok(Route::Call("PutRecords"))
        );
        assert_eq!(
            route(&head("Kinesis_20131202.SubscribeToShard")),
            Ok(Route::Subscribe)
        );
    }

    #[test]
    fn heads_aws_refuses_are_refused_the_same_way() {
        let unsigned = Head {
            authorized: false,
            ..head("Kinesis_20131202.ListStreams")
        };
        assert_eq!(
            code(&route(&unsigned).unwrap_err()),
            "MissingAuthenticationTokenException"
        );
        let unknown = route(&head("Kinesis_20131202.Teleport")).unwrap_err();
        assert_eq!(code(&unknown), "UnknownOperationException");
        let other_service = route(&head("DynamoDB_20120810.ListTables")).unwrap_err();
        assert_eq!(code(&other_service), "UnknownOperationException");
        let cbor = Head {
            content_type: Some("application/x-amz-cbor-1.1"),
            ..head("Kinesis_20131202.ListStreams")
        };
        let refused = route(&cbor).unwrap_err();
        assert!(
            refused.body["message"]
                .as_str()
                .unwrap()
                .contains("AWS_CBOR_DISABLE")
        );
        let huge = Head {
            content_length: Some(BODY_BYTES_MAX as u64 + 1),
            ..head("Kinesis_20131202.PutRecords")
        };
        assert_eq!(route(&huge).unwrap_err().status, 413);
        let get = Head {
            method: "GET",
            ..head("Kinesis_20131202.ListStreams")
        };
        assert_eq!(route(&get).unwrap_err().status, 400);
    }

    #[test]
    fn bodies_become_answers_or_aws_errors() {
        let served = served();
        let created = answer(
            &served,
            "CreateStream",
            br#"{"StreamName":"s","ShardCount":1}"#,
        );
        assert_eq!(created, Reply::ok(json!({})));
        let listed = answer(&served, "ListStreams", b"");
        assert_eq!(listed.body["StreamNames"], json!(["s"]));
        let garbage = answer(&served, "ListStreams", b"{not json");
        assert_eq!(
            (garbage.status, code(&garbage)),
            (400, "SerializationException")
        );
        let wrong_type = answer(&served, "DescribeStream", br#"{"StreamName":["s"]}"#);
        assert_eq!(code(&wrong_type), "SerializationException");
        let missing = answer(&served, "DescribeStream", br#"{"StreamName":"t"}"#);
        assert_eq!(code(&missing), "ResourceNotFoundException");
    }
}
