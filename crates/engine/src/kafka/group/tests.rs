use super::*;
use proptest::prelude::*;

fn s(secs: f64) -> SimTime {
    SimTime((secs * 1e6).round() as u64)
}
fn d(secs: f64) -> SimDuration {
    SimDuration((secs * 1e6).round() as u64)
}
fn tp(p: u32) -> TopicPartition {
    TopicPartition::new("orders", p)
}
fn orders(n: u32) -> BTreeMap<String, u32> {
    BTreeMap::from([("orders".to_string(), n)])
}
fn topics(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|t| (*t).to_string()).collect()
}
fn cfg(assignor: Assignor) -> GroupConfig {
    GroupConfig {
        assignor,
        ..GroupConfig::default()
    }
}
fn static_cfg(instance: &str) -> GroupConfig {
    GroupConfig {
        group_instance_id: Some(instance.to_string()),
        ..GroupConfig::default()
    }
}
fn assignments(g: &Group) -> BTreeMap<String, BTreeSet<TopicPartition>> {
    g.members()
        .map(|m| (m.id.to_string(), m.assignment.clone()))
        .collect()
}
fn pause(g: &Group, id: &str) -> SimDuration {
    g.member(id).map(|m| m.pause_total).unwrap_or_default()
}

/// c1, c2, c3 join at 0, 1 and 2 s (each extends the initial delay: the join phase ends
/// at 5 s), all on `orders` with 6 partitions; ticks every 100 ms up to `until`.
fn formed(config: &GroupConfig, until: f64) -> Group {
    let mut g = Group::new("g", GroupSettings::default());
    g.tick(s(0.0), &orders(6));
    for (i, id) in ["c1", "c2", "c3"].iter().enumerate() {
        g.join(s(i as f64), id, config.clone(), topics(&["orders"]))
            .expect("join");
    }
    run(&mut g, 0.0, until, &orders(6));
    g
}
fn run(g: &mut Group, from: f64, to: f64, partitions: &BTreeMap<String, u32>) {
    let steps = ((to - from) * 10.0).round() as u64;
    for i in 0..=steps {
        g.tick(s(from + i as f64 / 10.0), partitions);
    }
}

#[test]
fn the_initial_delay_waits_for_members_joining_meanwhile() {
    let g = formed(&GroupConfig::default(), 20.0);
    assert_eq!(g.state(), GroupState::Stable);
    assert_eq!(g.generation(), 1);
    let r = &g.rebalances()[0];
    assert_eq!((r.started, r.completed), (s(0.0), Some(s(5.01))));
    assert_eq!(
        r.reason,
        "member c1 joined; member c2 joined; member c3 joined"
    );
    assert_eq!(g.rebalances().len(), 1);
    // Range: two consecutive partitions each.
    assert_eq!(
        g.member("c2").map(|m| m.assignment.clone()),
        Some([tp(2), tp(3)].into())
    );
    // Six partitions unowned for the 5.01 s the group formed.
    assert_eq!(g.partition_pause_total(), d(6.0 * 5.01));
}

