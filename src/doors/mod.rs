//! The front doors: real clients (boto3, the AWS CLI, any SDK) reach the embedded engine over
//! 127.0.0.1, beside the console on stdin. This is the edge: sockets, threads and the wall
//! clock live here; the engine behind them stays pure and answers through the same API the
//! console uses ([`streamdrill_engine::api`]).
//!
//! - [`world`]: what the doors serve, a free simulation or a lab run, and the console line;
//! - [`clock`]: virtual time following the wall clock;
//! - [`kafka`]: the Kafka wire-protocol door (one listener per simulated broker);
//! - [`kinesis`]: the Kinesis HTTP door (JSON 1.1 protocol, SubscribeToShard event streams);
//! - [`eventstream`]: the AWS event stream encoding;
//! - [`serve`]: `streamdrill serve`, which starts them.

pub mod clock;
pub mod eventstream;
pub mod kafka;
pub mod kinesis;
pub mod serve;
pub mod world;

use std::sync::{Mutex, MutexGuard, PoisonError};

use clock::WallClock;
use world::World;

/// What every connection and the console share: the world and its clock, behind one lock
/// that is held only while the engine runs one request or one console line, never across a
/// wait on the network.
pub struct Served {
    state: Mutex<State>,
}

pub struct State {
    pub world: World,
    pub clock: WallClock,
}

impl Served {
    pub fn new(world: World, clock: WallClock) -> Self {
        Served {
            state: Mutex::new(State { world, clock }),
        }
    }

    /// Runs `f` on the world after bringing virtual time up to the wall clock.
    pub fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let mut state = self.lock();
        let State { world, clock } = &mut *state;
        clock.catch_up(world, crate::shell::clock::instant());
        let out = f(world);
        // A console `advance` moved virtual time ahead: the clock goes on from there.
        clock.catch_up(world, crate::shell::clock::instant());
        out
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held cannot leave the engine half-written for a reader:
        // every request runs whole under the lock, so the state is the last request's.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
