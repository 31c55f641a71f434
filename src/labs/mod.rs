//! Mini-labs: a situation from the source guide played out on the embedded engine, with a
//! goal, the knobs the learner may turn, a virtual clock and a verdict.
//!
//! A lab is content (`content/labs/*.toml`, schema `schema/lab.schema.json`), loaded by
//! [`parse_lab`] with `path:line:column` diagnostics. [`run`] is pure: it drives a fresh
//! [`Console`] (the same command interface as `streamdrill sim`) through the lab's setup, its
//! timed schedule (workload changes, faults) and the learner's timed commands, then evaluates
//! the goal's predicates over the engine's per-second metrics. Nothing here reads a clock: time
//! is the engine's virtual time. The format is system-neutral so Kafka labs use it unchanged.

pub mod bundled;
pub mod commands;
pub mod completion;
pub mod live;
pub mod readable;

use crate::deck::Diagnostic;
use crate::deck::diagnostic::line_column;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use streamdrill_engine::cost::{PriceSheet, Workload, estimate};
use streamdrill_engine::metrics::{Metric, MetricSet};
use streamdrill_engine::workload::parse_bytes;
use streamdrill_engine::{Console, SimDuration};

/// Where the lab schema is committed.
pub const LAB_SCHEMA_PATH: &str = "schema/lab.schema.json";
/// The first line every lab file carries.
pub const LAB_SCHEMA_DIRECTIVE: &str = "#:schema ../../schema/lab.schema.json";
/// Longest run a lab may ask for.
pub const DURATION_MAX: SimDuration = SimDuration::from_hours(24);
/// Most learner commands one run accepts.
pub const SCRIPT_COMMANDS_MAX: usize = 1_000;

/// One lab file.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Lab {
    /// Stable id, lowercase words joined by `-`.
    pub id: String,
    pub title: String,
    /// The system the lab runs on: `kinesis`, `kafka` or `cost`.
    pub system: String,
    /// The situation, as the page or the interviewer puts it.
    pub briefing: String,
    /// Related cards as `deck-id/card-id`.
    #[serde(default)]
    pub cards: Vec<String>,
    /// Engine console commands run at t=0, before anything else.
    #[serde(default)]
    pub setup: Vec<String>,
    /// Workload changes and faults at virtual times.
    #[serde(default)]
    pub schedule: Vec<Timed>,
    /// Command prefixes the learner may use (e.g. `aws kinesis update-shard-count`).
    pub allowed: Vec<String>,
    /// How long the run lasts in virtual time (e.g. `10m`).
    pub duration: String,
    /// When a live run hands the learner control (e.g. `60s`, the page): the lab plays its
    /// setup and schedule up to here at full speed first, so the incident has happened and no
    /// scripted step can undo a fix. Absent: control from the start (labs where the learner
    /// must prepare before the fault).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handover: Option<String>,
    /// The goal: every predicate must hold.
    pub goal: Vec<Predicate>,
    /// Progressive hints, gentlest first.
    #[serde(default)]
    pub hints: Vec<String>,
    pub debrief: Debrief,
}

impl Lab {
    /// Labs are content like decks: the prose a screen shows passes through the same filter,
    /// so no escape sequence in a lab file reaches the terminal.
    fn sanitize_prose(&mut self) {
        use crate::text::sanitize;
        self.title = sanitize(&self.title);
        self.briefing = sanitize(&self.briefing);
        self.debrief.text = sanitize(&self.debrief.text);
        for text in self
            .hints
            .iter_mut()
            .chain(self.goal.iter_mut().map(|g| &mut g.name))
        {
            *text = sanitize(text);
        }
    }
}

/// A command at a virtual time.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Timed {
    /// Virtual time from the start of the run, e.g. `30s`.
    pub at: String,
    /// One engine console command.
    pub command: String,
}

