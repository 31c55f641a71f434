//! The classic coordinator request by request, as a broker answers real clients.

use super::*;

const T0: SimTime = SimTime::ZERO;

fn at(ms: u64) -> SimTime {
    T0 + SimDuration::from_millis(ms)
}

fn request(member_id: &str, client: &str, protocols: &[&str]) -> JoinRequest {
    JoinRequest {
        member_id: member_id.to_string(),
        instance_id: None,
        client_id: client.to_string(),
        client_host: "/127.0.0.1".to_string(),
        session_timeout: SimDuration::from_secs(10),
        rebalance_timeout: SimDuration::from_secs(30),
        protocol_type: "consumer".to_string(),
        protocols: protocols
            .iter()
            .map(|p| (p.to_string(), format!("{client}:{p}").into_bytes()))
            .collect(),
        require_known_member_id: true,
    }
}

/// A v4+ client's first join: refused with the id to use.
fn member_id(g: &mut ClassicGroup, now: SimTime, client: &str) -> String {
    match g.join(now, request("", client, &["range"])).unwrap() {
        Reply::MemberIdRequired(id) => id,
        other => panic!("a v4 first join is given an id: {other:?}"),
    }
}

fn later(reply: Reply<JoinResponse>) -> String {
    match reply {
        Reply::Later(id) => id,
        other => panic!("answered at once: {other:?}"),
    }
}

/// Two clients join an empty group together and reach generation 1; returns their ids.
fn two_member_group() -> (ClassicGroup, String, String) {
    let mut g = ClassicGroup::new("billing");
    let a = member_id(&mut g, T0, "a");
    later(
        g.join(T0, request(&a, "a", &["range", "roundrobin"]))
            .unwrap(),
    );
    let b = member_id(&mut g, at(100), "b");
    later(
        g.join(at(100), request(&b, "b", &["roundrobin", "range"]))
            .unwrap(),
    );
    g.tick(at(2_000));
    assert!(
        g.take_join(&a).is_none(),
        "the initial delay holds the join phase"
    );
    // Each arrival extends the delay: b joined at 100 ms, so it ends at 3.1 s.
    g.tick(at(3_100));
    (g, a, b)
}

#[test]
fn a_group_forms_after_the_initial_delay_with_one_leader_and_a_voted_protocol() {
    let (mut g, a, b) = two_member_group();
    let ra = g.take_join(&a).unwrap().unwrap();
    let rb = g.take_join(&b).unwrap().unwrap();
    assert_eq!(g.state(), GroupState::CompletingRebalance);
    assert_eq!((ra.generation, rb.generation), (1, 1));
    assert_eq!(ra.leader, a, "the first member to join leads");
    assert_eq!(rb.leader, a);
    // One vote each; the tie goes to the protocol the earliest member prefers.
    assert_eq!(ra.protocol, "range");
    // Only the leader sees the members, with their metadata for the chosen protocol.
    assert_eq!(ra.members.len(), 2);
    assert_eq!(ra.members[1].metadata, b"b:range");
    assert!(rb.members.is_empty());

    // The follower's SyncGroup waits for the leader's.
    assert_eq!(
        g.sync(at(3_200), &b, None, 1, vec![]).unwrap(),
        Reply::Later(b.clone())
    );
    let given = vec![(a.clone(), b"A".to_vec()), (b.clone(), b"B".to_vec())];
    assert_eq!(
        g.sync(at(3_300), &a, None, 1, given).unwrap(),
        Reply::Now(b"A".to_vec())
    );
    assert_eq!(g.take_sync(&b).unwrap().unwrap(), b"B");
    assert_eq!(g.state(), GroupState::Stable);
    assert!(g.heartbeat(at(3_400), &b, None, 1).is_ok());
    assert_eq!(
        g.heartbeat(at(3_400), &b, None, 0).unwrap_err().code,
        ErrorCode::IllegalGeneration
    );
    assert_eq!(
        g.heartbeat(at(3_400), "ghost", None, 1).unwrap_err().code,
        ErrorCode::UnknownMemberId
    );
}