/// The guide's comparison: a fourth member joins three that share 6 partitions. Eager:
/// everyone revokes everything at their next heartbeat and waits for the slowest to
/// rejoin. Cooperative: the three keep processing; only the one partition that moves
/// pauses, until the follow-up rebalance hands it over.
#[test]
fn eager_and_cooperative_pause_when_a_fourth_member_joins() {
    // Eager (range).
    let mut g = formed(&cfg(Assignor::Range), 20.0);
    let base = g.partition_pause_total();
    g.join(s(20.5), "c4", cfg(Assignor::Range), topics(&["orders"]))
        .expect("join");
    run(&mut g, 20.5, 40.0, &orders(6));
    // Heartbeats at 21, 22, 23 s (anchors 0, 1, 2 s): revocations then; sync at 23.02 s.
    assert_eq!(pause(&g, "c1"), d(5.01 + 2.02));
    assert_eq!(pause(&g, "c2"), d(4.01 + 1.02));
    assert_eq!(pause(&g, "c3"), d(3.01 + 0.02));
    assert_eq!(pause(&g, "c4"), d(2.52));
    assert_eq!(
        g.partition_pause_total().0 - base.0,
        d(2.0 * (2.02 + 1.02 + 0.02)).0
    );
    let r = &g.rebalances()[1];
    assert_eq!((r.generation, r.completed), (2, Some(s(23.02))));
    assert_eq!(r.revoked["c1"], [tp(0), tp(1)].into());
    assert_eq!(
        r.assigned["c1"],
        [tp(0), tp(1)].into(),
        "revoked, then given back"
    );
    assert_eq!(g.rebalances().len(), 2);

    // Cooperative sticky.
    let mut g = formed(&cfg(Assignor::CooperativeSticky), 20.0);
    let base = g.partition_pause_total();
    let before = assignments(&g);
    g.join(
        s(20.5),
        "c4",
        cfg(Assignor::CooperativeSticky),
        topics(&["orders"]),
    )
    .expect("join");
    run(&mut g, 20.5, 40.0, &orders(6));
    for (id, formation) in [("c1", 5.01), ("c2", 4.01), ("c3", 3.01)] {
        assert_eq!(
            pause(&g, id),
            d(formation),
            "{id} paused only while the group formed"
        );
    }
    // The group formed as c1 {0, 3}, c2 {1, 4}, c3 {2, 5} (the Java assignor deals fresh
    // partitions round robin). With four members two keep two partitions: the first two in the
    // leader's HashMap order, which is c3, c4, c1, c2 (the ids' hashes fall in buckets 0, 1, 14
    // and 15), so c3 and c1 keep theirs and c2 gives up partition 4.
    // c4 waits through both rebalances: 20.5 s to the follow-up's sync at 26.02 s (c2
    // rejoins at once; the others learn at their next heartbeats).
    assert_eq!(pause(&g, "c4"), d(5.52));
    // Only the partition that moves pauses: from c2's revocation at 23.02 s to that sync.
    assert_eq!(g.partition_pause_total().0 - base.0, d(3.0).0);
    let log = g.rebalances();
    assert_eq!(log.len(), 3);
    let (first, follow) = (&log[1], &log[2]);
    assert_eq!((first.generation, first.completed), (2, Some(s(23.02))));
    assert_eq!(
        first.revoked,
        BTreeMap::from([("c2".to_string(), [tp(4)].into())])
    );
    assert!(
        first.assigned["c4"].is_empty(),
        "withheld until c2 has let go"
    );
    assert!(follow.reason.starts_with("follow-up: c2 revoked"));
    assert_eq!((follow.generation, follow.completed), (3, Some(s(26.02))));
    assert!(follow.revoked.is_empty());
    assert_eq!(follow.assigned["c4"], [tp(4)].into());
    let after = assignments(&g);
    for id in ["c1", "c3"] {
        assert_eq!(after[id], before[id], "{id} kept everything");
    }
    assert_eq!(after["c2"], [tp(1)].into());
    assert_eq!(g.state(), GroupState::Stable);
    assert_eq!(g.generation(), 3);
}

/// Static membership: a restart within the session timeout takes the old place with the
/// old assignment and no rebalance; a static member that stays away is removed at its
/// session timeout (and a dynamic restart always rebalances).
#[test]
fn static_member_restart_within_session_timeout_causes_no_rebalance() {
    let mut g = Group::new("g", GroupSettings::default());
    g.tick(s(0.0), &orders(6));
    g.join(s(0.0), "a", static_cfg("i-a"), topics(&["orders"]))
        .expect("join");
    g.join(s(0.0), "b", static_cfg("i-b"), topics(&["orders"]))
        .expect("join");
    run(&mut g, 0.0, 30.0, &orders(6));
    assert_eq!(g.generation(), 1);
    let before = assignments(&g);
    g.crash(s(30.5), "a").expect("crash");
    run(&mut g, 30.5, 60.0, &orders(6));
    // Back 30 s later under a new member id, same instance id.
    g.join(s(60.0), "a2", static_cfg("i-a"), topics(&["orders"]))
        .expect("rejoin");
    run(&mut g, 60.0, 200.0, &orders(6));
    assert_eq!(g.generation(), 1);
    assert_eq!(g.rebalances().len(), 1);
    assert_eq!(g.state(), GroupState::Stable);
    assert_eq!(
        g.member("a2").map(|m| m.assignment.clone()),
        Some(before["a"].clone())
    );
    assert_eq!(g.owner_of(&tp(0)), Some("a2"));
    assert!(g.member("a").is_none());

    // A static close sends no LeaveGroup: noticed at the session timeout, 45 s after the
    // last heartbeat (at 201 s: heartbeats every 3 s from the rejoin at 60 s).
    g.leave(s(202.0), "a2").expect("leave");
    run(&mut g, 202.0, 245.9, &orders(6));
    assert_eq!(g.generation(), 1);
    assert_eq!(
        g.owner_of(&tp(0)),
        Some("a2"),
        "still assigned to the dead member"
    );
    g.tick(s(246.0), &orders(6));
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert_eq!(g.rebalances()[1].reason, "member a2 session timed out");

    // A dynamic restart rebalances at once.
    let mut g = formed(&GroupConfig::default(), 20.0);
    g.join(s(20.0), "c1", GroupConfig::default(), topics(&["orders"]))
        .expect("restart");
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert_eq!(g.rebalances()[1].reason, "member c1 restarted");
}