/// What metrics a predicate reads.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Scope {
    /// A Kinesis stream's own metrics.
    Stream(String),
    /// A KCL application.
    App(String),
    /// A Firehose delivery stream.
    DeliveryStream(String),
    /// An enhanced fan-out consumer, by its consumer name (the first stream, by name, that has
    /// a consumer registered under it).
    Consumer(String),
    /// A team that reads a stream, by name: its KCL application and its enhanced fan-out
    /// consumer of that name together. `KCL.RecordsProcessed` and
    /// `SubscribeToShardEvent.Records` both read as the records it got either way (the sum of
    /// the two), so a reader that moves from polling to fan-out keeps one goal.
    Reader(String),
    /// A downstream loader of S3 objects into a table (`loader start`).
    Loader(String),
    /// A hand-written polling consumer (`poller start`).
    Poller(String),
    /// A Kafka topic: its partitions' metrics summed (`MessagesInPerSec`, `BytesInPerSec`).
    Topic(String),
    /// A Kafka producer (`producer start NAME`): `Producer.RecordsAcked`, `.RecordsFailed`,
    /// `.AckedRecordsLost`, `.RecordsDuplicated`, `.RecordsBlocked`, `.RecordsRetried`.
    Producer(String),
    /// A Kafka consumer group: `Consumer.RecordsConsumed`, `Consumer.RecordsLag`,
    /// `Consumer.RecordsReprocessed`, `Consumer.KeyOrderViolations`, `Consumer.RecordsSkipped`,
    /// `Group.PartitionPauseMillis` (the running total of partition-time without an owner),
    /// `Group.CoordinatorUnavailableMillis` (the running total of time without a loaded group
    /// coordinator), `Group.CommitsFailedNoCoordinator` (offset commits that failed for want of
    /// one).
    Group(String),
    /// A Kafka broker by id: `BytesInPerSec`, `ReplicationBytesInPerSec`.
    Broker(String),
    /// A read-process-write processor (`processor start --name A`):
    /// `Processor.RecordsProcessed`, `Processor.OutputRecords`, `Processor.DuplicateOutputs`,
    /// `Processor.MissingOutputs` (gauge), as a `read_committed` reader of the output sees them.
    Processor(String),
    /// The Kafka cluster: `UnderReplicatedPartitions`, `OfflinePartitionsCount`,
    /// `IsrShrinksPerSec`, `IsrExpandsPerSec`, `Cleaner.DirtyBytes`.
    KafkaCluster,
    /// The learner's answer of this name (`answer NAME VALUE`), checked against the predicate's
    /// `expect`. Its one metric is `Answer.RelativeError`: |answer - expected| / expected (1.0
    /// when unanswered); `stat` and `window` are not used.
    Answer(String),
}

/// The metric of an [`Scope::Answer`] predicate.
pub const ANSWER_METRIC: &str = "Answer.RelativeError";
/// The command a learner answers with: `answer NAME VALUE`.
pub const ANSWER_COMMAND: &str = "answer";
/// Highest throughput, in MB/s, a cost crossover is looked for at.
pub const CROSSOVER_MB_PER_SEC_MAX: u32 = 2_000;

/// What an answer should be, computed from the engine's models.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expect {
    /// The lowest sustained throughput, in whole MB/s, at which `cheaper` costs less a month
    /// than `than` in the cost model (the `cost` command), for this workload.
    CostCrossover(Crossover),
}

/// A workload and the two options whose monthly totals cross.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Crossover {
    /// An option of the `cost` output: `MskProvisioned`, `SelfHostedKafka`, `KinesisOnDemand`
    /// or `KinesisProvisioned`.
    pub cheaper: String,
    pub than: String,
    /// Average record size, e.g. `200` or `1KB`.
    pub record_size: String,
    #[serde(default = "default_retention_hours")]
    pub retention_hours: u32,
    /// Enhanced fan-out consumers.
    #[serde(default)]
    pub efo_consumers: u32,
    /// Polling consumers.
    #[serde(default = "default_consumers")]
    pub consumers: u32,
}

fn default_retention_hours() -> u32 {
    24
}

fn default_consumers() -> u32 {
    1
}

const COST_OPTIONS: [&str; 4] = [
    "KinesisProvisioned",
    "KinesisOnDemand",
    "MskProvisioned",
    "SelfHostedKafka",
];

impl Crossover {
    /// The crossover in MB/s, or None if `cheaper` never costs less up to the scan's end. An
    /// option the model marks not applicable at a throughput (a `Note`) is not cheaper there.
    pub fn mb_per_sec(&self) -> Option<f64> {
        let prices = PriceSheet::default();
        let size = parse_bytes(&self.record_size).ok()?;
        (1..=CROSSOVER_MB_PER_SEC_MAX).map(f64::from).find(|&mbps| {
            let mut w = Workload::new(mbps * 1e6);
            w.record_size_bytes = size.clamp(1, 1_048_576);
            w.retention_hours = self.retention_hours.clamp(24, 8760);
            w.efo_consumers = self.efo_consumers.min(20);
            w.polling_consumers = self.consumers.min(1000);
            let v = estimate(&prices, &w);
            let total = |o: &str| v[o]["MonthlyTotal"].as_f64().unwrap_or(f64::MAX);
            v[&self.cheaper].get("Note").is_none() && total(&self.cheaper) < total(&self.than)
        })
    }
}