fn stable_group() -> (ClassicGroup, String, String) {
    let (mut g, a, b) = two_member_group();
    g.take_join(&a);
    g.take_join(&b);
    g.sync(at(3_200), &b, None, 1, vec![]).unwrap();
    g.sync(at(3_200), &a, None, 1, vec![]).unwrap();
    g.take_sync(&b);
    (g, a, b)
}

#[test]
fn a_member_whose_heartbeats_stop_is_removed_at_its_session_timeout() {
    let (mut g, a, b) = stable_group();
    // a keeps heartbeating; b goes silent after 3.2 s.
    for ms in (4_000..=13_000).step_by(1_000) {
        assert!(g.heartbeat(at(ms), &a, None, 1).is_ok(), "{ms}");
        g.tick(at(ms));
    }
    g.tick(at(13_200));
    assert!(g.member(&b).is_none(), "10 s session timeout from 3.2 s");
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert_eq!(
        g.heartbeat(at(13_300), &a, None, 1).unwrap_err().code,
        ErrorCode::RebalanceInProgress
    );
    // The survivor rejoins; no delay on a group that was not empty.
    let r = g.join(at(13_400), request(&a, "a", &["range"])).unwrap();
    let Reply::Now(r) = r else {
        panic!("everyone has joined: answered at once")
    };
    assert_eq!((r.generation, r.leader.as_str()), (2, a.as_str()));
}

#[test]
fn the_rebalance_timeout_drops_members_that_do_not_rejoin() {
    let (mut g, a, b) = stable_group();
    let c = member_id(&mut g, at(4_000), "c");
    later(g.join(at(4_000), request(&c, "c", &["range"])).unwrap());
    later(g.join(at(4_100), request(&a, "a", &["range"])).unwrap());
    // b heartbeats (learning of the rebalance) but never rejoins.
    for ms in (5_000..34_000).step_by(2_000) {
        let _ = g.heartbeat(at(ms), &b, None, 1);
        g.tick(at(ms));
        assert!(g.take_join(&a).is_none(), "{ms}");
    }
    g.tick(at(34_000));
    assert!(g.member(&b).is_none(), "30 s rebalance timeout from 4 s");
    let ra = g.take_join(&a).unwrap().unwrap();
    assert_eq!(ra.members.len(), 2);
    assert_eq!(ra.generation, 2);
}

#[test]
fn a_leave_rebalances_and_a_follower_waiting_for_sync_learns_of_it() {
    let (mut g, a, b) = two_member_group();
    g.take_join(&a);
    g.take_join(&b);
    assert_eq!(
        g.sync(at(3_200), &b, None, 1, vec![]).unwrap(),
        Reply::Later(b.clone())
    );
    g.leave(at(3_300), &a, None).unwrap();
    assert_eq!(
        g.take_sync(&b).unwrap().unwrap_err().code,
        ErrorCode::RebalanceInProgress
    );
    assert_eq!(g.leader(), Some(b.as_str()), "the leader left: b leads");
    assert_eq!(
        g.leave(at(3_400), &a, None).unwrap_err().code,
        ErrorCode::UnknownMemberId
    );
}

#[test]
fn offsets_are_committed_against_the_member_and_generation() {
    let (mut g, a, b) = stable_group();
    let tp = TopicPartition::new("orders", 0);
    assert!(g.check_commit(&a, None, 1).is_ok());
    let before = g.held_bytes();
    g.commit(at(4_000), tp.clone(), 41, "meta".into()).unwrap();
    let one = g.held_bytes();
    assert!(one > before);
    g.commit(at(4_000), tp.clone(), 42, "m".into()).unwrap();
    assert_eq!(
        g.held_bytes(),
        one - 3,
        "a new commit replaces the old one's bytes"
    );
    assert_eq!(g.committed(&tp).unwrap().offset, 42);
    assert_eq!(
        g.check_commit(&a, None, 0).unwrap_err().code,
        ErrorCode::IllegalGeneration
    );
    assert_eq!(
        g.check_commit("", None, -1).unwrap_err().code,
        ErrorCode::UnknownMemberId,
        "a group with members takes no anonymous commit"
    );
    assert_eq!(
        g.commit(at(4_000), tp.clone(), 1, "x".repeat(5_000))
            .unwrap_err()
            .code,
        ErrorCode::OffsetMetadataTooLarge
    );
    g.leave(at(5_000), &a, None).unwrap();
    g.leave(at(5_000), &b, None).unwrap();
    assert_eq!(g.state(), GroupState::Empty);
    assert!(
        g.check_commit("", None, -1).is_ok(),
        "an empty group stores offsets for clients that assign themselves"
    );
    assert_eq!(
        g.committed(&tp).unwrap().offset,
        42,
        "offsets outlive members"
    );
}

