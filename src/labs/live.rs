//! A lab played live (the TUI's lab screen): the same setup, schedule, allowed commands and
//! predicates as [`super::run`], but advanced step by step as the learner watches and types.
//! Pure: virtual time moves only when [`LiveLab::advance`] is called.

use serde_json::Value;

use std::collections::BTreeMap;

use super::{ANSWER_COMMAND, Lab, Outcome, Scope, evaluate, record_answer};
use crate::engine::metrics::Metric;
use crate::engine::{Console, SimDuration};

/// Upper bound on the event log kept for the screen.
const LOG_LINES_MAX: usize = 200;

/// One shard's writes in the last second, against its limit.
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
    pub commands_used: u32,
    pub hints_shown: usize,
    /// The learner's `answer NAME VALUE`s, for answer goals.
    answers: BTreeMap<String, f64>,
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
            log,
            commands_used: 0,
            hints_shown: 0,
            answers: BTreeMap::new(),
        }
    }

    pub fn now(&self) -> SimDuration {
        self.now
    }

    pub fn finished(&self) -> bool {
        self.now >= self.lab.duration()
    }

    /// Moves virtual time forward by `step` (not past the end), running scheduled commands on
    /// the way.
    pub fn advance(&mut self, step: SimDuration) {
        let end = self.lab.duration();
        let target = SimDuration((self.now.0 + step.0).min(end.0));
        while let Some((at, command)) = self.schedule.get(self.next).cloned() {
            if at > target {
                break;
            }
            self.advance_to(at);
            let reply = execute(&mut self.console, &command);
            let note = error_of(&reply).map_or_else(String::new, |e| format!(" failed: {e}"));
            self.push_log(format!("t={at} {command}{note}"));
            self.next += 1;
        }
        self.advance_to(target);
    }

    fn advance_to(&mut self, at: SimDuration) {
        if at > self.now {
            if let Err(e) = self.console.sim.advance(SimDuration(at.0 - self.now.0)) {
                self.push_log(format!("t={at} engine: {e}"));
            }
            self.now = at;
        }
    }

    /// Runs a learner command now, if the lab allows it; logs and returns the reply.
    pub fn command(&mut self, command: &str) -> Value {
        let command = command.trim();
        if command.is_empty() {
            return Value::Null;
        }
        if self.finished() {
            self.push_log("the run is over".to_owned());
            return Value::Null;
        }
        if !self.lab.allows(command) {
            self.push_log(format!("t={} not allowed here: {command}", self.now));
            return serde_json::json!({"Error": {"Code": "NotAllowed", "Message": "this lab does not allow that command"}});
        }
        self.commands_used += 1;
        let reply = if command.split_whitespace().next() == Some(ANSWER_COMMAND) {
            record_answer(command, &mut self.answers)
        } else {
            execute(&mut self.console, command)
        };
        let summary = error_of(&reply).unwrap_or_else(|| short(&reply));
        self.push_log(format!("t={} > {command}: {summary}", self.now));
        reply
    }

    /// The goal's predicates as of now, over windows ending now.
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.lab
            .goal
            .iter()
            .map(|p| evaluate(&self.console, &self.answers, p))
            .collect()
    }

    /// Writes per open shard in the last second of each stream the goal watches.
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
        let last = |series: Option<&crate::engine::metrics::Series>| {
            series.map_or(0, crate::engine::metrics::Series::last)
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
        self.console
            .sim
            .kcl
            .values()
            .map(|app| {
                let mut lag = vec![0; usize::try_from(to - from).unwrap_or(0)];
                if let Some(series) = app.metrics.get(Metric::KclMillisBehindLatest) {
                    for (sec, value) in series.since(from).filter(|(sec, _)| *sec < to) {
                        if let Some(slot) =
                            lag.get_mut(usize::try_from(sec - from).unwrap_or(usize::MAX))
                        {
                            *slot = value;
                        }
                    }
                }
                (app.name.clone(), lag)
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

/// A reply in one short line for the log.
fn short(reply: &Value) -> String {
    let text = reply.to_string();
    if text.chars().count() > 100 {
        let cut: String = text.chars().take(99).collect();
        format!("{cut}…")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_run_matches_the_batch_verdict_for_the_same_commands() {
        for lab in super::super::bundled::labs().expect("labs parse") {
            let solution = super::super::bundled::solution(&lab.id).expect("solution");
            let script = super::super::parse_script(solution).expect("script");
            let batch = super::super::run(&lab, &script, 1);

            let mut live = LiveLab::new(lab.clone(), 1);
            for (at, command) in &script {
                live.advance(SimDuration(at.0.saturating_sub(live.now().0)));
                live.command(command);
            }
            live.advance(lab.duration());
            assert!(live.finished());
            let outcomes = live.outcomes();
            assert_eq!(
                outcomes.iter().map(|o| o.met).collect::<Vec<_>>(),
                batch.predicates.iter().map(|o| o.met).collect::<Vec<_>>(),
                "{}",
                lab.id
            );
            assert!(batch.passed, "{}", lab.id);
            for (app, lag) in live.consumer_lag(60) {
                assert_eq!(lag.len(), 60, "{}: {app}", lab.id);
            }
        }
    }
}