/// How a window of per-second values becomes one number.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Stat {
    /// Sum over the window.
    Sum,
    /// Sum over the window divided by its seconds.
    PerSecond,
    /// Largest one-second value in the window.
    MaxPerSecond,
    /// Sum of `metric` divided by the sum of the `of` metrics (0 when that is 0).
    Ratio,
    /// Last value in the window minus the first: the growth of a running total such as
    /// `Group.PartitionPauseMillis` over the window.
    Change,
}

/// A comparison.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
}

impl Op {
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Op::Lt => value < threshold,
            Op::Le => value <= threshold,
            Op::Eq => (value - threshold).abs() < 1e-9,
            Op::Ge => value >= threshold,
            Op::Gt => value > threshold,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "==",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }
}

/// One condition of the goal: `stat(metric over the last window) op threshold`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    /// What the learner sees, e.g. "throttled writes < 1% over the last 5 minutes".
    pub name: String,
    /// An engine metric name (CloudWatch's where one exists), e.g. `IncomingRecords`.
    pub metric: String,
    pub scope: Scope,
    pub stat: Stat,
    /// Denominator metrics for `stat = "ratio"`, summed.
    #[serde(default)]
    pub of: Vec<String>,
    pub op: Op,
    pub threshold: f64,
    /// The stretch of virtual time the predicate must hold over: the last `window` of the run.
    pub window: String,
    /// What the answer should be, for `scope = { answer = NAME }` (and only then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
}

/// What happened, told after the verdict.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Debrief {
    pub text: String,
    /// Cards to review, as `deck-id/card-id`.
    #[serde(default)]
    pub cards: Vec<String>,
}

impl Lab {
    pub fn duration(&self) -> SimDuration {
        SimDuration::parse(&self.duration).unwrap_or(SimDuration::from_secs(0))
    }

    /// When a live run hands over control (0 without a `handover`).
    pub fn handover(&self) -> SimDuration {
        self.handover
            .as_deref()
            .and_then(|h| SimDuration::parse(h).ok())
            .unwrap_or(SimDuration(0))
    }

    /// The time of the lab's last scripted step (0 without a schedule).
    pub fn last_scheduled(&self) -> SimDuration {
        self.schedule
            .iter()
            .filter_map(|t| SimDuration::parse(&t.at).ok())
            .max()
            .unwrap_or(SimDuration(0))
    }

    /// True if the learner may run `command`.
    pub fn allows(&self, command: &str) -> bool {
        let words: Vec<&str> = command.split_whitespace().collect();
        self.allowed.iter().any(|p| {
            let pw: Vec<&str> = p.split_whitespace().collect();
            !pw.is_empty() && words.len() >= pw.len() && words[..pw.len()] == pw[..]
        })
    }
}