#[test]
fn a_coordinator_outage_holds_every_timer_and_the_load_restarts_sessions() {
    let mut g = formed(&GroupConfig::default(), 20.0);
    // c2 dies at 20.5 s (expiry due at 64 s); the coordinator fails at 50 s.
    g.crash(s(20.5), "c2").expect("crash");
    g.coordinator_unavailable(s(50.0));
    assert_eq!(g.coordinator_unavailable_since(), Some(s(50.0)));
    assert_eq!(
        g.commit(s(51.0), "c1", 1, tp(0), 10),
        Err(GroupError::CoordinatorNotAvailable("g".into()))
    );
    assert!(g.commit_unchecked(tp(0), 10).is_err());
    // A join waits; a dynamic member's LeaveGroup is lost.
    g.join(s(52.0), "c4", GroupConfig::default(), topics(&["orders"]))
        .expect("join deferred");
    g.leave(s(53.0), "c3").expect("leave");
    run(&mut g, 53.0, 100.0, &orders(6));
    // Nothing happened: c2 is still in, c4 not yet, no rebalance, c1 still processes.
    assert_eq!(g.state(), GroupState::Stable);
    assert!(g.member("c2").is_some() && g.member("c4").is_none());
    assert_eq!(g.rebalances_total(), 1);
    assert!(g.member("c1").is_some_and(|m| m.processing));
    // Loaded at 100 s: c4's join goes in (a rebalance), and the silent c2 and c3 get a
    // full session from the load: removed at 145 s, not before.
    g.coordinator_loaded(s(100.0));
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert_eq!(g.rebalances()[1].reason, "member c4 joined");
    run(&mut g, 100.0, 144.9, &orders(6));
    assert!(g.member("c2").is_some() && g.member("c3").is_some());
    g.tick(s(145.0), &orders(6));
    assert!(g.member("c2").is_none() && g.member("c3").is_none());
    run(&mut g, 145.0, 200.0, &orders(6));
    assert_eq!(g.state(), GroupState::Stable);
    assert_eq!(g.commit(s(200.0), "c1", g.generation(), tp(0), 10), Ok(()));
    let owned: usize = g.members().map(|m| m.assignment.len()).sum();
    assert_eq!(owned, 6);
}

#[test]
fn crashed_member_is_removed_only_after_session_timeout() {
    let mut g = formed(&GroupConfig::default(), 20.0);
    // c2's heartbeats: 1, 4, ... 19 s; it dies at 20.5 s; expiry at 19 + 45 = 64 s.
    g.crash(s(20.5), "c2").expect("crash");
    assert_eq!(g.next_deadline(), Some(s(64.0)));
    run(&mut g, 20.5, 63.9, &orders(6));
    assert_eq!(g.state(), GroupState::Stable);
    assert_eq!(g.owner_of(&tp(2)), Some("c2"));
    assert!(!g.member("c2").is_some_and(|m| m.alive || m.processing));
    g.tick(s(64.0), &orders(6));
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert!(g.member("c2").is_none());
    assert_eq!(g.owner_of(&tp(2)), None);
    run(&mut g, 64.0, 80.0, &orders(6));
    assert_eq!(g.state(), GroupState::Stable);
    assert_eq!(g.member("c1").map(|m| m.assignment.len()), Some(3));
    assert_eq!(g.member("c3").map(|m| m.assignment.len()), Some(3));
    assert_eq!(g.rebalances()[1].reason, "member c2 session timed out");
}

