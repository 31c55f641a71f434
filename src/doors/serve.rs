//! `streamdrill serve`: opens the Kinesis door on a loopback address, runs the console on
//! stdin beside it, and moves virtual time with the wall clock. With a lab, the lab runs as on
//! the lab screen (briefing, the incident played to its handover, the event log) and `serve`
//! ends with its verdict.

use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use streamdrill_engine::Console;
use tokio::net::TcpListener;

use super::Served;
use super::clock::{SPEED_MAX, WallClock};
use super::kinesis;
use super::world::World;
use crate::labs::Lab;
use crate::labs::live::LiveLab;
use crate::text::sanitize_line;

/// The Kinesis door's address when none is given (the port kinesalite made the custom).
pub const KINESIS_DEFAULT: &str = "127.0.0.1:4567";
/// Brokers `serve --kafka` may start (each one a listener).
pub const KAFKA_BROKERS_MAX: u32 = 9;
/// How often virtual time catches up with the wall clock when no request comes.
const TICK: Duration = Duration::from_millis(100);
/// Width the console's readable output is laid out to when stdout is not a terminal.
const WIDTH_DEFAULT: usize = 100;
/// Longest console line read; a longer one is refused, not buffered without end.
const LINE_BYTES_MAX: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub kinesis: SocketAddr,
    /// The Kafka door's first broker's address (the others on the next ports), if opened.
    pub kafka: Option<SocketAddr>,
    /// Brokers of the cluster the Kafka door serves.
    pub brokers: u32,
    pub lab: Option<Lab>,
    pub speed: f64,
    pub seed: u64,
    /// The wall clock's now, in Unix seconds: a free simulation's virtual time is shown and
    /// read as calendar time from here, so the timestamps real clients use mean what they say
    /// (a lab keeps its briefing's calendar).
    pub now_unix_seconds: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "{0} is not a loopback address: the doors listen on 127.0.0.1 or ::1 only (they accept any signature)"
    )]
    NotLoopback(SocketAddr),
    #[error("--speed must be a number from 0.1 to {SPEED_MAX}, not {0}")]
    Speed(f64),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: io::Error },
    #[error("--brokers must be 1 to {max}, not {0}", max = KAFKA_BROKERS_MAX)]
    Brokers(u32),
    #[error("--kafka goes with a Kafka lab (or no lab): this lab has no Kafka cluster")]
    KafkaInLab,
    #[error("cannot start the network runtime: {0}")]
    Runtime(io::Error),
}

/// How a lab served ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabEnd {
    pub passed: bool,
    pub commands: u32,
    pub hints: u32,
}

/// Checks what can be checked before anything is opened.
pub fn check(options: &ServeOptions) -> Result<(), ServeError> {
    for addr in std::iter::once(options.kinesis).chain(options.kafka) {
        if !addr.ip().is_loopback() {
            return Err(ServeError::NotLoopback(addr));
        }
    }
    if options.kafka.is_some() && !(1..=KAFKA_BROKERS_MAX).contains(&options.brokers) {
        return Err(ServeError::Brokers(options.brokers));
    }
    if options.kafka.is_some() && options.lab.as_ref().is_some_and(|l| l.system != "kafka") {
        return Err(ServeError::KafkaInLab);
    }
    if !(0.1..=SPEED_MAX).contains(&options.speed) {
        return Err(ServeError::Speed(options.speed));
    }
    Ok(())
}

/// Serves until the lab ends (returning how), or, without a lab, until the process is stopped.
pub fn serve(options: ServeOptions) -> Result<Option<LabEnd>, ServeError> {
    check(&options)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(run(options))
}

