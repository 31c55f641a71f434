//! Fault injection hooks. A lab (or a test) arms a fault at a named point; the model asks
//! [`Faults::fire`] at that point and behaves accordingly. Decisions use the seeded RNG.

use super::rng::SimRng;

/// Places in the model where a fault can be injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultPoint {
    /// A PutRecord(s) record fails with `InternalFailure` (not stored).
    PutInternalFailure,
    /// Firehose writes an object to S3 but never sees the acknowledgement, so it retries and the
    /// object lands twice.
    FirehoseAckLost,
    /// A GetRecords call fails with `InternalFailure`.
    GetRecordsInternalFailure,
    /// A KCL checkpoint write to the lease table fails (the worker keeps going, uncheckpointed).
    KclCheckpointFailure,
}

impl FaultPoint {
    pub const ALL: [FaultPoint; 4] = [
        FaultPoint::PutInternalFailure,
        FaultPoint::FirehoseAckLost,
        FaultPoint::GetRecordsInternalFailure,
        FaultPoint::KclCheckpointFailure,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultPoint::PutInternalFailure => "put-internal-failure",
            FaultPoint::FirehoseAckLost => "firehose-ack-lost",
            FaultPoint::GetRecordsInternalFailure => "get-records-internal-failure",
            FaultPoint::KclCheckpointFailure => "kcl-checkpoint-failure",
        }
    }

    pub fn parse(s: &str) -> Option<FaultPoint> {
        FaultPoint::ALL.into_iter().find(|f| f.name() == s)
    }
}

/// An armed fault: fires with `probability`, at most `remaining` more times (None = unlimited).
#[derive(Clone, Debug)]
pub struct FaultRule {
    pub point: FaultPoint,
    pub probability: f64,
    pub remaining: Option<u64>,
    pub fired: u64,
}

/// The armed faults of a simulation.
#[derive(Clone, Debug)]
pub struct Faults {
    rules: Vec<FaultRule>,
    rng: SimRng,
}

impl Faults {
    pub fn new(seed: u64) -> Self {
        Faults {
            rules: Vec::new(),
            rng: SimRng::fork(seed, "faults"),
        }
    }

    /// Arms (or re-arms) the fault at `point`.
    pub fn arm(&mut self, point: FaultPoint, probability: f64, count: Option<u64>) {
        self.rules.retain(|r| r.point != point);
        self.rules.push(FaultRule {
            point,
            probability: probability.clamp(0.0, 1.0),
            remaining: count,
            fired: 0,
        });
        self.rules.sort_by_key(|r| r.point);
    }

    pub fn clear(&mut self, point: Option<FaultPoint>) {
        self.rules.retain(|r| point.is_some_and(|p| p != r.point));
    }

    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    /// Asks whether the fault at `point` happens now. Cheap when nothing is armed.
    #[inline]
    pub fn fire(&mut self, point: FaultPoint) -> bool {
        if self.rules.is_empty() {
            return false;
        }
        let Some(rule) = self.rules.iter_mut().find(|r| r.point == point) else {
            return false;
        };
        if rule.remaining == Some(0) || !self.rng.chance(rule.probability) {
            return false;
        }
        if let Some(n) = rule.remaining.as_mut() {
            *n -= 1;
        }
        rule.fired += 1;
        true
    }
}