/// The lab schema as pretty JSON with a trailing newline.
pub fn lab_schema_json() -> String {
    let mut schema = schemars::schema_for!(Lab).to_value();
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "$id".into(),
            Value::from("https://github.com/streamdrill/streamdrill/schema/lab.schema.json"),
        );
    }
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Parses and checks a lab. `path` only labels diagnostics.
#[allow(clippy::too_many_lines)] // one flat list of checks
pub fn parse_lab(path: &str, source: &str) -> Result<Lab, Vec<Diagnostic>> {
    let mut lab: Lab = match toml::from_str(source) {
        Ok(lab) => lab,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            return Err(vec![Diagnostic::at(
                path,
                source,
                span,
                e.message().trim().to_owned(),
            )]);
        }
    };
    let mut problems = Vec::new();
    // Locates a value in the source (its first quoted occurrence) for semantic problems.
    let mut report = |needle: &str, message: String| {
        let offset = source
            .find(&format!("\"{needle}\""))
            .or_else(|| source.find(needle))
            .unwrap_or(0);
        let (line, column) = line_column(source, offset);
        problems.push(Diagnostic {
            path: path.to_owned(),
            line,
            column,
            message,
            unshown: 0,
        });
    };
    if !source.starts_with(LAB_SCHEMA_DIRECTIVE) {
        report(
            "",
            format!("the first line must be `{LAB_SCHEMA_DIRECTIVE}`"),
        );
    }
    if lab.id.is_empty()
        || !lab
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        report(
            &lab.id,
            format!("lab id '{}' must be lowercase words joined by '-'", lab.id),
        );
    }
    if !["kinesis", "kafka", "cost"].contains(&lab.system.as_str()) {
        report(
            &lab.system,
            format!("system '{}' must be kinesis, kafka or cost", lab.system),
        );
    }
    match SimDuration::parse(&lab.duration) {
        Ok(d) if d.0 > 0 && d <= DURATION_MAX => {}
        Ok(_) => report(&lab.duration, "duration must be between 1s and 24h".into()),
        Err(e) => report(&lab.duration, e),
    }
    let duration = lab.duration();
    if let Some(handover) = &lab.handover {
        match SimDuration::parse(handover) {
            Ok(at) if at < duration => {}
            Ok(_) => report(
                handover,
                format!("handover {handover} is not before the run ends"),
            ),
            Err(e) => report(handover, e),
        }
    }
    for t in &lab.schedule {
        match SimDuration::parse(&t.at) {
            Ok(at) if at <= duration => {}
            Ok(_) => report(
                &t.at,
                format!("schedule time {} is after the run ends", t.at),
            ),
            Err(e) => report(&t.at, e),
        }
    }
    if lab.goal.is_empty() {
        report("goal", "a lab needs at least one goal predicate".into());
    }
    if lab.allowed.is_empty() {
        report(
            "allowed",
            "a lab must allow the learner some command".into(),
        );
    }
    for p in &lab.goal {
        let answer = matches!(p.scope, Scope::Answer(_));
        if answer != p.expect.is_some() {
            report(
                &p.name,
                "`expect` is required with scope = { answer = ... } and only then".into(),
            );
        }
        if answer && p.metric != ANSWER_METRIC {
            report(
                &p.metric,
                format!("an answer predicate's metric is `{ANSWER_METRIC}`"),
            );
        }
        if let Some(Expect::CostCrossover(c)) = &p.expect {
            for o in [&c.cheaper, &c.than] {
                if !COST_OPTIONS.contains(&o.as_str()) {
                    report(o, format!("unknown cost option '{o}'"));
                }
            }
            if parse_bytes(&c.record_size).is_err() {
                report(
                    &c.record_size,
                    format!("bad record size '{}'", c.record_size),
                );
            } else if c.mb_per_sec().is_none() {
                report(
                    &c.cheaper,
                    format!(
                        "{} is never cheaper than {} up to {CROSSOVER_MB_PER_SEC_MAX} MB/s",
                        c.cheaper, c.than
                    ),
                );
            }
        }
        for m in std::iter::once(&p.metric).chain(&p.of) {
            if !answer && Metric::parse(m).is_none() {
                report(m, format!("unknown metric '{m}'"));
            }
        }
        if (p.stat == Stat::Ratio) == p.of.is_empty() {
            report(
                &p.name,
                "`of` is required with stat = \"ratio\" and only then".into(),
            );
        }
        match SimDuration::parse(&p.window) {
            Ok(w) if w.as_micros() >= 1_000_000 && w <= duration => {}
            Ok(_) => report(
                &p.window,
                "window must be at least 1s and at most the run".into(),
            ),
            Err(e) => report(&p.window, e),
        }
        if !p.threshold.is_finite() {
            report(&p.name, "threshold must be a finite number".into());
        }
    }
    for c in lab.cards.iter().chain(&lab.debrief.cards) {
        if c.split('/').filter(|s| !s.is_empty()).count() != 2 {
            report(c, format!("card '{c}' must be deck-id/card-id"));
        }
    }
    if problems.is_empty() {
        lab.sanitize_prose();
        Ok(lab)
    } else {
        problems.sort();
        problems.dedup();
        Err(problems)
    }
}

