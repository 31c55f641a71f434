//! What the doors serve: a free simulation (the `sim` console's world) or a lab run, where a
//! real client is held to the lab's rules as the console is. Requests from the network and
//! lines from the console reach the engine through here.

use serde_json::Value;
use streamdrill_engine::api::kinesis::{self as api, Subscription};
use streamdrill_engine::kinesis::KinesisError;
use streamdrill_engine::{Console, SimDuration};

use crate::labs::live::LiveLab;
use crate::labs::readable::readable;
use crate::text::sanitize_line;

pub enum World {
    Free(Box<Console>),
    Lab(Box<LiveLab>),
}

impl World {
    /// Virtual time since the world began.
    pub fn elapsed(&self) -> SimDuration {
        match self {
            World::Free(console) => SimDuration(console.sim.now().0),
            World::Lab(lab) => lab.now(),
        }
    }

    /// Moves virtual time on. A lab stops at its end; an engine refusal in a free world is
    /// reported on stderr (the world stays where it was, the clock goes on from there).
    pub fn advance(&mut self, step: SimDuration) {
        match self {
            World::Free(console) => {
                if let Err(e) = console.sim.advance(step) {
                    eprintln!("engine: {}", sanitize_line(&e));
                }
            }
            World::Lab(lab) => lab.advance(step),
        }
    }

    pub fn kinesis_call(
        &mut self,
        operation: &str,
        request: &Value,
    ) -> Result<Value, KinesisError> {
        match self {
            World::Free(console) => api::call(&mut console.sim, operation, request),
            World::Lab(lab) => lab.client_call(operation, request),
        }
    }

    pub fn kinesis_subscribe(&mut self, request: &Value) -> Result<Subscription, KinesisError> {
        match self {
            World::Free(console) => api::subscribe(&mut console.sim, request),
            World::Lab(lab) => lab.client_subscribe(request),
        }
    }

    pub fn kinesis_events(
        &mut self,
        sub: &Subscription,
    ) -> Result<(Vec<Value>, bool), KinesisError> {
        match self {
            World::Free(console) => api::subscription_events(&mut console.sim, sub),
            World::Lab(lab) => lab.client_events(sub),
        }
    }

    /// Runs a console line and returns what to print, `width` columns wide and safe for a
    /// terminal (clients name streams and keys: their text is shown here). A line ending in
    /// `--json` prints the raw reply. In a lab, `advance D` moves the lab's clock on (as the
    /// lab screen's fast-forward does); other lines are the lab's commands.
    pub fn console_line(&mut self, line: &str, width: usize) -> Vec<String> {
        let lines = match self {
            World::Free(_) if line == "help" || line.starts_with("help ") => {
                crate::labs::commands::help_free(line.trim_start_matches("help"))
            }
            World::Free(console) => {
                let (line, raw) = match line.trim_end().strip_suffix("--json") {
                    Some(rest) if rest.ends_with(char::is_whitespace) => (rest, true),
                    _ => (line, false),
                };
                match console.execute(line) {
                    None => Vec::new(),
                    Some(json) if raw => vec![json],
                    Some(json) => match serde_json::from_str::<Value>(&json) {
                        Ok(value) => readable(&value, width),
                        Err(_) => vec![json],
                    },
                }
            }
            World::Lab(lab) => match line.split_whitespace().collect::<Vec<_>>().as_slice() {
                ["advance", d] => match SimDuration::parse(d) {
                    Ok(step) => {
                        lab.advance(step);
                        vec![format!("t={}", lab.now())]
                    }
                    Err(e) => vec![e],
                },
                _ => lab.command(line).lines(width),
            },
        };
        lines.iter().map(|l| sanitize_line(l)).collect()
    }

    /// The lab's verdict once its run is over (a free world never ends).
    pub fn verdict(&self) -> Option<(bool, String)> {
        match self {
            World::Free(_) => None,
            World::Lab(lab) => lab.verdict(),
        }
    }

    /// The lab's event log lines written after the first `seen`, and how many have been
    /// written (a free world keeps no log).
    pub fn log_after(&self, seen: u64) -> (&[String], u64) {
        match self {
            World::Free(_) => (&[], 0),
            World::Lab(lab) => lab.log_after(seen),
        }
    }

    /// The learner's effort in a lab: commands run (console and client) and hints shown.
    pub fn effort(&self) -> (u32, u32) {
        match self {
            World::Free(_) => (0, 0),
            World::Lab(lab) => (
                lab.commands_used,
                u32::try_from(lab.hints_shown).unwrap_or(u32::MAX),
            ),
        }
    }

    /// The lab's debrief, shown with its verdict (empty in a free world).
    pub fn debrief(&self) -> &str {
        match self {
            World::Free(_) => "",
            World::Lab(lab) => lab.debrief(),
        }
    }

    /// The Kafka cluster and the virtual time, when the world has one (a free simulation
    /// made with `serve --kafka`, or a Kafka lab's).
    pub fn kafka(
        &mut self,
    ) -> Option<(
        &mut streamdrill_engine::kafka::world::Kafka,
        streamdrill_engine::SimTime,
    )> {
        match self {
            World::Free(console) => {
                let now = console.sim.now();
                console.sim.kafka.as_mut().map(|k| (k, now))
            }
            World::Lab(lab) => lab.kafka_mut(),
        }
    }

    /// Whether a real client may do what the console `command` does (a lab allows what its
    /// console allows; a free world everything), logged in the lab's event log with the code
    /// it failed with, if any.
    pub fn kafka_client_may(&mut self, command: &str) -> bool {
        match self {
            World::Free(_) => true,
            World::Lab(lab) => {
                let may = lab.client_may(command);
                if !may {
                    lab.log_client(command, Some("GROUP_AUTHORIZATION_FAILED"));
                }
                may
            }
        }
    }

    /// Logs what a real client did in a lab (nothing in a free world).
    pub fn note_kafka_client(&mut self, command: &str, error: Option<&str>) {
        if let World::Lab(lab) = self {
            lab.log_client(command, error);
        }
    }

    /// Whether a real client may write to the cluster: in a lab it only watches (the lab's
    /// producers are the lab's; its goal counts their records).
    pub fn kafka_writable(&self) -> bool {
        matches!(self, World::Free(_))
    }
}