#[test]
fn a_member_with_no_protocol_in_common_is_refused() {
    let (mut g, ..) = stable_group();
    let mut odd = request("", "odd", &["cooperative-sticky"]);
    odd.require_known_member_id = false;
    let e = g.join(at(4_000), odd).unwrap_err();
    assert_eq!(e.code, ErrorCode::InconsistentGroupProtocol);
    assert!(e.message.contains("range"), "{}", e.message);
    let mut bad = request("", "x", &["range"]);
    bad.session_timeout = SimDuration::from_millis(500);
    assert_eq!(
        g.join(at(4_000), bad).unwrap_err().code,
        ErrorCode::InvalidSessionTimeout
    );
}

#[test]
fn an_answer_a_client_never_collected_is_not_given_to_its_next_join() {
    // Generation 1 formed, but b's client gave up before its answer was collected.
    let (mut g, a, b) = two_member_group();
    g.take_join(&a).unwrap().unwrap();
    let c = member_id(&mut g, at(4_000), "c");
    later(g.join(at(4_000), request(&c, "c", &["range"])).unwrap());
    // b joins the new rebalance: it waits for a, and then hears of generation 2.
    let reply = g
        .join(at(4_100), request(&b, "b", &["roundrobin", "range"]))
        .unwrap();
    assert_eq!(reply, Reply::Later(b.clone()));
    // a's join is the last: it ends the phase.
    let last = g
        .join(at(4_200), request(&a, "a", &["range", "roundrobin"]))
        .unwrap();
    assert!(
        matches!(last, Reply::Now(JoinResponse { generation: 2, .. })),
        "{last:?}"
    );
    assert_eq!(g.take_join(&b).unwrap().unwrap().generation, 2);
}

#[test]
fn a_lost_join_response_is_answered_again_without_a_rebalance() {
    let (mut g, _, b) = stable_group();
    let rebalances = g.rebalances_total();
    let r = g
        .join(at(5_000), request(&b, "b", &["roundrobin", "range"]))
        .unwrap();
    assert!(matches!(r, Reply::Now(JoinResponse { generation: 1, .. })));
    assert_eq!(g.rebalances_total(), rebalances);
    assert_eq!(g.state(), GroupState::Stable);
}

#[test]
fn a_static_member_restarting_takes_its_place_without_a_rebalance() {
    let mut g = ClassicGroup::new("s");
    let mut first = request("", "a", &["range"]);
    first.instance_id = Some("host-1".into());
    later(g.join(T0, first.clone()).unwrap());
    g.tick(at(3_000));
    let old = g.members()[0].id.clone();
    g.take_join(&old).unwrap().unwrap();
    g.sync(
        at(3_100),
        &old,
        Some("host-1"),
        1,
        vec![(old.clone(), b"A".to_vec())],
    )
    .unwrap();
    // The process restarts: no member id, same instance id.
    let Reply::Now(r) = g.join(at(4_000), first).unwrap() else {
        panic!("a known static member is answered at once")
    };
    assert_ne!(r.member_id, old);
    assert_eq!(g.generation(), 1);
    assert_eq!(g.member(&r.member_id).unwrap().assignment, b"A");
    assert_eq!(
        g.heartbeat(at(4_100), &old, Some("host-1"), 1)
            .unwrap_err()
            .code,
        ErrorCode::FencedInstanceId
    );
}