/// Parses a learner script: one console command per line, optionally prefixed `at 30s:`; a line
/// without a prefix acts at the time of the line before it (t=0 at first). Blank lines and `#`
/// comments are skipped. Errors are `line N: message`.
/// A script's bytes as text; the first byte that is not UTF-8 is reported at its line and
/// column (counted in characters, as deck diagnostics are).
pub fn decode_script(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let before = std::str::from_utf8(valid).unwrap_or_default();
        let (line, column) = line_column(before, before.len());
        format!(
            "line {line}, column {column}: not UTF-8 text (byte 0x{:02x})",
            bytes[e.valid_up_to()]
        )
    })
}

pub fn parse_script(text: &str) -> Result<Vec<(SimDuration, String)>, String> {
    let mut out = Vec::new();
    let mut at = SimDuration::from_secs(0);
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let command = if let Some(rest) = line.strip_prefix("at ") {
            let (time, cmd) = rest
                .split_once(':')
                .ok_or_else(|| format!("line {}: expected `at 30s: COMMAND`", i + 1))?;
            at = SimDuration::parse(time.trim()).map_err(|e| format!("line {}: {e}", i + 1))?;
            cmd.trim()
        } else {
            line
        };
        if command.is_empty() {
            return Err(format!("line {}: no command after the time", i + 1));
        }
        out.push((at, command.to_string()));
        if out.len() > SCRIPT_COMMANDS_MAX {
            return Err(format!("more than {SCRIPT_COMMANDS_MAX} commands"));
        }
    }
    Ok(out)
}

/// One predicate's outcome.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Outcome {
    pub name: String,
    pub metric: String,
    pub stat: Stat,
    pub value: f64,
    pub op: &'static str,
    pub threshold: f64,
    pub window: String,
    pub met: bool,
}

/// A learner command and what the engine said.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Action {
    pub at: String,
    pub command: String,
    /// False when the lab does not allow the command (it was not run).
    pub allowed: bool,
    /// The console's JSON reply (an `Error` object when it failed).
    pub reply: Value,
}

/// The result of a run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Verdict {
    pub lab: String,
    pub passed: bool,
    pub predicates: Vec<Outcome>,
    pub actions: Vec<Action>,
    /// Setup or schedule commands that failed (a broken lab, or one the learner's commands
    /// made fail, e.g. a deleted stream).
    pub schedule_errors: Vec<String>,
    pub duration: String,
}

/// Runs `lab` with the learner's timed `commands` on a fresh engine seeded with `seed`.
/// Learner commands at or after the end of the run are ignored; commands at the same time run
/// after the lab's own schedule.
pub fn run(lab: &Lab, commands: &[(SimDuration, String)], seed: u64) -> Verdict {
    let mut console = Console::new(seed);
    let end = lab.duration();
    let mut schedule_errors = Vec::new();
    let exec = |console: &mut Console, cmd: &str| -> Value {
        console
            .execute(cmd)
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or(Value::Null)
    };
    for cmd in &lab.setup {
        let v = exec(&mut console, cmd);
        if v.get("Error").is_some() {
            schedule_errors.push(format!("t=0s `{cmd}`: {v}"));
        }
    }
    // (time, 0 = lab / 1 = learner, order, command)
    let mut events: Vec<(SimDuration, u8, usize, &str)> = lab
        .schedule
        .iter()
        .enumerate()
        .map(|(i, t)| {
            (
                SimDuration::parse(&t.at).unwrap_or(SimDuration::from_secs(0)),
                0,
                i,
                t.command.as_str(),
            )
        })
        .chain(
            commands
                .iter()
                .enumerate()
                .map(|(i, (at, c))| (*at, 1, i, c.as_str())),
        )
        .filter(|e| e.0 < end)
        .collect();
    events.sort_by_key(|e| (e.0, e.1, e.2));
    let mut actions = Vec::new();
    let mut answers: BTreeMap<String, f64> = BTreeMap::new();
    let mut now = SimDuration::from_secs(0);
    // An advance the engine's budget refused or stopped ends the run: the clock no longer
    // stands where the schedule says, and every later advance would cost as much again.
    let mut halted = false;
    for (at, who, _, cmd) in events {
        if at > now {
            if let Err(e) = console.sim.advance(SimDuration(at.0 - now.0)) {
                schedule_errors.push(format!("advance to {at}: {e}"));
                halted = true;
                break;
            }
            now = at;
        }
        if who == 0 {
            let v = exec(&mut console, cmd);
            if v.get("Error").is_some() {
                schedule_errors.push(format!("t={at} `{cmd}`: {v}"));
            }
        } else if lab.allows(cmd) {
            let reply = if cmd.split_whitespace().next() == Some(ANSWER_COMMAND) {
                record_answer(cmd, &mut answers)
            } else {
                exec(&mut console, cmd)
            };
            actions.push(Action {
                at: at.to_string(),
                command: cmd.to_string(),
                allowed: true,
                reply,
            });
        } else {
            actions.push(Action {
                at: at.to_string(),
                command: cmd.to_string(),
                allowed: false,
                reply: serde_json::json!({"Error": {"Code": "NotAllowed", "Message": "this lab does not allow that command"}}),
            });
        }
    }
    if !halted
        && end > now
        && let Err(e) = console.sim.advance(SimDuration(end.0 - now.0))
    {
        schedule_errors.push(format!("advance to {end}: {e}"));
    }
    let predicates: Vec<Outcome> = lab
        .goal
        .iter()
        .map(|p| evaluate(&console, &answers, p))
        .collect();
    Verdict {
        lab: lab.id.clone(),
        passed: predicates.iter().all(|o| o.met) && schedule_errors.is_empty(),
        predicates,
        actions,
        schedule_errors,
        duration: end.to_string(),
    }
}