/// The same story ticked every 100 ms or once, an hour later, gives the same group.
#[test]
fn coarse_and_fine_ticks_agree() {
    let story = |g: &mut Group, fine: bool| {
        g.tick(s(0.0), &orders(6));
        for (i, id) in ["c1", "c2", "c3"].iter().enumerate() {
            g.join(
                s(i as f64),
                id,
                cfg(Assignor::CooperativeSticky),
                topics(&["orders"]),
            )
            .expect("join");
        }
        g.crash(s(4.2), "c2").expect("crash");
        g.stall(s(4.3), "c3", d(400.0)).expect("stall");
        if fine {
            run(g, 4.3, 3600.0, &orders(6));
        } else {
            g.tick(s(3600.0), &orders(6));
        }
    };
    let mut fine = Group::new("g", GroupSettings::default());
    story(&mut fine, true);
    let mut coarse = Group::new("g", GroupSettings::default());
    story(&mut coarse, false);
    assert_eq!(fine, coarse);
    assert_eq!(fine.state(), GroupState::Stable);
    assert!(fine.rebalances().len() >= 3);
}

#[test]
fn stall_longer_than_max_poll_interval_removes_and_readds_the_member() {
    let mut g = formed(&GroupConfig::default(), 10.0);
    g.stall(s(10.0), "c2", d(400.0)).expect("stall");
    run(&mut g, 10.0, 309.9, &orders(6));
    assert_eq!(
        g.generation(),
        1,
        "heartbeats go on while the poll loop is stuck"
    );
    assert!(g.member("c2").is_some_and(|m| m.alive && !m.processing));
    g.tick(s(310.0), &orders(6));
    assert!(g.member("c2").is_none());
    assert_eq!(
        g.rebalances()[1].reason,
        "member c2 left the group: max.poll.interval.ms (300s) exceeded"
    );
    run(&mut g, 310.0, 409.9, &orders(6));
    assert_eq!(g.generation(), 2);
    assert_eq!(g.member("c1").map(|m| m.assignment.len()), Some(3));
    g.tick(s(410.0), &orders(6));
    assert_eq!(g.rebalances()[2].reason, "member c2 joined");
    run(&mut g, 410.0, 430.0, &orders(6));
    assert_eq!((g.state(), g.generation()), (GroupState::Stable, 3));
    assert_eq!(g.member("c2").map(|m| m.assignment.len()), Some(2));
}

/// A stall under max.poll.interval.ms is no rebalance, but a rebalance during it waits
/// for the stalled member to call poll again.
#[test]
fn short_stall_holds_up_a_rebalance_until_the_member_polls() {
    let mut g = formed(&GroupConfig::default(), 10.0);
    g.stall(s(10.0), "c3", d(100.0)).expect("stall");
    g.join(s(20.5), "c4", GroupConfig::default(), topics(&["orders"]))
        .expect("join");
    run(&mut g, 20.5, 109.9, &orders(6));
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert_eq!(g.owner_of(&tp(0)), None, "c1 revoked at 21 s and waits");
    run(&mut g, 109.9, 120.0, &orders(6));
    assert_eq!(g.rebalances()[1].completed, Some(s(110.02)));
    assert_eq!(g.generation(), 2);
    assert_eq!(pause(&g, "c1"), d(5.01 + 89.02));
}

#[test]
fn members_that_do_not_rejoin_are_removed_at_the_rebalance_timeout() {
    let config = GroupConfig {
        session_timeout: SimDuration::from_secs(600),
        max_poll_interval: SimDuration::from_secs(60),
        ..GroupConfig::default()
    };
    let mut g = formed(&config, 10.0);
    g.crash(s(10.0), "c3").expect("crash");
    g.join(s(20.0), "c4", config.clone(), topics(&["orders"]))
        .expect("join");
    run(&mut g, 20.0, 79.9, &orders(6));
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    g.tick(s(80.0), &orders(6));
    assert!(g.member("c3").is_none());
    assert_eq!(g.state(), GroupState::CompletingRebalance);
    assert!(
        g.rebalances()[1]
            .reason
            .ends_with("c3 removed: not rejoined within the rebalance timeout")
    );
    g.tick(s(80.01), &orders(6));
    assert_eq!(g.state(), GroupState::Stable);
    assert_eq!(g.members().count(), 3);
}