#[test]
fn without_a_coordinator_held_requests_fail_and_no_session_expires() {
    let (mut g, a, b) = two_member_group();
    g.take_join(&a);
    g.take_join(&b);
    g.sync(at(3_200), &b, None, 1, vec![]).unwrap();
    g.set_coordinator(at(3_300), false);
    assert_eq!(
        g.take_sync(&b).unwrap().unwrap_err().code,
        ErrorCode::NotCoordinator
    );
    g.tick(at(60_000));
    assert_eq!(g.members().len(), 2, "no timer fires while unserved");
    g.set_coordinator(at(60_000), true);
    g.tick(at(65_000));
    assert_eq!(g.members().len(), 2, "sessions restart at the load");
    g.tick(at(70_000));
    assert!(g.members().is_empty());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Join(usize),
        Sync(usize),
        Heartbeat(usize),
        Leave(usize),
        Wait(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..4usize).prop_map(Op::Join),
            (0..4usize).prop_map(Op::Sync),
            (0..4usize).prop_map(Op::Heartbeat),
            (0..4usize).prop_map(Op::Leave),
            (1..20_000u64).prop_map(Op::Wait),
        ]
    }

    /// What a client knows: its member id and generation.
    #[derive(Clone, Default)]
    struct Client {
        id: String,
        generation: i32,
    }

    fn learn(c: &mut Client, r: &JoinResponse) {
        c.id.clone_from(&r.member_id);
        c.generation = r.generation;
    }

    fn check(g: &ClassicGroup, last_generation: &mut i32) {
        assert!(g.generation() >= *last_generation, "generations only grow");
        *last_generation = g.generation();
        match g.leader() {
            Some(l) => assert!(g.member(l).is_some(), "the leader {l} is a member"),
            None => assert!(g.members().is_empty(), "a group with members has a leader"),
        }
        if g.state() == GroupState::Empty {
            assert!(g.members().is_empty());
        }
        if g.state() == GroupState::Stable {
            assert!(g.members().iter().all(|m| !m.awaiting_join));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn any_sequence_of_requests_keeps_the_group_consistent(ops in prop::collection::vec(op(), 1..60)) {
            let mut g = ClassicGroup::new("p");
            let mut clients = vec![Client::default(); 4];
            let mut now = T0;
            let mut last_generation = 0;
            for op in ops {
                match op {
                    Op::Join(i) => {
                        let name = format!("c{i}");
                        match g.join(now, request(&clients[i].id, &name, &["range"])) {
                            Ok(Reply::Now(r)) => learn(&mut clients[i], &r),
                            Ok(Reply::Later(id) | Reply::MemberIdRequired(id)) => clients[i].id = id,
                            Err(_) => clients[i] = Client::default(),
                        }
                    }
                    Op::Sync(i) => {
                        let c = &clients[i];
                        let all: Vec<(String, Vec<u8>)> =
                            g.members().iter().map(|m| (m.id.clone(), b"a".to_vec())).collect();
                        let _ = g.sync(now, &c.id, None, c.generation, all);
                    }
                    Op::Heartbeat(i) => {
                        let _ = g.heartbeat(now, &clients[i].id, None, clients[i].generation);
                    }
                    Op::Leave(i) => {
                        let _ = g.leave(now, &clients[i].id, None);
                    }
                    Op::Wait(ms) => {
                        now = now + SimDuration::from_millis(ms);
                        g.tick(now);
                    }
                }
                for c in &mut clients {
                    if let Some(Ok(r)) = g.take_join(&c.id) {
                        learn(c, &r);
                    }
                    let _ = g.take_sync(&c.id);
                }
                check(&g, &mut last_generation);
            }
            // Silent long enough, every client's session and every rebalance runs out.
            now = now + SimDuration::from_secs(7_200);
            g.tick(now);
            g.tick(now + SimDuration::from_secs(60));
            check(&g, &mut last_generation);
            prop_assert!(g.members().is_empty());
            prop_assert_eq!(g.state(), GroupState::Empty);
        }
    }
}