async fn run(options: ServeOptions) -> Result<Option<LabEnd>, ServeError> {
    let listener =
        TcpListener::bind(options.kinesis)
            .await
            .map_err(|source| ServeError::Listen {
                addr: options.kinesis,
                source,
            })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: options.kinesis,
        source,
    })?;
    let width = crossterm::terminal::size().map_or(WIDTH_DEFAULT, |(w, _)| usize::from(w).max(40));
    let world = if let Some(lab) = &options.lab {
        let mut live = LiveLab::new(lab.clone(), options.seed);
        live.start();
        World::Lab(Box::new(live))
    } else {
        let mut console = Console::new(options.seed);
        if options.kafka.is_some() {
            console.execute(&format!(
                "kafka-cluster create --brokers {}",
                options.brokers
            ));
        }
        World::Free(Box::new(console))
    };
    let start = world.elapsed();
    // A free simulation starts now, so a client's timestamps and the engine's agree. A lab
    // keeps the calendar its briefing tells (virtual time zero is 2026-01-01T00:00:00Z): a
    // learner resets offsets to the times it names, with the console or a client.
    if matches!(world, World::Free(_)) {
        streamdrill_engine::time::set_epoch_unix_seconds(
            options.now_unix_seconds.saturating_sub(start.0 / 1_000_000),
        );
    }
    let served = Arc::new(Served::new(
        world,
        WallClock::new(options.speed, crate::shell::clock::instant(), start),
    ));
    let kafka_ports = match options.kafka {
        None => None,
        Some(base) => {
            // A lab's cluster has the brokers its setup made.
            let ids: Vec<u32> = served.with(|world| {
                world
                    .kafka()
                    .map(|(k, _)| k.cluster.brokers.keys().copied().collect())
                    .unwrap_or_default()
            });
            let listeners = super::kafka::bind(base, &ids)
                .await
                .map_err(|source| ServeError::Listen { addr: base, source })?;
            Some(super::kafka::spawn(&served, listeners, base.ip()))
        }
    };
    print_banner(addr, kafka_ports.as_ref(), &options);
    tokio::spawn(kinesis::serve(listener, served.clone(), log_requests()));
    spawn_console(served.clone(), width);
    Ok(tick(&served, options.lab.is_some()).await)
}

/// `STREAMDRILL_LOG_REQUESTS=1` logs every request on stderr (operation and status).
fn log_requests() -> bool {
    std::env::var_os("STREAMDRILL_LOG_REQUESTS").is_some_and(|v| v != "0" && !v.is_empty())
}

fn print_banner(addr: SocketAddr, kafka: Option<&super::kafka::Ports>, options: &ServeOptions) {
    let endpoint = format!("http://{addr}");
    let mut lines = vec![
        format!(
            "streamdrill serve: Kinesis on {endpoint} (virtual time at {}x the wall clock)",
            options.speed
        ),
        format!("  aws --endpoint-url {endpoint} kinesis list-streams"),
        format!(
            "  boto3.client('kinesis', endpoint_url='{endpoint}', region_name='us-east-1', aws_access_key_id='x', aws_secret_access_key='x')"
        ),
    ];
    if let Some(ports) = kafka {
        let list: Vec<String> = ports
            .iter()
            .map(|(id, p)| format!("broker {id} on 127.0.0.1:{p}"))
            .collect();
        let first = ports.values().next().copied().unwrap_or(0);
        lines.push(format!(
            "streamdrill serve: Kafka on 127.0.0.1:{first} ({})",
            list.join(", ")
        ));
        lines.push(format!("  kcat -b 127.0.0.1:{first} -L"));
    }
    match &options.lab {
        Some(lab) => {
            lines.push(String::new());
            lines.push(format!("lab {}: {}", lab.id, lab.title));
            lines.extend(lab.briefing.lines().map(str::to_owned));
            lines.push(String::new());
            let (calls, commands) = client_operations(&lab.allowed);
            lines.push(format!("a client may call: {}", or_nothing(&calls)));
            lines.push(format!("the console may run: {}", commands.join(", ")));
            lines.push(
                "console: the lab's commands, `advance D` to move its clock on; ctrl-c stops".into(),
            );
        }
        None => lines.push(
            "console: the sim commands (`help`), `--json` after one for its raw reply; ctrl-c stops"
                .into(),
        ),
    }
    print_lines(&lines);
}

/// Splits a lab's allowed commands into the Kinesis operations a client may call (its
/// `aws kinesis` commands, by their API names) and the rest, which only the console runs.
fn client_operations(allowed: &[String]) -> (Vec<&'static str>, Vec<&str>) {
    use streamdrill_engine::api::kinesis::{OPERATIONS, cli_name};
    let calls = OPERATIONS
        .iter()
        .copied()
        .filter(|op| {
            let command = format!("aws kinesis {}", cli_name(op));
            allowed.contains(&command)
        })
        .collect();
    let commands = allowed.iter().map(String::as_str).collect();
    (calls, commands)
}

fn or_nothing(names: &[&str]) -> String {
    if names.is_empty() {
        "nothing in this lab (the console drives it)".to_owned()
    } else {
        names.join(", ")
    }
}

fn print_lines(lines: &[String]) {
    let mut out = io::stdout().lock();
    for line in lines {
        // Output is best effort: a closed stdout must not stop the doors.
        let _ = writeln!(out, "{}", sanitize_line(line));
    }
    let _ = out.flush();
}