#[test]
fn a_dynamic_leave_rebalances_at_once_and_the_last_leaves_an_empty_group() {
    let mut g = formed(&GroupConfig::default(), 10.0);
    g.leave(s(10.0), "c1").expect("leave");
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert_eq!(g.rebalances()[1].reason, "member c1 left the group");
    assert!(!g.can_reset_offsets());
    g.leave(s(10.1), "c2").expect("leave");
    g.leave(s(10.2), "c3").expect("leave");
    assert_eq!(g.state(), GroupState::Empty);
    assert_eq!(g.generation(), 2);
    assert!(g.can_reset_offsets());
    assert_eq!(
        g.leave(s(11.0), "c3").map_err(|e| e.code()),
        Err("UNKNOWN_MEMBER_ID")
    );
    g.delete(s(12.0)).expect("delete");
    assert_eq!(g.state(), GroupState::Dead);
    let err = g.join(s(13.0), "c1", GroupConfig::default(), topics(&["orders"]));
    assert_eq!(err.map_err(|e| e.code()), Err("GROUP_ID_NOT_FOUND"));
}

#[test]
fn added_partitions_trigger_a_rebalance() {
    let mut g = formed(&GroupConfig::default(), 10.0);
    g.tick(s(10.5), &orders(12));
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert_eq!(
        g.rebalances()[1].reason,
        "partitions of orders changed 6 -> 12"
    );
    run(&mut g, 10.5, 20.0, &orders(12));
    assert_eq!(g.state(), GroupState::Stable);
    assert_eq!(g.owner_of(&tp(11)), Some("c3"));
    // A topic nobody subscribes to changes nothing.
    let mut more = orders(12);
    more.insert("other".into(), 3);
    g.tick(s(21.0), &more);
    assert_eq!(g.state(), GroupState::Stable);
}

#[test]
fn commits_are_checked_against_membership_generation_and_ownership() {
    let mut g = formed(&cfg(Assignor::CooperativeSticky), 10.0);
    let owned = g
        .member("c1")
        .map(|m| m.assignment.clone())
        .unwrap_or_default();
    let mine = owned.first().cloned().expect("c1 owns something");
    let other = tp(5);
    assert!(!owned.contains(&other));
    assert_eq!(g.commit(s(10.0), "c1", 1, mine.clone(), 42), Ok(()));
    assert_eq!(g.committed(&mine), Some(42));
    assert_eq!(
        g.commit(s(10.0), "zz", 1, mine.clone(), 1)
            .map_err(|e| e.code()),
        Err("UNKNOWN_MEMBER_ID")
    );
    assert_eq!(
        g.commit(s(10.0), "c1", 0, mine.clone(), 1)
            .map_err(|e| e.code()),
        Err("ILLEGAL_GENERATION")
    );
    // Stable: Kafka does not check ownership.
    assert_eq!(g.commit(s(10.0), "c1", 1, other.clone(), 7), Ok(()));
    g.join(
        s(10.5),
        "c4",
        cfg(Assignor::CooperativeSticky),
        topics(&["orders"]),
    )
    .expect("join");
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert_eq!(g.commit(s(10.6), "c1", 1, mine.clone(), 43), Ok(()));
    let err = g
        .commit(s(10.6), "c1", 1, other.clone(), 8)
        .expect_err("not owned");
    assert_eq!(err.code(), "REBALANCE_IN_PROGRESS");
    assert_eq!(g.committed(&other), Some(7));
    assert_eq!(g.committed(&mine), Some(43));
}

#[test]
fn offsets_can_only_be_reset_when_the_group_is_inactive() {
    let mut g = formed(&GroupConfig::default(), 10.0);
    let err = g.set_committed(tp(0), 0).expect_err("active group");
    assert_eq!(
        err.to_string(),
        "Assignments can only be reset if the group 'g' is inactive, but the current state is Stable."
    );
    assert_eq!(g.check_reset_offsets(), Err(err));
    for id in ["c1", "c2", "c3"] {
        g.leave(s(11.0), id).expect("leave");
    }
    assert_eq!(g.set_committed(tp(0), 5), Ok(()));
    assert_eq!(g.committed(&tp(0)), Some(5));
}