fn scope_metrics<'a>(console: &'a Console, scope: &Scope) -> Vec<&'a MetricSet> {
    let sim = &console.sim;
    let consumer = |c: &str| {
        sim.kinesis
            .streams()
            .find_map(|s| s.consumers.iter().find(|k| k.name == c))
            .map(|k| &k.metrics)
    };
    match scope {
        Scope::Stream(s) => sim
            .kinesis
            .stream(s)
            .ok()
            .map(|s| &s.metrics)
            .into_iter()
            .collect(),
        Scope::App(a) => sim.kcl.get(a).map(|a| &a.metrics).into_iter().collect(),
        Scope::DeliveryStream(f) => sim
            .firehoses
            .get(f)
            .map(|f| &f.metrics)
            .into_iter()
            .collect(),
        Scope::Consumer(c) => consumer(c).into_iter().collect(),
        Scope::Loader(l) => sim.loaders.get(l).map(|l| &l.metrics).into_iter().collect(),
        Scope::Poller(p) => sim.pollers.get(p).map(|p| &p.metrics).into_iter().collect(),
        Scope::Answer(_) => Vec::new(),
        Scope::Topic(t) => sim
            .kafka
            .as_ref()
            .and_then(|k| k.cluster.topics.get(t))
            .map(|t| t.partitions.iter().map(|p| &p.metrics).collect())
            .unwrap_or_default(),
        Scope::Producer(p) => sim
            .kafka
            .as_ref()
            .and_then(|k| k.producers.get(p))
            .map(|p| &p.metrics)
            .into_iter()
            .collect(),
        Scope::Group(g) => sim
            .kafka
            .as_ref()
            .and_then(|k| k.groups.get(g))
            .map(|g| &g.metrics)
            .into_iter()
            .collect(),
        Scope::Broker(b) => sim
            .kafka
            .as_ref()
            .zip(b.parse::<u32>().ok())
            .and_then(|(k, b)| k.cluster.brokers.get(&b))
            .map(|b| &b.metrics)
            .into_iter()
            .collect(),
        Scope::Processor(p) => sim
            .kafka
            .as_ref()
            .and_then(|k| k.processors.get(p))
            .map(|p| &p.metrics)
            .into_iter()
            .collect(),
        Scope::KafkaCluster => sim
            .kafka
            .as_ref()
            .map(|k| &k.cluster.metrics)
            .into_iter()
            .collect(),
        Scope::Reader(r) => sim
            .kcl
            .get(r)
            .map(|a| &a.metrics)
            .into_iter()
            .chain(consumer(r))
            .collect(),
    }
}

/// The metrics a name stands for in a scope (a reader's records are counted both ways).
fn scope_metric_names(scope: &Scope, m: Metric) -> Vec<Metric> {
    match (scope, m) {
        (Scope::Reader(_), Metric::KclRecordsProcessed | Metric::SubscribeToShardEventRecords) => {
            vec![
                Metric::KclRecordsProcessed,
                Metric::SubscribeToShardEventRecords,
            ]
        }
        _ => vec![m],
    }
}

