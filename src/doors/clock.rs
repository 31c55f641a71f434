//! Virtual time that follows the wall clock: real clients run on the wall clock (their
//! timeouts, their sleeps between polls), so while the doors are open the simulation moves as
//! many virtual microseconds as the wall clock does, times a speed. The wall-clock instant
//! comes in as a value, so the rule is tested without waiting.

use std::time::Instant;

use streamdrill_engine::SimDuration;

use super::world::World;

/// The fastest `--speed`: past it a second of wall time asks the engine for more virtual time
/// than a laptop simulates in a second at lab sizes.
pub const SPEED_MAX: f64 = 100.0;

#[derive(Debug, Clone)]
pub struct WallClock {
    speed: f64,
    anchor_wall: Instant,
    anchor_virtual: SimDuration,
}

impl WallClock {
    /// A clock at `speed` (1.0: real time) whose virtual time `at` is the wall instant `wall`.
    pub fn new(speed: f64, wall: Instant, at: SimDuration) -> Self {
        WallClock {
            speed: speed.clamp(f64::MIN_POSITIVE, SPEED_MAX),
            anchor_wall: wall,
            anchor_virtual: at,
        }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// The virtual time due at the wall instant `wall`.
    pub fn due(&self, wall: Instant) -> SimDuration {
        let elapsed = wall.saturating_duration_since(self.anchor_wall);
        let virtual_micros = (elapsed.as_secs_f64() * self.speed * 1e6) as u64;
        SimDuration(self.anchor_virtual.0.saturating_add(virtual_micros))
    }

    /// Advances `world` to the virtual time due at `wall`. When the world stands elsewhere
    /// afterwards (a console `advance` jumped ahead, a lab ended, the engine refused), the
    /// clock goes on from where the world stands.
    pub fn catch_up(&mut self, world: &mut World, wall: Instant) {
        let due = self.due(wall);
        let at = world.elapsed();
        if due > at {
            world.advance(SimDuration(due.0 - at.0));
        }
        let at = world.elapsed();
        if at != due {
            self.anchor_wall = wall;
            self.anchor_virtual = at;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use streamdrill_engine::Console;

    #[test]
    fn virtual_time_follows_the_wall_at_the_clocks_speed() {
        let t0 = crate::shell::clock::instant();
        let mut world = World::Free(Box::new(Console::new(1)));
        let mut clock = WallClock::new(10.0, t0, SimDuration::ZERO);
        clock.catch_up(&mut world, t0 + Duration::from_millis(1_500));
        assert_eq!(world.elapsed(), SimDuration::from_secs(15));
        clock.catch_up(&mut world, t0 + Duration::from_secs(2));
        assert_eq!(world.elapsed(), SimDuration::from_secs(20));
    }

    #[test]
    fn a_jump_ahead_moves_the_clock_with_it() {
        let t0 = crate::shell::clock::instant();
        let mut world = World::Free(Box::new(Console::new(1)));
        let mut clock = WallClock::new(1.0, t0, SimDuration::ZERO);
        let t1 = t0 + Duration::from_secs(1);
        clock.catch_up(&mut world, t1);
        world.console_line("advance 5m", 80);
        clock.catch_up(&mut world, t1);
        assert_eq!(world.elapsed(), SimDuration::from_secs(301));
        // Time goes on from there, not back to the wall's own reading.
        clock.catch_up(&mut world, t1 + Duration::from_secs(2));
        assert_eq!(world.elapsed(), SimDuration::from_secs(303));
    }

    #[test]
    fn the_speed_is_bounded() {
        let t0 = crate::shell::clock::instant();
        assert!(WallClock::new(1e9, t0, SimDuration::ZERO).speed() <= SPEED_MAX);
        assert!(WallClock::new(0.0, t0, SimDuration::ZERO).speed() > 0.0);
    }
}