#[test]
fn bad_configs_and_mixed_assignors_are_rejected() {
    let mut g = formed(&GroupConfig::default(), 10.0);
    let sticky = cfg(Assignor::CooperativeSticky);
    let err = g.join(s(11.0), "x", sticky, topics(&["orders"]));
    assert_eq!(
        err.map_err(|e| e.code()),
        Err("INCONSISTENT_GROUP_PROTOCOL")
    );
    let short = GroupConfig {
        session_timeout: SimDuration::from_secs(5),
        ..GroupConfig::default()
    };
    assert_eq!(
        short.validate().map_err(|e| e.code()),
        Err("INVALID_SESSION_TIMEOUT")
    );
    let slow_heartbeat = GroupConfig {
        heartbeat_interval: SimDuration::from_secs(45),
        ..GroupConfig::default()
    };
    assert_eq!(
        slow_heartbeat.validate().map_err(|e| e.code()),
        Err("INVALID_CONFIG")
    );
    assert_eq!(g.generation(), 1);
    assert_eq!(g.members().count(), 3);
}

// ----- proptest: random histories -----

#[derive(Clone, Debug)]
enum Op {
    Join { member: usize, statics: bool },
    Leave(usize),
    Crash(usize),
    Stall(usize, u64),
    Wait(u64),
    Partitions(usize, u32),
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..5, any::<bool>()).prop_map(|(member, statics)| Op::Join { member, statics }),
        1 => (0usize..5).prop_map(Op::Leave),
        1 => (0usize..5).prop_map(Op::Crash),
        1 => (0usize..5, 0u64..400_000).prop_map(|(m, ms)| Op::Stall(m, ms)),
        4 => (0u64..90_000).prop_map(Op::Wait),
        1 => (0usize..2, 0u32..10).prop_map(|(t, n)| Op::Partitions(t, n)),
    ]
}

const TOPICS: [&str; 2] = ["a", "b"];

/// Member `i`'s subscription: a, b, or both.
fn subscription(i: usize) -> BTreeSet<String> {
    match i % 3 {
        0 => topics(&["a"]),
        1 => topics(&["b"]),
        _ => topics(&["a", "b"]),
    }
}

struct Checked {
    group: Group,
    violations: Vec<String>,
}

/// Invariants (a), (b) and (c) after one step.
fn check_ownership(
    g: &Group,
    parts: &BTreeMap<String, u32>,
    assignor: Assignor,
    op: &Op,
    violations: &mut Vec<String>,
) {
    // (a) at most one owner per partition.
    let mut seen = BTreeSet::new();
    for m in g.members() {
        for tp in m.assignment {
            if !seen.insert(tp.clone()) {
                violations.push(format!("{tp} owned twice after {op:?}"));
            }
        }
    }
    // (b) Stable: every subscribed partition has one subscribed owner.
    if g.state() == GroupState::Stable {
        for (topic, n) in parts {
            let subscribers: BTreeSet<&str> = g
                .members()
                .filter(|m| m.topics.contains(topic))
                .map(|m| m.id)
                .collect();
            if subscribers.is_empty() {
                continue;
            }
            for p in 0..*n {
                let tp = TopicPartition::new(topic, p);
                match g.owner_of(&tp) {
                    Some(o) if subscribers.contains(o) => {}
                    other => {
                        violations.push(format!("Stable but {tp} owned by {other:?} after {op:?}"));
                    }
                }
            }
        }
    }
    // (c) cooperative: no rebalance revokes from a member a partition it assigns back to it.
    // (Across follow-ups it may: with differing subscriptions the Java assignor can revoke a
    // partition and hand it back in the follow-up; see the assignor's
    // `cooperative_follow_ups_may_give_back_what_they_revoked`.)
    if assignor.is_cooperative() {
        for r in g.rebalances() {
            for (m, revoked) in &r.revoked {
                let back = r.assigned.get(m).is_some_and(|a| !a.is_disjoint(revoked));
                if back {
                    violations.push(format!("{m} revoked what gen {} gave back", r.generation));
                }
            }
        }
    }
}