/// `answer NAME VALUE`: VALUE is a number, optionally with a unit of MB/s (`18`, `18MB/s`).
pub(crate) fn record_answer(cmd: &str, answers: &mut BTreeMap<String, f64>) -> Value {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let parsed = match words[..] {
        [_, name, value] => value
            .trim_end_matches("MB/s")
            .trim_end_matches("/s")
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(|v| (name, v)),
        _ => None,
    };
    match parsed {
        Some((name, v)) => {
            answers.insert(name.to_string(), v);
            serde_json::json!({"Answer": name, "Value": v})
        }
        None => {
            serde_json::json!({"Error": {"Code": "ParamValidation", "Message": "usage: answer NAME VALUE (a number, e.g. 18 or 18MB/s)"}})
        }
    }
}

/// The relative error of an answer predicate: |answer - expected| / expected, 1.0 when there is
/// no answer (or nothing to expect).
fn answer_error(answers: &BTreeMap<String, f64>, name: &str, expect: Option<&Expect>) -> f64 {
    let expected = match expect {
        Some(Expect::CostCrossover(c)) => c.mb_per_sec(),
        None => None,
    };
    match (answers.get(name), expected) {
        (Some(a), Some(e)) if e > 0.0 => (a - e).abs() / e,
        _ => 1.0,
    }
}

/// Evaluates one predicate over the last `window` seconds of the run. A scope that does not
/// exist reads as all zeros.
pub(crate) fn evaluate(
    console: &Console,
    answers: &BTreeMap<String, f64>,
    p: &Predicate,
) -> Outcome {
    let value = match &p.scope {
        Scope::Answer(name) => answer_error(answers, name, p.expect.as_ref()),
        _ => metric_value(console, p),
    };
    Outcome {
        name: p.name.clone(),
        metric: p.metric.clone(),
        stat: p.stat,
        value,
        op: p.op.symbol(),
        threshold: p.threshold,
        window: p.window.clone(),
        met: p.op.holds(value, p.threshold),
    }
}

/// A metric predicate's value over the last `window` seconds.
fn metric_value(console: &Console, p: &Predicate) -> f64 {
    let to = console.sim.now().as_secs();
    let window = SimDuration::parse(&p.window).unwrap_or(SimDuration::from_secs(to));
    let from = to.saturating_sub(window.as_micros() / 1_000_000);
    let series = |name: &str| -> Vec<u64> {
        metric_by_second(console, &p.scope, name, from, to)
            .into_values()
            .collect()
    };
    let sum = |name: &str| series(name).iter().sum::<u64>() as f64;
    match p.stat {
        Stat::Sum => sum(&p.metric),
        Stat::PerSecond => sum(&p.metric) / (to - from).max(1) as f64,
        Stat::MaxPerSecond => series(&p.metric).into_iter().max().unwrap_or(0) as f64,
        Stat::Change => {
            let values = series(&p.metric);
            match (values.first(), values.last()) {
                (Some(first), Some(last)) => last.saturating_sub(*first) as f64,
                _ => 0.0,
            }
        }
        Stat::Ratio => {
            let denominator: f64 = p.of.iter().map(|m| sum(m)).sum();
            if denominator > 0.0 {
                sum(&p.metric) / denominator
            } else {
                0.0
            }
        }
    }
}

/// A metric summed over a predicate's scope, per whole second in `[from, to)`: seconds with
/// no samples are absent.
pub(crate) fn metric_by_second(
    console: &Console,
    scope: &Scope,
    name: &str,
    from: u64,
    to: u64,
) -> BTreeMap<u64, u64> {
    let mut by_second: BTreeMap<u64, u64> = BTreeMap::new();
    let Some(m) = Metric::parse(name) else {
        return by_second;
    };
    for set in scope_metrics(console, scope) {
        for m in scope_metric_names(scope, m) {
            if let Some(series) = set.get(m) {
                for (sec, v) in series.since(from).filter(|(sec, _)| *sec < to) {
                    *by_second.entry(sec).or_default() += v;
                }
            }
        }
    }
    by_second
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_prefixes_match_whole_words() {
        let lab = bundled::labs().unwrap().remove(0);
        assert!(lab.allows("gen start x --stream orders"));
        assert!(lab.allows("aws  kinesis   update-shard-count --stream-name orders"));
        assert!(!lab.allows("generate"));
        assert!(!lab.allows("advance 1h"));
    }
}
