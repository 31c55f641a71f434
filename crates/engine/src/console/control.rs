//! The simulator's controls: `advance` (virtual time, for the Kinesis and the Kafka world),
//! `fault` (armed fault points) and `config`.

use super::Console;
use super::args::{Args, Out, fail, param};
use crate::faults::FaultPoint;
use crate::time::SimDuration;
use serde_json::json;

impl Console {
    pub(super) fn advance(&mut self, a: Args) -> Out {
        let text = a
            .positional
            .first()
            .cloned()
            .ok_or_else(|| param("usage: advance DURATION (e.g. 30s)"))?;
        let d = SimDuration::parse(&text).map_err(param)?;
        a.finish(1)?;
        let events = self
            .sim
            .advance(d)
            .map_err(|m| fail(crate::budget::CODE, m))?;
        Ok(json!({"Now": self.sim.now().to_rfc3339(), "Advanced": d.to_string(), "Events": events}))
    }

    pub(super) fn fault(&mut self, sub: &str, mut a: Args) -> Out {
        match sub {
            "inject" => {
                let name = a.positional.first().cloned().ok_or_else(|| {
                    param("usage: fault inject POINT [--probability P] [--count N]")
                })?;
                let point = FaultPoint::parse(&name).ok_or_else(|| {
                    param(format!(
                        "unknown fault point '{name}'; known: {}",
                        FaultPoint::ALL.map(FaultPoint::name).join(", ")
                    ))
                })?;
                let p = a.num::<f64>("probability")?.unwrap_or(1.0);
                let count = a.num::<u64>("count")?;
                a.finish(1)?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(param("--probability must be between 0 and 1"));
                }
                self.sim.faults.arm(point, p, count);
                Ok(json!({"Fault": point.name(), "Probability": p, "Count": count}))
            }
            "clear" => {
                let point = match a.positional.first() {
                    Some(n) => Some(
                        FaultPoint::parse(n)
                            .ok_or_else(|| param(format!("unknown fault point '{n}'")))?,
                    ),
                    None => None,
                };
                a.finish(1)?;
                self.sim.faults.clear(point);
                Ok(json!({"Cleared": point.map_or("all", FaultPoint::name)}))
            }
            "list" => {
                a.finish(0)?;
                Ok(
                    json!({"Faults": self.sim.faults.rules().iter().map(|r| json!({"Fault": r.point.name(), "Probability": r.probability, "Remaining": r.remaining, "Fired": r.fired})).collect::<Vec<_>>()}),
                )
            }
            other => Err(fail(
                "UsageError",
                format!("unknown fault command '{other}': use inject, clear or list"),
            )),
        }
    }

    pub(super) fn config(&mut self, mut a: Args) -> Out {
        if let Some(d) = a.duration("reshard-delay")? {
            self.sim.kinesis.reshard_delay = d;
        }
        a.finish(0)?;
        Ok(
            json!({"ReshardDelay": self.sim.kinesis.reshard_delay.to_string(), "Seed": self.sim.seed}),
        )
    }
}
