//! A lab played live (the TUI's lab screen): the same setup, schedule, allowed commands and
//! predicates as [`super::run`], but advanced step by step as the learner watches and types.
//! Pure: virtual time moves only when [`LiveLab::advance`] is called.

use serde_json::Value;

use std::collections::BTreeMap;

use super::completion::{self, Completion, Names};
use super::{ANSWER_COMMAND, Lab, Outcome, Scope, commands, evaluate, record_answer};
use streamdrill_engine::api::kinesis::{self as kinesis_api, Subscription};
use streamdrill_engine::kinesis::{ErrorCode, KinesisError};
use streamdrill_engine::metrics::Metric;
use streamdrill_engine::{Console, SimDuration};

/// Upper bound on the event log kept for the screen.
const LOG_LINES_MAX: usize = 200;

/// One shard's writes in the last complete second, against its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardLoad {
    pub shard: String,
    pub records: u64,
    pub throttled: u64,
}

pub struct LiveLab {
    pub lab: Lab,
    console: Console,
    /// Time since the lab started.
    now: SimDuration,
    /// The lab's own timed commands, in time order, and how many have run.
    schedule: Vec<(SimDuration, String)>,
    next: usize,
    pub log: Vec<String>,
    /// Lines ever written to the log (the log keeps the last LOG_LINES_MAX).
    logged: u64,
    pub commands_used: u32,
    pub hints_shown: usize,
    /// The learner's `answer NAME VALUE`s, for answer goals.
    answers: BTreeMap<String, f64>,
    /// Kafka cluster events already copied into the log.
    kafka_events_seen: u64,
    /// Rebalances already told in the log, per group.
    rebalances_seen: BTreeMap<String, u64>,
    /// How and when the run ended, once it has.
    ending: Option<(SimDuration, Ending)>,
    /// Why the engine stopped the run, when it did.
    halted: Option<String>,
}

/// How a live run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Every predicate held over a whole window of time after the learner had control and the
    /// lab's script had run.
    GoalHeld,
    /// The lab's planned time ran out; the verdict is the goal at that moment, as `lab run`
    /// judges it.
    TimeUp { passed: bool },
    /// The learner stopped the run.
    GaveUp,
    /// The engine refused or stopped an advance (a budget): the run cannot go on honestly.
    Halted,
}

impl Ending {
    pub fn passed(self) -> bool {
        matches!(self, Ending::GoalHeld | Ending::TimeUp { passed: true })
    }
}

/// A goal predicate as the screen shows it: its outcome now, and whether its window has filled.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalLine {
    pub outcome: Outcome,
    /// (time judged so far, the window) while the window is still filling: until then the
    /// predicate cannot be judged, whatever its value.
    pub filling: Option<(SimDuration, SimDuration)>,
    /// When judging starts, while it has not yet: after the handover and the lab's last
    /// scripted step.
    pub judged_from: Option<SimDuration>,
}

/// Partitions the Kafka view lists at most (the rest are summarised).
pub const KAFKA_PARTITIONS_SHOWN: usize = 64;

