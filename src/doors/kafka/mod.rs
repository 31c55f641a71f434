//! The Kafka front door: one listener per simulated broker on 127.0.0.1, so a real client
//! (kcat, kafka-python, the Java client) bootstraps from any of them, follows metadata to the
//! leaders, and meets the cluster's faults as they are: a stopped broker's port refuses
//! connections and its open connections close, a paused one stops answering, a follower
//! answers NOT_LEADER_OR_FOLLOWER, a shrunken ISR NOT_ENOUGH_REPLICAS.
//!
//! [`wire`] and [`records`] read frames with every length bounded; [`protocol`] parses the
//! requests and encodes the responses; this module is the sockets.

pub mod admin;
pub mod compression;
pub mod coordinator;
pub mod group_protocol;
pub mod protocol;
pub mod records;
pub mod txn;
/// The protocol's primitive types, shared with the engine's group coordinator (whose member
/// metadata is in the same encoding).
pub use streamdrill_engine::kafka::wire;

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use streamdrill_engine::api::kafka as api;
use streamdrill_engine::kafka::cluster::{AckState, Acks, BrokerState};
use streamdrill_engine::kafka::error::ErrorCode;
use streamdrill_engine::kafka::log::NO_PRODUCER;
use streamdrill_engine::kafka::log::Writer as BatchWriter;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::Served;
use protocol::{Fetched, Listed, ProduceTopics, Produced, Refused, Request, code};
use records::BatchError;

/// Largest request frame read (Kafka's `socket.request.max.bytes` is 100 MiB; a lab needs
/// far less). A larger one closes the connection.
pub const FRAME_BYTES_MAX: usize = 16 * 1_048_576;
/// Connections open at once per broker.
pub const CONNECTIONS_PER_BROKER_MAX: usize = 64;
/// How long a Fetch waits for data at most, whatever `max.wait.ms` asks.
const FETCH_WAIT_MAX: Duration = Duration::from_secs(5);
/// How often a waiting request (acks=all, a long-polling fetch, a paused broker) looks again.
pub(crate) const POLL: Duration = Duration::from_millis(1);

/// The brokers' listeners: broker id to port.
pub type Ports = BTreeMap<u32, u16>;

/// Binds one listener per broker: `base` for broker 1, the next ports for the others (or a
/// free port each when `base` has port 0).
pub async fn bind(base: SocketAddr, brokers: &[u32]) -> std::io::Result<Vec<(u32, TcpListener)>> {
    let mut out = Vec::new();
    for (i, id) in brokers.iter().enumerate() {
        let port = if base.port() == 0 {
            0
        } else {
            base.port()
                .saturating_add(u16::try_from(i).unwrap_or(u16::MAX))
        };
        out.push((
            *id,
            TcpListener::bind(SocketAddr::new(base.ip(), port)).await?,
        ));
    }
    Ok(out)
}

/// Serves every broker's listener until the process ends.
pub fn spawn(served: &Arc<Served>, listeners: Vec<(u32, TcpListener)>, ip: IpAddr) -> Ports {
    let ports: Ports = listeners
        .iter()
        .filter_map(|(id, l)| l.local_addr().ok().map(|a| (*id, a.port())))
        .collect();
    let shared = Arc::new(ports.clone());
    for (broker, listener) in listeners {
        tokio::spawn(broker_listener(
            served.clone(),
            shared.clone(),
            broker,
            listener,
            ip,
        ));
    }
    ports
}

fn broker_state(served: &Served, broker: u32) -> Option<BrokerState> {
    served.with(|world| {
        world
            .kafka()
            .and_then(|(k, _)| k.cluster.brokers.get(&broker).map(|b| b.state))
    })
}

fn is_stopped(served: &Served, broker: u32) -> bool {
    matches!(
        broker_state(served, broker),
        Some(BrokerState::Stopped) | None
    )
}