fn play(assignor: Assignor, max_poll_secs: u64, ops: &[Op]) -> Checked {
    let mut g = Group::new("g", GroupSettings::default());
    let mut parts: BTreeMap<String, u32> = TOPICS.iter().map(|t| ((*t).to_string(), 4)).collect();
    let mut now = SimTime::ZERO;
    let mut violations = Vec::new();
    g.tick(now, &parts);
    let mut generation = g.generation();
    for op in ops {
        let id = |i: usize| format!("m{i}");
        match op {
            Op::Join { member, statics } => {
                let config = GroupConfig {
                    assignor,
                    max_poll_interval: SimDuration::from_secs(max_poll_secs),
                    group_instance_id: statics.then(|| format!("i{member}")),
                    ..GroupConfig::default()
                };
                // An instance id held under another member id is refused; that is fine.
                let _ = g.join(now, &id(*member), config, subscription(*member));
            }
            Op::Leave(m) => {
                let _ = g.leave(now, &id(*m));
            }
            Op::Crash(m) => {
                let _ = g.crash(now, &id(*m));
            }
            Op::Stall(m, ms) => {
                let _ = g.stall(now, &id(*m), SimDuration::from_millis(*ms));
            }
            Op::Wait(ms) => now = now + SimDuration::from_millis(*ms),
            // Kafka can only add partitions (`kafka-topics --alter` refuses fewer).
            Op::Partitions(t, n) => {
                let count = parts.entry(TOPICS[*t].to_string()).or_insert(0);
                *count = (*count).max(*n);
            }
        }
        g.tick(now, &parts);

        check_ownership(&g, &parts, assignor, op, &mut violations);
        // (d) generations only increase, in the group and along the log.
        if g.generation() < generation {
            violations.push(format!("generation went back after {op:?}"));
        }
        generation = g.generation();
        if g.rebalances()
            .iter()
            .zip(g.rebalances().iter().skip(1))
            .any(|(a, b)| a.generation >= b.generation)
        {
            violations.push("rebalance generations not increasing".into());
        }
    }
    // Liveness: left alone for two hours, every timer runs out and the group settles.
    g.tick(now + SimDuration::from_hours(2), &parts);
    if !matches!(g.state(), GroupState::Stable | GroupState::Empty) {
        violations.push(format!("did not settle: {}", g.state()));
    }
    Checked {
        group: g,
        violations,
    }
}

/// Found by the property below: two members join while two others own everything, and
/// the follow-up rebalance gave `b-3` back to the member that had just revoked it.
#[test]
fn a_cooperative_follow_up_hands_over_what_the_plan_revoked() {
    let ops = [
        Op::Join {
            member: 0,
            statics: false,
        },
        Op::Join {
            member: 1,
            statics: false,
        },
        Op::Wait(3010),
        Op::Join {
            member: 2,
            statics: false,
        },
        Op::Join {
            member: 3,
            statics: false,
        },
        Op::Wait(6020),
    ];
    let checked = play(Assignor::CooperativeSticky, 20, &ops);
    assert!(checked.violations.is_empty(), "{:?}", checked.violations);
    let log = checked.group.rebalances();
    let plan = &log[1];
    let follow_up = &log[2];
    assert!(
        follow_up.reason.starts_with("follow-up"),
        "{}",
        follow_up.reason
    );
    for (member, revoked) in &plan.revoked {
        for tp in revoked {
            assert!(
                !follow_up
                    .assigned
                    .get(member)
                    .is_some_and(|a| a.contains(tp)),
                "{tp} went back to {member}"
            );
        }
    }
}

/// Found by the property below: a stalled member is removed at the rebalance timeout and
/// joins again within the same step, so the follow-up is also a new plan for three members
/// and may give `b-3` back to the member that revoked it. Not a follow-up-only step; the
/// invariant must not fire.
#[test]
fn a_member_removed_and_rejoining_makes_the_follow_up_a_new_plan() {
    let ops = [
        Op::Join {
            member: 3,
            statics: false,
        },
        Op::Join {
            member: 2,
            statics: false,
        },
        Op::Wait(3010),
        Op::Join {
            member: 1,
            statics: false,
        },
        Op::Stall(3, 19_991),
        Op::Wait(21_020),
    ];
    let checked = play(Assignor::CooperativeSticky, 20, &ops);
    assert!(checked.violations.is_empty(), "{:?}", checked.violations);
    let follow_up = &checked.group.rebalances()[2];
    assert!(
        follow_up.reason.starts_with("follow-up") && follow_up.reason.contains("m3 joined"),
        "{}",
        follow_up.reason
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn group_invariants_hold_over_random_histories(
        assignor in proptest::sample::select(Assignor::ALL.to_vec()),
        max_poll_secs in proptest::sample::select(vec![20u64, 300]),
        ops in proptest::collection::vec(arb_op(), 1..40),
    ) {
        let first = play(assignor, max_poll_secs, &ops);
        prop_assert!(first.violations.is_empty(), "{:?}", first.violations);
        // (e) same inputs, same state.
        let second = play(assignor, max_poll_secs, &ops);
        prop_assert_eq!(first.group, second.group);
    }
}