/// What the lab screen shows of a Kafka cluster, as plain data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KafkaView {
    pub controller: String,
    pub brokers: Vec<BrokerRow>,
    pub partitions: Vec<PartitionRow>,
    pub partitions_total: usize,
    pub under_replicated: usize,
    pub offline: usize,
    pub producers: Vec<ProducerRow>,
    pub members: Vec<MemberRow>,
    pub processors: Vec<ProcessorRow>,
    /// Per compacted topic: (topic, log bytes, bytes the cleaner has not cleaned).
    pub compacted: Vec<(String, u64, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerRow {
    pub id: u32,
    pub state: String,
    pub leaderships: usize,
    pub controller: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRow {
    pub name: String,
    pub leader: Option<u32>,
    pub replicas: Vec<u32>,
    pub isr: Vec<u32>,
    pub high_watermark: u64,
    pub log_end: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerRow {
    pub name: String,
    pub acks: String,
    pub acked: u64,
    pub failed: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub group: String,
    pub member: String,
    pub alive: bool,
    pub partitions: usize,
    pub lag: u64,
    pub pause_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorRow {
    pub name: String,
    pub guarantee: String,
    pub alive: bool,
    pub processed: u64,
    pub duplicates: u64,
    pub missing: u64,
}

impl std::fmt::Debug for LiveLab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveLab")
            .field("lab", &self.lab.id)
            .field("now", &self.now.to_string())
            .finish_non_exhaustive()
    }
}

impl LiveLab {
    pub fn new(lab: Lab, seed: u64) -> Self {
        let mut console = Console::new(seed);
        let mut log = Vec::new();
        for command in &lab.setup {
            if let Some(error) = error_of(&execute(&mut console, command)) {
                log.push(format!("t=0s setup failed: {command}: {error}"));
            }
        }
        let mut schedule: Vec<(SimDuration, String)> = lab
            .schedule
            .iter()
            .map(|t| {
                (
                    SimDuration::parse(&t.at).unwrap_or(SimDuration(0)),
                    t.command.clone(),
                )
            })
            .collect();
        schedule.sort_by_key(|(at, _)| *at);
        log.push(format!("t=0s {} is running", lab.title));
        Self {
            lab,
            console,
            now: SimDuration(0),
            schedule,
            next: 0,
            logged: log.len() as u64,
            log,
            commands_used: 0,
            hints_shown: 0,
            answers: BTreeMap::new(),
            kafka_events_seen: 0,
            rebalances_seen: BTreeMap::new(),
            ending: None,
            halted: None,
        }
    }

    /// Plays the lab's setup and script up to its handover at full speed (the incident
    /// happens before the learner has control), then hands over.
    pub fn start(&mut self) {
        let handover = self.lab.handover();
        if handover > self.now {
            self.advance(SimDuration(handover.0 - self.now.0));
            self.push_log(format!("t={handover} the page: you have control"));
        } else {
            // The setup's own cluster events (topics created...) come first.
            self.copy_kafka_events();
            self.push_log(format!("t={} you have control", self.now));
        }
    }

    /// The learner stops the run; it is not passed.
    pub fn give_up(&mut self) {
        if self.ending.is_none() {
            self.ending = Some((self.now, Ending::GaveUp));
            self.push_log(format!("t={} given up", self.now));
        }
    }

    pub fn ending(&self) -> Option<(SimDuration, Ending)> {
        self.ending
    }

    pub fn passed(&self) -> bool {
        self.ending.is_some_and(|(_, e)| e.passed())
    }

    /// From when the goal can be judged: after the handover and the lab's last scripted step,
    /// so a window that ends early cannot pass on time before the incident.
    fn judged_from(&self) -> SimDuration {
        self.lab.handover().max(self.lab.last_scheduled())
    }

    /// Each goal predicate now, with how much of its window has filled.
    pub fn goal_lines(&self) -> Vec<GoalLine> {
        let from = self.judged_from();
        let judged = SimDuration(self.now.0.saturating_sub(from.0));
        self.lab
            .goal
            .iter()
            .zip(self.outcomes())
            .map(|(predicate, outcome)| {
                let window = SimDuration::parse(&predicate.window).unwrap_or(SimDuration(0));
                GoalLine {
                    outcome,
                    filling: (judged < window).then_some((judged, window)),
                    judged_from: (self.now < from).then_some(from),
                }
            })
            .collect()
    }

    /// Per goal predicate, its metric per second over the last `seconds` seconds, oldest first
    /// (a second without samples reads 0): the goal's sparklines. None for an answer goal; for
    /// a ratio, the metric being divided.
    pub fn goal_series(&self, seconds: u64) -> Vec<Option<Vec<u64>>> {
        let to = self.console.sim.now().as_secs();
        let from = to.saturating_sub(seconds);
        self.lab
            .goal
            .iter()
            .map(|p| {
                if matches!(p.scope, Scope::Answer(_)) {
                    return None;
                }
                let by_second =
                    super::metric_by_second(&self.console, &p.scope, &p.metric, from, to);
                Some(
                    (from..to)
                        .map(|sec| by_second.get(&sec).copied().unwrap_or(0))
                        .collect(),
                )
            })
            .collect()
    }

    /// Once the run is over: whether it passed, and why, in a sentence.
    pub fn verdict(&self) -> Option<(bool, String)> {
        let (at, ending) = self.ending?;
        let unmet: Vec<String> = self
            .outcomes()
            .into_iter()
            .filter(|o| !o.met)
            .map(|o| o.name)
            .collect();
        let reason = match ending {
            Ending::GoalHeld => {
                format!("PASSED at t={at}: every goal held over its whole window.")
            }
            Ending::TimeUp { passed: true } => format!(
                "PASSED: the lab's {} ran out with every goal met.",
                self.lab.duration()
            ),
            Ending::TimeUp { passed: false } => format!(
                "NOT PASSED: the lab's {} ran out with goals not met: {}.",
                self.lab.duration(),
                unmet.join("; ")
            ),
            Ending::GaveUp => format!("NOT PASSED: you gave up at t={at}."),
            Ending::Halted => format!(
                "NOT PASSED: the simulator stopped the run at t={at}: {}",
                self.halted.as_deref().unwrap_or("over its budget")
            ),
        };
        Some((ending.passed(), reason))
    }

    /// Ends the run when its time is up or the goal has held for its windows.
    fn settle(&mut self) {
        if self.ending.is_some() {
            return;
        }
        if self.now >= self.lab.duration() {
            let passed = self.outcomes().iter().all(|o| o.met);
            self.ending = Some((self.now, Ending::TimeUp { passed }));
            return;
        }
        let lines = self.goal_lines();
        if lines.iter().all(|l| l.outcome.met && l.filling.is_none()) {
            self.ending = Some((self.now, Ending::GoalHeld));
            self.push_log(format!("t={} the goal held for its window", self.now));
        }
    }

    pub fn now(&self) -> SimDuration {
        self.now
    }

    pub fn finished(&self) -> bool {
        self.ending.is_some()
    }

    /// Moves virtual time forward by `step` (not past the end), running scheduled commands on
    /// the way.
    pub fn advance(&mut self, step: SimDuration) {
        if self.ending.is_some() {
            return;
        }
        let end = self.lab.duration();
        let target = SimDuration((self.now.0 + step.0).min(end.0));
        while let Some((at, command)) = self.schedule.get(self.next).cloned() {
            if at > target {
                break;
            }
            self.advance_to(at);
            if self.ending.is_some() {
                return;
            }
            let reply = execute(&mut self.console, &command);
            // The script's own steps stay unnamed (they would give the incident away); its
            // effects show in the metrics and the cluster events. A failing step is a lab bug.
            if let Some(error) = error_of(&reply) {
                self.push_log(format!("t={at} lab script step failed: {error}"));
            }
            self.next += 1;
        }
        self.advance_to(target);
        self.settle();
    }

    fn advance_to(&mut self, at: SimDuration) {
        if at > self.now && self.ending.is_none() {
            if let Err(e) = self.console.sim.advance(SimDuration(at.0 - self.now.0)) {
                // As `lab run` does: the clock no longer stands where the lab's does, and
                // every later step would cost as much again, so the run ends here.
                self.push_log(format!("t={at} engine: {e}"));
                self.halted = Some(e.clone());
                self.ending = Some((self.now, Ending::Halted));
                return;
            }
            self.now = at;
            self.copy_kafka_events();
        }
    }

    /// Copies new Kafka cluster events (brokers, leaders, ISR) and finished rebalances into
    /// the log, stamped with their own virtual time.
    fn copy_kafka_events(&mut self) {
        let Some(k) = self.console.sim.kafka.as_ref() else {
            return;
        };
        let mut lines = Vec::new();
        let c = &k.cluster;
        let new = c.events_total.saturating_sub(self.kafka_events_seen);
        let skip = c
            .events
            .len()
            .saturating_sub(usize::try_from(new).unwrap_or(usize::MAX));
        for e in c.events.iter().skip(skip) {
            lines.push(format!("t={} {}", SimDuration(e.at.0), e.text));
        }
        self.kafka_events_seen = c.events_total;
        for (name, g) in &k.groups {
            let seen = self.rebalances_seen.get(name).copied().unwrap_or(0);
            let mut latest = seen;
            for r in g.group.rebalances() {
                let Some(done) = r.completed else { continue };
                if u64::from(r.generation) <= seen {
                    continue;
                }
                latest = latest.max(u64::from(r.generation));
                let took = done.since(r.started);
                lines.push(format!(
                    "t={} {name} rebalance gen {} ({}, {took}): {}",
                    SimDuration(done.0),
                    r.generation,
                    r.protocol.name(),
                    r.reason
                ));
            }
            self.rebalances_seen.insert(name.clone(), latest);
        }
        for line in lines {
            self.push_log(line);
        }
    }

    /// What exists in the run now, by kind, for completing names on the console line.
    pub fn names(&self) -> Names {
        let sim = &self.console.sim;
        let mut names = Names {
            generators: sim.generators.keys().cloned().collect(),
            kcl_apps: sim.kcl.keys().cloned().collect(),
            delivery_streams: sim.firehoses.keys().cloned().collect(),
            loaders: sim.loaders.keys().cloned().collect(),
            pollers: sim.pollers.keys().cloned().collect(),
            ..Names::default()
        };
        for stream in sim.kinesis.streams() {
            names.streams.push(stream.name.clone());
            for index in stream.open_shards() {
                names.shards.push((
                    stream.name.clone(),
                    streamdrill_engine::kinesis::shard_id(*index),
                ));
            }
        }
        if let Some(k) = sim.kafka.as_ref() {
            names.topics = k.cluster.topics.keys().cloned().collect();
            names.groups = k.groups.keys().cloned().collect();
            names.producers = k.producers.keys().cloned().collect();
        }
        names
    }

    /// Completes the console line: command words, options, names of what exists.
    pub fn complete(&self, line: &str) -> Completion {
        completion::complete(line, &commands::allowed_commands(&self.lab), &self.names())
    }

    /// The Kafka cluster and its clients as the screen draws them; `None` without a cluster.
    /// The lab's Kafka cluster and the virtual time, for the Kafka front door (which lets a
    /// real client watch the lab's cluster, not write to it).
    pub fn kafka_mut(
        &mut self,
    ) -> Option<(
        &mut streamdrill_engine::kafka::world::Kafka,
        streamdrill_engine::SimTime,
    )> {
        let now = self.console.sim.now();
        self.console.sim.kafka.as_mut().map(|k| (k, now))
    }

    pub fn kafka_view(&self) -> Option<KafkaView> {
        let k = self.console.sim.kafka.as_ref()?;
        let c = &k.cluster;
        let now = self.console.sim.now();
        let mut view = KafkaView {
            controller: c.controller_description(now),
            ..KafkaView::default()
        };
        for b in c.brokers.values() {
            let state = match b.state {
                streamdrill_engine::kafka::cluster::BrokerState::Running if b.fenced => "fenced",
                streamdrill_engine::kafka::cluster::BrokerState::Running => "up",
                streamdrill_engine::kafka::cluster::BrokerState::Stopped => "DOWN",
                streamdrill_engine::kafka::cluster::BrokerState::Paused(_) => "PAUSED",
            };
            view.brokers.push(BrokerRow {
                id: b.id,
                state: state.to_owned(),
                leaderships: c
                    .topics
                    .values()
                    .flat_map(|t| &t.partitions)
                    .filter(|p| p.leader == Some(b.id))
                    .count(),
                controller: c.controller_broker() == Some(b.id),
            });
        }
        for t in c.topics.values() {
            if t.config.log.cleanup_policy.compacts() {
                let (size, dirty) = c.topic_bytes(&t.name);
                view.compacted.push((t.name.clone(), size, dirty));
            }
            for p in &t.partitions {
                view.partitions_total += 1;
                if p.leader.is_none() {
                    view.offline += 1;
                } else if p.isr.len() < p.replicas.len() {
                    view.under_replicated += 1;
                }
                if view.partitions.len() < KAFKA_PARTITIONS_SHOWN {
                    view.partitions.push(PartitionRow {
                        name: format!("{}-{}", t.name, p.index),
                        leader: p.leader,
                        replicas: p.replica_ids(),
                        isr: p.isr.clone(),
                        high_watermark: p.high_watermark,
                        log_end: p.log.end_offset,
                    });
                }
            }
        }
        for p in k.producers.values() {
            view.producers.push(ProducerRow {
                name: p.name.clone(),
                acks: p.config.acks.name().to_owned(),
                acked: p.stats.acked,
                failed: p.stats.failed,
                lost: k.lost(p),
                duplicated: p.stats.duplicated,
                last_error: p.stats.last_error.as_ref().map(|(_, e)| e.clone()),
            });
        }
        for (name, g) in &k.groups {
            for m in g.group.members() {
                let lag = g
                    .member_by_id(m.id)
                    .and_then(|x| x.metrics.get(Metric::KafkaConsumerLag))
                    .map_or(0, streamdrill_engine::metrics::Series::last);
                view.members.push(MemberRow {
                    group: name.clone(),
                    member: m.id.to_owned(),
                    alive: m.alive,
                    partitions: m.assignment.len(),
                    lag,
                    pause_ms: m.pause_total.0 / 1000,
                });
            }
        }
        for p in k.processors.values() {
            view.processors.push(ProcessorRow {
                name: p.name.clone(),
                guarantee: p.config.guarantee.name().to_owned(),
                alive: p.alive,
                processed: p.processed,
                duplicates: p.verification.duplicates,
                missing: p.verification.missing,
            });
        }
        Some(view)
    }

    /// Runs a learner command now, if the lab allows it, and returns what the console shows.
    /// `help` is always allowed and costs nothing; a trailing `--json` asks for the raw reply.
    pub fn command(&mut self, line: &str) -> Reply {
        let line = line.trim();
        if line.is_empty() {
            return Reply::Nothing;
        }
        let (line, raw) = match line.strip_suffix("--json") {
            Some(rest) if rest.ends_with(char::is_whitespace) => (rest.trim_end(), true),
            _ => (line, false),
        };
        if line == "help" || line.starts_with("help ") {
            return Reply::Text(commands::help(&self.lab, line.trim_start_matches("help")));
        }
        if self.finished() {
            return Reply::Text(vec![
                "The run is over: ctrl-r runs the lab again, esc goes back to the labs.".to_owned(),
            ]);
        }
        let all = commands::all_commands();
        if commands::known(&all, line).is_none() && !line.starts_with("kinesis ") {
            let mut text = format!("unknown command '{line}'");
            if let Some(near) = commands::nearest(&all, line) {
                text.push_str(&format!(": did you mean '{}'?", near.name));
            }
            text.push_str(" (`help` lists this lab's commands)");
            return Reply::Text(vec![text]);
        }
        if !self.lab.allows(line) {
            return Reply::Text(vec![format!(
                "not allowed in this lab: '{line}' (`help` lists what it allows)"
            )]);
        }
        self.commands_used += 1;
        let value = if line.split_whitespace().next() == Some(ANSWER_COMMAND) {
            record_answer(line, &mut self.answers)
        } else {
            execute(&mut self.console, line)
        };
        let note = error_of(&value).map_or_else(String::new, |e| format!(" (failed: {e})"));
        self.push_log(format!("t={} > {line}{note}", self.now));
        Reply::Json { value, raw }
    }

    /// The log lines written after the first `seen` of all ever written (those still kept),
    /// and how many have been written.
    pub fn log_after(&self, seen: u64) -> (&[String], u64) {
        let new = self.logged.saturating_sub(seen).min(self.log.len() as u64) as usize;
        (&self.log[self.log.len() - new..], self.logged)
    }

    /// A real client's Kinesis request (through the HTTP front door), held to the same rule as
    /// the console line `aws kinesis <operation>`: refused unless the lab allows that command.
    pub fn client_call(&mut self, operation: &str, request: &Value) -> Result<Value, KinesisError> {
        self.client_allowed(operation)?;
        let answer = kinesis_api::call(&mut self.console.sim, operation, request);
        self.log_client(
            &kinesis_api::cli_name(operation),
            answer.as_ref().err().map(|e| e.code.name()),
        );
        answer
    }

    /// A real client's `SubscribeToShard`, allowed as `aws kinesis subscribe-to-shard` is.
    pub fn client_subscribe(&mut self, request: &Value) -> Result<Subscription, KinesisError> {
        self.client_allowed("SubscribeToShard")?;
        let answer = kinesis_api::subscribe(&mut self.console.sim, request);
        self.log_client(
            &kinesis_api::cli_name("SubscribeToShard"),
            answer.as_ref().err().map(|e| e.code.name()),
        );
        answer
    }

    /// The events pushed to a real client's subscription since the last call, and whether it
    /// has ended (an ended lab ends it too).
    pub fn client_events(
        &mut self,
        sub: &Subscription,
    ) -> Result<(Vec<Value>, bool), KinesisError> {
        let (events, ended) = kinesis_api::subscription_events(&mut self.console.sim, sub)?;
        Ok((events, ended || self.finished()))
    }

    /// Whether a real client may do what the console `command` does in this lab (and the run
    /// is not over).
    pub fn client_may(&self, command: &str) -> bool {
        !self.finished() && self.lab.allows(command)
    }

    fn client_allowed(&self, operation: &str) -> Result<(), KinesisError> {
        if self.finished() {
            return Err(KinesisError::new(
                ErrorCode::AccessDenied,
                "the lab run is over",
            ));
        }
        let command = format!("aws kinesis {}", kinesis_api::cli_name(operation));
        if self.lab.allows(&command) {
            Ok(())
        } else {
            Err(KinesisError::new(
                ErrorCode::AccessDenied,
                format!(
                    "not allowed in this lab: {operation} (`help` on the console lists what it allows)"
                ),
            ))
        }
    }

    /// Logs a client's call as the console command it stands for (`error`: the code it failed
    /// with). A run of the same call with the same outcome (a client polling for ACTIVE, a
    /// producer's puts) is one line: its first.
    pub fn log_client(&mut self, command: &str, error: Option<&str>) {
        self.commands_used += 1;
        let note = error.map_or_else(String::new, |code| format!(" (failed: {code})"));
        let what = format!("> {command} from a client{note}");
        let repeated = self
            .log
            .last()
            .is_some_and(|last| last.split_once(' ').is_some_and(|(_, rest)| rest == what));
        if !repeated {
            self.push_log(format!("t={} {what}", self.now));
        }
    }

    pub fn debrief(&self) -> &str {
        &self.lab.debrief.text
    }

    /// The goal's predicates as of now, over windows ending now.
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.lab
            .goal
            .iter()
            .map(|p| evaluate(&self.console, &self.answers, p))
            .collect()
    }

    /// Writes per open shard in the last complete second of each stream the goal watches: a
    /// shard that stopped throttling reads 0, not the last throttle it had.
    pub fn shard_loads(&self) -> Vec<ShardLoad> {
        let mut loads = Vec::new();
        let mut streams: Vec<&str> = self
            .lab
            .goal
            .iter()
            .filter_map(|p| match &p.scope {
                Scope::Stream(name) => Some(name.as_str()),
                _ => None,
            })
            .collect();
        streams.dedup();
        let second = self.console.sim.now().as_secs().saturating_sub(1);
        let last = |series: Option<&streamdrill_engine::metrics::Series>| {
            series.map_or(0, |s| s.at(second))
        };
        for name in streams {
            let Ok(stream) = self.console.sim.kinesis.stream(name) else {
                continue;
            };
            for index in stream.open_shards() {
                if let Some(shard) = stream.shards.get(*index as usize) {
                    loads.push(ShardLoad {
                        shard: format!("{name}/{index}"),
                        records: last(shard.metrics.get(Metric::IncomingRecords)),
                        throttled: last(
                            shard
                                .metrics
                                .get(Metric::WriteProvisionedThroughputExceeded),
                        ),
                    });
                }
            }
        }
        loads
    }

    /// Per KCL application, how far behind the stream it was (`KCL.MillisBehindLatest`) in each
    /// of the last `seconds` seconds, oldest first: the consumer-lag sparklines.
    pub fn consumer_lag(&self, seconds: u64) -> Vec<(String, Vec<u64>)> {
        let to = self.console.sim.now().as_secs();
        let from = to.saturating_sub(seconds);
        let kafka = self.console.sim.kafka.as_ref();
        let groups = kafka
            .into_iter()
            .flat_map(|k| k.groups.iter())
            .map(|(name, g)| {
                (
                    format!("{name} (records)"),
                    g.metrics.get(Metric::KafkaConsumerLag),
                )
            });
        self.console
            .sim
            .kcl
            .values()
            .map(|app| {
                (
                    format!("{} (ms)", app.name),
                    app.metrics.get(Metric::KclMillisBehindLatest),
                )
            })
            .chain(groups)
            .map(|(name, series)| {
                let mut lag = vec![0; usize::try_from(to - from).unwrap_or(0)];
                if let Some(series) = series {
                    for (sec, value) in series.since(from).filter(|(sec, _)| *sec < to) {
                        if let Some(slot) =
                            lag.get_mut(usize::try_from(sec - from).unwrap_or(usize::MAX))
                        {
                            *slot = value;
                        }
                    }
                }
                (name, lag)
            })
            .collect()
    }

    /// The next hint, if any are left.
    pub fn next_hint(&mut self) -> Option<&str> {
        let hint = self.lab.hints.get(self.hints_shown)?;
        self.hints_shown += 1;
        Some(hint.as_str())
    }

    fn push_log(&mut self, line: String) {
        self.logged += 1;
        self.log.push(line);
        if self.log.len() > LOG_LINES_MAX {
            self.log.remove(0);
        }
    }
}

fn execute(console: &mut Console, command: &str) -> Value {
    console
        .execute(command)
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null)
}

fn error_of(reply: &Value) -> Option<String> {
    reply.get("Error").map(|e| {
        e.get("Message")
            .and_then(Value::as_str)
            .map_or_else(|| e.to_string(), str::to_owned)
    })
}

/// What the console pane shows for a learner's line.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A blank line: nothing ran.
    Nothing,
    /// The engine's reply; `raw` when the learner asked for `--json`.
    Json { value: Value, raw: bool },
    /// The lab's own answer: help, "unknown command", "not allowed".
    Text(Vec<String>),
}

impl Reply {
    /// The reply as lines for a pane `width` columns wide.
    pub fn lines(&self, width: usize) -> Vec<String> {
        match self {
            Reply::Nothing => Vec::new(),
            Reply::Json { value, raw: true } => vec![value.to_string()],
            Reply::Json { value, raw: false } => super::readable::readable(value, width),
            Reply::Text(lines) => lines.clone(),
        }
    }

    /// The JSON reply, if the engine ran the line.
    pub fn value(&self) -> Option<&Value> {
        match self {
            Reply::Json { value, .. } => Some(value),
            _ => None,
        }
    }
}