/// Reads console lines on their own thread (stdin blocks); each runs under the world's lock
/// and prints its answer. At the end of stdin the doors go on serving.
fn spawn_console(served: Arc<Served>, width: usize) {
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let mut line = String::new();
        loop {
            line.clear();
            match read_bounded_line(&mut stdin, &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line.len() > LINE_BYTES_MAX => print_lines(&[format!(
                    "a console line is limited to {LINE_BYTES_MAX} bytes"
                )]),
                Ok(_) => {
                    let command = line.trim();
                    if command.is_empty() {
                        continue;
                    }
                    let answer = served.with(|world| world.console_line(command, width));
                    print_lines(&answer);
                }
            }
        }
    });
}

/// Reads one line, keeping at most LINE_BYTES_MAX + 1 bytes of it (the rest is skipped), so a
/// line without an end cannot fill memory.
fn read_bounded_line(input: &mut impl BufRead, line: &mut String) -> io::Result<usize> {
    let mut bytes = Vec::new();
    let mut total = 0;
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            break;
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let room = (LINE_BYTES_MAX + 1).saturating_sub(bytes.len());
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = chunk.len();
        total += used;
        input.consume(used);
        if done {
            break;
        }
    }
    line.push_str(&String::from_utf8_lossy(&bytes));
    Ok(total)
}

/// Keeps virtual time with the wall clock and prints the lab's new log lines; in a lab, ends
/// with its verdict.
async fn tick(served: &Served, lab: bool) -> Option<LabEnd> {
    let mut seen = 0;
    loop {
        tokio::time::sleep(TICK).await;
        let (lines, ended) = served.with(|world| {
            let (new, logged) = world.log_after(seen);
            let mut lines = new.to_vec();
            seen = logged;
            let ended = world.verdict().map(|(passed, reason)| {
                lines.push(reason);
                lines.extend(world.debrief().lines().map(str::to_owned));
                let (commands, hints) = world.effort();
                LabEnd {
                    passed,
                    commands,
                    hints,
                }
            });
            (lines, ended)
        });
        print_lines(&lines);
        if lab && ended.is_some() {
            return ended;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(addr: &str, speed: f64) -> ServeOptions {
        ServeOptions {
            kinesis: addr.parse().unwrap(),
            kafka: None,
            brokers: 3,
            lab: None,
            speed,
            seed: 1,
            now_unix_seconds: 0,
        }
    }

    #[test]
    fn only_loopback_addresses_and_sane_speeds_are_served() {
        assert!(check(&options("127.0.0.1:4567", 1.0)).is_ok());
        assert!(check(&options("[::1]:0", 60.0)).is_ok());
        assert!(matches!(
            check(&options("0.0.0.0:4567", 1.0)),
            Err(ServeError::NotLoopback(_))
        ));
        assert!(matches!(
            check(&options("192.168.1.2:4567", 1.0)),
            Err(ServeError::NotLoopback(_))
        ));
        assert!(matches!(
            check(&options("127.0.0.1:0", 0.0)),
            Err(ServeError::Speed(_))
        ));
        assert!(matches!(
            check(&options("127.0.0.1:0", 1e6)),
            Err(ServeError::Speed(_))
        ));
    }

    #[test]
    fn a_labs_client_operations_are_its_aws_kinesis_commands() {
        let allowed: Vec<String> = [
            "aws kinesis update-shard-count",
            "aws kinesis list-shards",
            "metrics",
        ]
        .map(String::from)
        .to_vec();
        let (calls, commands) = client_operations(&allowed);
        assert_eq!(calls, ["ListShards", "UpdateShardCount"]);
        assert_eq!(commands.len(), 3);
        assert!(or_nothing(&[]).contains("nothing"));
    }

    #[test]
    fn console_lines_are_bounded() {
        let long = "x".repeat(LINE_BYTES_MAX * 3);
        let input = format!("{long}\nnext\n");
        let mut reader = io::BufReader::with_capacity(1024, input.as_bytes());
        let mut line = String::new();
        let read = read_bounded_line(&mut reader, &mut line).unwrap();
        assert_eq!(read, LINE_BYTES_MAX * 3 + 1);
        assert_eq!(line.len(), LINE_BYTES_MAX + 1);
        line.clear();
        read_bounded_line(&mut reader, &mut line).unwrap();
        assert_eq!(line, "next\n");
    }
}