/// Accepts while the broker runs; while it is stopped its port is closed (a client's connect
/// is refused), and it listens again on the same port when the broker starts.
async fn broker_listener(
    served: Arc<Served>,
    ports: Arc<Ports>,
    broker: u32,
    listener: TcpListener,
    ip: IpAddr,
) {
    let port = ports.get(&broker).copied().unwrap_or(0);
    let open = Arc::new(AtomicUsize::new(0));
    let mut listener = Some(listener);
    loop {
        if is_stopped(&served, broker) {
            listener = None;
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let current = match listener.take() {
            Some(l) => l,
            None => match TcpListener::bind(SocketAddr::new(ip, port)).await {
                Ok(l) => l,
                Err(e) => {
                    eprintln!(
                        "kafka door: broker {broker} cannot listen on port {port} again: {e}"
                    );
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        if let Ok(Ok((stream, peer))) =
            tokio::time::timeout(Duration::from_millis(100), current.accept()).await
        {
            if open.load(Ordering::Relaxed) >= CONNECTIONS_PER_BROKER_MAX {
                drop(stream);
            } else {
                open.fetch_add(1, Ordering::Relaxed);
                let (served, ports, open) = (served.clone(), ports.clone(), open.clone());
                tokio::spawn(async move {
                    if let Err(reason) = connection(&served, &ports, broker, stream, peer).await {
                        eprintln!(
                            "kafka door: broker {broker} closed the connection from {peer}: {}",
                            crate::text::sanitize_line(&reason)
                        );
                    }
                    open.fetch_sub(1, Ordering::Relaxed);
                });
            }
        }
        listener = Some(current);
    }
}

/// A response being made: its bytes (none for acks=0), or why the connection closes.
type Response = Pin<Box<dyn Future<Output = Result<Option<Vec<u8>>, String>> + Send>>;

/// Requests read ahead of their responses on one connection (librdkafka keeps up to five
/// produce requests in flight per partition).
const IN_FLIGHT_MAX: usize = 16;

/// One client connection: frames in, responses out, in order. A Produce is appended when it
/// arrives, so its records land in the order the client sent them, and the next request is
/// read while it waits for acks=all; a writer sends the responses in request order.
async fn connection(
    served: &Arc<Served>,
    ports: &Arc<Ports>,
    broker: u32,
    stream: TcpStream,
    peer: SocketAddr,
) -> Result<(), String> {
    let host = peer.ip().to_string();
    let _ = stream.set_nodelay(true);
    let (mut reader, mut writer) = stream.into_split();
    let (queue, mut responses) = tokio::sync::mpsc::channel::<Response>(IN_FLIGHT_MAX);
    let written = tokio::spawn(async move {
        while let Some(response) = responses.recv().await {
            if let Some(bytes) = response.await? {
                writer
                    .write_all(&bytes)
                    .await
                    .map_err(|e| format!("cannot answer: {e}"))?;
            }
        }
        Ok::<(), String>(())
    });
    let read = read_requests(served, ports, broker, &host, &mut reader, &queue).await;
    drop(queue);
    if read.is_err() {
        // The broker stopped: what it had not answered is never answered.
        written.abort();
        return read;
    }
    written
        .await
        .unwrap_or_else(|e| Err(format!("the writer failed: {e}")))
}

/// Reads frames and queues their responses; returns how the connection ended.
async fn read_requests(
    served: &Arc<Served>,
    ports: &Arc<Ports>,
    broker: u32,
    host: &str,
    stream: &mut tokio::net::tcp::OwnedReadHalf,
    queue: &tokio::sync::mpsc::Sender<Response>,
) -> Result<(), String> {
    loop {
        let mut size = [0u8; 4];
        // Wake now and then to notice the broker stopping under an idle connection.
        match tokio::time::timeout(Duration::from_millis(200), stream.read_exact(&mut size)).await {
            Err(_) => {
                if is_stopped(served, broker) {
                    return Err("the broker stopped".into());
                }
                continue;
            }
            Ok(Err(_)) => return Ok(()),
            Ok(Ok(_)) => {}
        }
        let len = i32::from_be_bytes(size);
        let len = usize::try_from(len)
            .ok()
            .filter(|&n| n <= FRAME_BYTES_MAX)
            .ok_or_else(|| format!("a frame of {len} bytes (at most {FRAME_BYTES_MAX})"))?;
        let mut frame = vec![0u8; len];
        stream
            .read_exact(&mut frame)
            .await
            .map_err(|e| format!("the frame ended early: {e}"))?;
        // A paused broker holds the request; a stopped one drops the connection.
        loop {
            match broker_state(served, broker) {
                Some(BrokerState::Running) => break,
                Some(BrokerState::Paused(_)) => tokio::time::sleep(POLL * 100).await,
                _ => return Err("the broker stopped".into()),
            }
        }
        let response: Response = match protocol::parse(&frame) {
            Ok((header, request)) => {
                let correlation = header.correlation_id;
                let version = header.api_version;
                let (served, ports) = (served.clone(), ports.clone());
                let client_id = header.client_id.unwrap_or_default();
                let host = host.to_string();
                match request {
                    // Appended now, in arrival order; answered when acknowledged.
                    Request::Produce {
                        acks,
                        timeout_ms,
                        topics,
                    } if served.with(|world| world.kafka_writable()) => {
                        let appended = append_all(&served, broker, acks, &topics);
                        Box::pin(async move {
                            let body =
                                finish_produce(&served, version, acks, timeout_ms, appended).await;
                            Ok(body.map(|b| protocol::frame(correlation, &b)))
                        })
                    }
                    request => Box::pin(async move {
                        let caller = coordinator::Caller {
                            client_id: &client_id,
                            host: &host,
                        };
                        let body = answer(&served, &ports, broker, version, &caller, request).await;
                        Ok(body.map(|b| protocol::frame(correlation, &b)))
                    }),
                }
            }
            Err(Refused::UnsupportedVersion(h)) if h.api_key == protocol::API_VERSIONS => {
                let bytes = protocol::frame(
                    h.correlation_id,
                    &protocol::api_versions(0, code::UNSUPPORTED_VERSION),
                );
                Box::pin(async move { Ok(Some(bytes)) })
            }
            Err(refused) => {
                let reason = match refused {
                    Refused::UnsupportedVersion(h) => format!(
                        "API {} version {} is not supported (ApiVersions lists what is)",
                        h.api_key, h.api_version
                    ),
                    Refused::UnknownApi(h) => {
                        format!("API key {} is not one this door answers", h.api_key)
                    }
                    Refused::Malformed(reason) => format!("a malformed request: {reason}"),
                };
                // Answer what came before, then close.
                let _ = queue.send(Box::pin(async move { Err(reason) })).await;
                return Ok(());
            }
        };
        if queue.send(response).await.is_err() {
            return Ok(());
        }
    }
}

/// The response body (none for a Produce with acks=0, which Kafka does not answer).
async fn answer(
    served: &Served,
    ports: &Ports,
    broker: u32,
    version: i16,
    caller: &coordinator::Caller<'_>,
    request: Request,
) -> Option<Vec<u8>> {
    match request {
        Request::ApiVersions => Some(protocol::api_versions(version, code::NONE)),
        Request::Metadata { topics } => Some(served.with(|world| {
            world.kafka().map_or_else(Vec::new, |(kafka, _)| {
                let view = api::metadata(kafka, topics.as_deref());
                protocol::metadata(version, &view, ports)
            })
        })),
        Request::Produce { acks, topics, .. } if !served.with(|world| world.kafka_writable()) => {
            refuse_produce(version, acks, &topics)
        }
        Request::Produce {
            acks,
            timeout_ms,
            topics,
        } => {
            let appended = append_all(served, broker, acks, &topics);
            finish_produce(served, version, acks, timeout_ms, appended).await
        }
        Request::Fetch {
            max_wait_ms,
            max_bytes,
            read_committed,
            topics,
            ..
        } => Some(
            fetch(
                served,
                broker,
                version,
                max_wait_ms,
                max_bytes,
                read_committed,
                &topics,
            )
            .await,
        ),
        Request::InitProducerId {
            transactional_id,
            transaction_timeout_ms,
        } => Some(init_producer_id(
            served,
            broker,
            transactional_id.as_deref(),
            transaction_timeout_ms,
        )),
        Request::ListOffsets { topics } => Some(list_offsets(served, broker, version, &topics)),
        Request::Admin(request) => Some(admin::answer(served, version, request)),
        Request::Txn(request) => Some(txn::answer(served, broker, request)),
        Request::Group(request) => {
            Some(coordinator::answer(served, ports, broker, version, caller, request).await)
        }
    }
}

/// A Produce in a lab: refused, partition by partition (the lab's producers write).
fn refuse_produce(version: i16, acks: i16, topics: &ProduceTopics) -> Option<Vec<u8>> {
    eprintln!(
        "kafka door: a produce refused: in a lab a client watches the cluster; its producers are the lab's"
    );
    let refused: Vec<(String, Vec<Produced>)> = topics
        .iter()
        .map(|(name, partitions)| {
            let each = partitions
                .iter()
                .map(|(index, _)| Produced {
                    index: *index,
                    error: code::TOPIC_AUTHORIZATION_FAILED,
                    base_offset: -1,
                    log_start_offset: -1,
                    message: Some("in a lab a client only reads".into()),
                })
                .collect();
            (name.clone(), each)
        })
        .collect();
    (acks != 0).then(|| protocol::produce(version, &refused))
}

/// InitProducerId: an idempotent producer's new id, or a transactional id's producer id at a
/// new epoch (from its coordinator, which fences older instances).
fn init_producer_id(
    served: &Served,
    broker: u32,
    transactional_id: Option<&str>,
    timeout_ms: i32,
) -> Vec<u8> {
    served.with(|world| {
        if !world.kafka_writable() {
            return protocol::init_producer_id(code::CLUSTER_AUTHORIZATION_FAILED, -1, -1);
        }
        let Some((kafka, now)) = world.kafka() else {
            return protocol::init_producer_id(code::UNKNOWN_SERVER_ERROR, -1, -1);
        };
        let got = match transactional_id {
            Some(id) => streamdrill_engine::api::kafka_txn::init_transactional(
                kafka, broker, id, timeout_ms, now,
            ),
            None => Ok(api::init_producer_id(kafka)),
        };
        match got {
            Ok((id, epoch)) => protocol::init_producer_id(
                code::NONE,
                i64::try_from(id).unwrap_or(-1),
                i16::try_from(epoch).unwrap_or(0),
            ),
            Err(e) => protocol::init_producer_id(protocol::error_code(e.code), -1, -1),
        }
    })
}

fn list_offsets(
    served: &Served,
    broker: u32,
    version: i16,
    topics: &[(String, Vec<(i32, i64)>)],
) -> Vec<u8> {
    served.with(|world| {
        let answers: Vec<(String, Vec<Listed>)> = topics
            .iter()
            .map(|(name, partitions)| {
                let listed = partitions
                    .iter()
                    .map(|&(index, timestamp)| {
                        let partition = u32::try_from(index).unwrap_or(u32::MAX);
                        let got = world.kafka().map(|(kafka, _)| {
                            api::list_offsets(kafka, broker, name, partition, timestamp)
                        });
                        match got {
                            Some(Ok((offset, ts))) => Listed {
                                index,
                                error: code::NONE,
                                timestamp: ts,
                                offset: i64::try_from(offset).unwrap_or(i64::MAX),
                            },
                            Some(Err(e)) => Listed {
                                index,
                                error: protocol::error_code(e.code),
                                timestamp: -1,
                                offset: -1,
                            },
                            None => Listed {
                                index,
                                error: code::UNKNOWN_TOPIC_OR_PARTITION,
                                timestamp: -1,
                                offset: -1,
                            },
                        }
                    })
                    .collect();
                (name.clone(), listed)
            })
            .collect();
        protocol::list_offsets(version, &answers)
    })
}

fn batch_error(e: &BatchError) -> (i16, String) {
    match e {
        BatchError::Corrupt(why) => (code::CORRUPT_MESSAGE, why.clone()),
        BatchError::Compression(codec) => (
            code::UNSUPPORTED_COMPRESSION_TYPE,
            format!("compression type {codec} is not one of gzip, snappy, lz4, zstd"),
        ),
        BatchError::OldFormat(magic) => (
            code::UNSUPPORTED_FOR_MESSAGE_FORMAT,
            format!("message format v{magic}: only v2 record batches"),
        ),
    }
}

/// Where a partition's produced batches went: the first one's base offset and the leader
/// epoch, and for acks=all the end offset the high watermark must pass.
type Appended = ((u64, u32), Option<u64>);

/// Appends one partition's decoded batches through the engine.
#[allow(clippy::too_many_arguments)]
fn append_partition(
    kafka: &mut streamdrill_engine::kafka::world::Kafka,
    now: streamdrill_engine::SimTime,
    broker: u32,
    name: &str,
    partition: u32,
    mode: Acks,
    batches: Vec<records::ProducedBatch>,
) -> Result<Appended, (i16, String)> {
    let mut first: Option<u64> = None;
    let mut last: Option<(u32, u64)> = None;
    for b in batches {
        let writer = if b.producer_id < 0 {
            BatchWriter::NONE
        } else {
            BatchWriter {
                producer_id: u64::try_from(b.producer_id).unwrap_or(NO_PRODUCER),
                epoch: u16::try_from(b.producer_epoch).unwrap_or(0),
                base_sequence: u32::try_from(b.base_sequence).unwrap_or(0),
                transactional: b.transactional,
            }
        };
        let count = b.records.len() as u64;
        let a = api::produce(kafka, broker, name, partition, mode, b.records, writer, now)
            .map_err(|e| (protocol::error_code(e.code), e.message))?;
        first.get_or_insert(a.base_offset);
        last = Some((a.leader_epoch, a.base_offset + count));
    }
    match (first, last) {
        (Some(base), Some((epoch, end))) => Ok(((base, epoch), (mode == Acks::All).then_some(end))),
        _ => Err((code::CORRUPT_MESSAGE, "no batch".into())),
    }
}

/// A partition waiting for acks=all: where its answer is and what it waits for.
struct Waiting {
    topic: usize,
    partition: usize,
    name: String,
    index: u32,
    leader_epoch: u32,
    end: u64,
    base: u64,
}

/// One partition's batches off the wire, or the error that answers it.
type Decoded = Result<Vec<records::ProducedBatch>, (i16, String)>;

/// A Produce's appends, done when it arrives: the answers so far and the partitions that wait
/// for acks=all.
type Appends = (Vec<(String, Vec<Produced>)>, Vec<Waiting>);

fn append_all(served: &Served, broker: u32, acks: i16, topics: &ProduceTopics) -> Appends {
    let mode = match acks {
        0 => Some(Acks::None),
        1 => Some(Acks::Leader),
        -1 => Some(Acks::All),
        _ => None,
    };
    // Decoding (CRC, decompression) happens before the engine is locked.
    let decoded: Vec<Vec<Decoded>> = topics
        .iter()
        .map(|(_, partitions)| {
            partitions
                .iter()
                .map(|(_, bytes)| match (mode, bytes) {
                    (None, _) => Err((
                        code::INVALID_REQUIRED_ACKS,
                        format!("acks={acks} is not 0, 1 or -1"),
                    )),
                    (_, None) => Err((code::CORRUPT_MESSAGE, "no records".to_string())),
                    (Some(_), Some(bytes)) => {
                        records::decode_batches(bytes).map_err(|e| batch_error(&e))
                    }
                })
                .collect()
        })
        .collect();
    let mut answers: Vec<(String, Vec<Produced>)> = Vec::new();
    let mut waiting = Vec::new();
    served.with(|world| {
        for ((name, partitions), decoded) in topics.iter().zip(decoded) {
            let mut produced = Vec::new();
            for ((index, _), batches) in partitions.iter().zip(decoded) {
                let partition = u32::try_from(*index).unwrap_or(u32::MAX);
                let result = batches.and_then(|batches| match (mode, world.kafka()) {
                    (Some(mode), Some((kafka, now))) => {
                        append_partition(kafka, now, broker, name, partition, mode, batches)
                    }
                    _ => Err((code::UNKNOWN_TOPIC_OR_PARTITION, "no cluster".into())),
                });
                let (error, base, message) = match result {
                    Ok(((base, leader_epoch), end)) => {
                        if let Some(end) = end {
                            waiting.push(Waiting {
                                topic: answers.len(),
                                partition: produced.len(),
                                name: name.clone(),
                                index: partition,
                                leader_epoch,
                                end,
                                base,
                            });
                        }
                        (code::NONE, i64::try_from(base).unwrap_or(-1), None)
                    }
                    Err((error, message)) => (error, -1, Some(message)),
                };
                produced.push(Produced {
                    index: *index,
                    error,
                    base_offset: base,
                    log_start_offset: -1,
                    message,
                });
            }
            answers.push((name.clone(), produced));
        }
    });
    (answers, waiting)
}

/// A Produce's answer once its acks=all partitions are committed (or timed out).
async fn finish_produce(
    served: &Served,
    version: i16,
    acks: i16,
    timeout_ms: i32,
    (mut answers, waiting): Appends,
) -> Option<Vec<u8>> {
    await_acks(served, timeout_ms, waiting, &mut answers).await;
    // Kafka does not answer a Produce with acks=0.
    (acks != 0).then(|| protocol::produce(version, &answers))
}

/// acks=all: answers once the high watermark passes every batch, or times out.
async fn await_acks(
    served: &Served,
    timeout_ms: i32,
    mut waiting: Vec<Waiting>,
    answers: &mut [(String, Vec<Produced>)],
) {
    let deadline = tokio::time::Instant::now()
        + Duration::from_millis(u64::try_from(timeout_ms).unwrap_or(0).clamp(1, 120_000));
    while !waiting.is_empty() {
        let states: Vec<AckState> = served.with(|world| {
            let Some((kafka, _)) = world.kafka() else {
                return vec![AckState::Pending; waiting.len()];
            };
            waiting
                .iter()
                .map(|w| {
                    let s = kafka
                        .cluster
                        .ack_state(&w.name, w.index, w.leader_epoch, w.end);
                    if s == AckState::Committed {
                        kafka.cluster.mark_acked(&w.name, w.index, w.base);
                    }
                    s
                })
                .collect()
        });
        let mut still = Vec::new();
        for (w, state) in waiting.into_iter().zip(states) {
            let slot = &mut answers[w.topic].1[w.partition];
            match state {
                AckState::Committed => {}
                AckState::Failed(e) => {
                    slot.error = protocol::error_code(e);
                    slot.message = Some(e.name().to_string());
                }
                AckState::Pending if tokio::time::Instant::now() >= deadline => {
                    slot.error = protocol::error_code(ErrorCode::RequestTimedOut);
                }
                AckState::Pending => still.push(w),
            }
        }
        waiting = still;
        if !waiting.is_empty() {
            tokio::time::sleep(POLL).await;
        }
    }
}

async fn fetch(
    served: &Served,
    broker: u32,
    version: i16,
    max_wait_ms: i32,
    max_bytes: i32,
    read_committed: bool,
    topics: &[(String, Vec<protocol::FetchPartition>)],
) -> Vec<u8> {
    let deadline = tokio::time::Instant::now()
        + Duration::from_millis(u64::try_from(max_wait_ms).unwrap_or(0)).min(FETCH_WAIT_MAX);
    loop {
        let (answers, any) = served.with(|world| {
            let mut any = false;
            let mut budget = u64::try_from(max_bytes).unwrap_or(0).max(1);
            let answers: Vec<(String, Vec<Fetched>)> = topics
                .iter()
                .map(|(name, partitions)| {
                    let fetched = partitions
                        .iter()
                        .map(|p| {
                            let got = world.kafka().map(|(kafka, _)| {
                                api::fetch(
                                    kafka,
                                    broker,
                                    name,
                                    u32::try_from(p.partition).unwrap_or(u32::MAX),
                                    u64::try_from(p.offset).unwrap_or(u64::MAX),
                                    u64::try_from(p.max_bytes).unwrap_or(0).min(budget).max(1),
                                    read_committed,
                                )
                            });
                            match got {
                                Some(Ok(f)) => {
                                    let mut records = Vec::new();
                                    records::encode_batch(&f.records, &mut records);
                                    any |= !f.records.is_empty();
                                    budget = budget.saturating_sub(records.len() as u64);
                                    Fetched {
                                        index: p.partition,
                                        error: code::NONE,
                                        high_watermark: i64::try_from(f.high_watermark)
                                            .unwrap_or(-1),
                                        last_stable_offset: i64::try_from(f.last_stable_offset)
                                            .unwrap_or(-1),
                                        log_start_offset: i64::try_from(f.log_start_offset)
                                            .unwrap_or(-1),
                                        records,
                                    }
                                }
                                Some(Err(e)) => {
                                    any = true;
                                    Fetched {
                                        index: p.partition,
                                        error: protocol::error_code(e.code),
                                        high_watermark: -1,
                                        last_stable_offset: -1,
                                        log_start_offset: -1,
                                        records: Vec::new(),
                                    }
                                }
                                None => Fetched {
                                    index: p.partition,
                                    error: code::UNKNOWN_TOPIC_OR_PARTITION,
                                    high_watermark: -1,
                                    last_stable_offset: -1,
                                    log_start_offset: -1,
                                    records: Vec::new(),
                                },
                            }
                        })
                        .collect();
                    (name.clone(), fetched)
                })
                .collect();
            (answers, any)
        });
        if any || tokio::time::Instant::now() >= deadline {
            return protocol::fetch(version, &answers);
        }
        tokio::time::sleep(POLL * 20).await;
    }
}
