//! The group coordinator's broker API ([`streamdrill_engine::api::kafka_groups`]): a real
//! client's group beside a simulated member, on a cluster whose coordinator can move.

use serde_json::Value;
use streamdrill_engine::api::kafka_groups as api;
use streamdrill_engine::kafka::assignor::TopicPartition;
use streamdrill_engine::kafka::classic::consumer_protocol as cp;
use streamdrill_engine::kafka::classic::{JoinRequest, JoinResponse, Reply};
use streamdrill_engine::kafka::coordinator::CoordinatorKind;
use streamdrill_engine::kafka::error::ErrorCode;
use streamdrill_engine::{Console, SimDuration};

fn cluster() -> Console {
    let mut console = Console::new(7);
    for line in [
        "kafka-cluster create --brokers 3",
        "kafka-topics --create --topic orders --partitions 4 --replication-factor 3",
    ] {
        console.execute(line);
    }
    console
}

fn coordinator(console: &Console) -> u32 {
    let k = console.sim.kafka.as_ref().unwrap();
    api::find_coordinator(k, CoordinatorKind::Group, "billing", console.sim.now()).unwrap()
}

fn client_join(member_id: &str) -> JoinRequest {
    JoinRequest {
        member_id: member_id.to_string(),
        instance_id: None,
        client_id: "py-1".into(),
        client_host: "/127.0.0.1".into(),
        session_timeout: SimDuration::from_secs(10),
        rebalance_timeout: SimDuration::from_secs(30),
        protocol_type: "consumer".into(),
        protocols: vec![(
            "range".into(),
            cp::encode_subscription(&cp::Subscription {
                topics: vec!["orders".into()],
                ..cp::Subscription::default()
            }),
        )],
        require_known_member_id: false,
    }
}

fn describe(console: &mut Console) -> Value {
    let out = console
        .execute("kafka-consumer-groups --describe --group billing")
        .unwrap();
    serde_json::from_str(&out).unwrap()
}

#[test]
fn a_simulated_leader_assigns_a_real_clients_partitions_with_the_java_range_assignor() {
    let mut console = cluster();
    let broker = coordinator(&console);
    let wrong = (1..=3).find(|b| *b != broker).unwrap();
    let now = console.sim.now();
    let k = console.sim.kafka.as_mut().unwrap();
    assert_eq!(
        api::join_group(k, wrong, "billing", client_join(""), now)
            .unwrap_err()
            .code,
        ErrorCode::NotCoordinator
    );
    let Reply::Later(client) = api::join_group(k, broker, "billing", client_join(""), now).unwrap()
    else {
        panic!("the first join waits out the initial delay")
    };
    // A simulated member joins within the delay; it joined second, so the client leads...
    let started = console.execute("consumer start --group billing --member sim-1 --topic orders");
    assert!(started.unwrap().contains("sim-1"));
    console.execute("advance 4s");
    let now = console.sim.now();
    let k = console.sim.kafka.as_mut().unwrap();
    let JoinResponse {
        generation,
        leader,
        members,
        ..
    } = api::take_join(k, "billing", &client).unwrap().unwrap();
    assert_eq!(leader, client);
    assert_eq!(members.len(), 2);
    // ... and assigns: the first two partitions to itself, the rest to the simulated member.
    let sim_id = members
        .iter()
        .find(|m| m.member_id != client)
        .unwrap()
        .member_id
        .clone();
    let mine: std::collections::BTreeSet<TopicPartition> =
        (0..2).map(|p| TopicPartition::new("orders", p)).collect();
    let theirs: std::collections::BTreeSet<TopicPartition> =
        (2..4).map(|p| TopicPartition::new("orders", p)).collect();
    let given = vec![
        (client.clone(), cp::encode_assignment(&mine)),
        (sim_id.clone(), cp::encode_assignment(&theirs)),
    ];
    let reply = api::sync_group(k, broker, "billing", &client, None, generation, given, now);
    assert_eq!(reply.unwrap(), Reply::Now(cp::encode_assignment(&mine)));
    console.execute("advance 1s");
    let group = describe(&mut console);
    assert_eq!(group["State"], "Stable");
    let sim = group["Members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["ClientId"] == "sim-1")
        .unwrap();
    assert_eq!(
        sim["Assignment"],
        serde_json::json!(["orders-2", "orders-3"])
    );

    // The client goes silent: at its session timeout it is removed, and the simulated member,
    // now the leader, gives itself everything with the Java range assignor.
    console.execute("advance 15s");
    let group = describe(&mut console);
    assert_eq!(group["State"], "Stable", "{group}");
    assert_eq!(group["Leader"], sim_id.as_str());
    let members = group["Members"].as_array().unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(
        members[0]["Assignment"],
        serde_json::json!(["orders-0", "orders-1", "orders-2", "orders-3"])
    );
    // Records produced now are read and committed by the simulated member (auto-commit).
    for p in 0..4 {
        let out = console
            .execute(&format!(
                "produce --topic orders --partition {p} --value v{p}"
            ))
            .unwrap();
        assert!(!out.contains("Error"), "{out}");
    }
    console.execute("advance 10s");
    let group = describe(&mut console);
    let rows = group["Offsets"].as_array().unwrap();
    assert!(rows.iter().all(|row| row["LogEndOffset"] == 1), "{group}");
    assert!(rows.iter().all(|row| row["Lag"] == 0), "{group}");
}

#[test]
fn offsets_committed_by_a_client_are_fetched_back_and_unknown_partitions_refused() {
    let mut console = cluster();
    let broker = coordinator(&console);
    let now = console.sim.now();
    let k = console.sim.kafka.as_mut().unwrap();
    let commit = |topic: &str, partition: u32, offset: i64| api::OffsetToCommit {
        topic: topic.into(),
        partition,
        offset,
        metadata: String::new(),
    };
    // No members: a client that assigns its own partitions commits with generation -1.
    let each = api::offset_commit(
        k,
        broker,
        "billing",
        "",
        None,
        -1,
        vec![commit("orders", 1, 17), commit("nope", 0, 1)],
        now,
    )
    .unwrap();
    assert!(each[0].is_ok());
    assert_eq!(
        each[1].as_ref().unwrap_err().code,
        ErrorCode::UnknownTopicOrPartition
    );
    let fetched = api::offset_fetch(k, broker, "billing", None, now).unwrap();
    assert_eq!(fetched.len(), 1);
    assert_eq!((fetched[0].partition, fetched[0].offset), (1, 17));
    let none = api::offset_fetch(k, broker, "billing", Some(vec![("orders".into(), 0)]), now);
    assert_eq!(none.unwrap()[0].offset, -1);
    assert_eq!(
        api::list_groups(k, broker, now),
        vec![("billing".into(), "consumer".into(), "Empty".into())]
    );
    // The console resets a client-run group too, while it has no members...
    let out = console
        .execute("kafka-consumer-groups --reset-offsets --group billing --topic orders --to-earliest --execute")
        .unwrap();
    assert!(out.contains("\"NewOffset\":0"), "{out}");
    let k = console.sim.kafka.as_mut().unwrap();
    let fetched = api::offset_fetch(k, broker, "billing", None, now).unwrap();
    assert!(fetched.iter().all(|f| f.offset == 0), "{fetched:?}");
    // ... and refuses while one is in it.
    console.execute("consumer start --group billing --member sim-1 --topic orders");
    let out = console
        .execute("kafka-consumer-groups --reset-offsets --group billing --topic orders --to-latest --execute")
        .unwrap();
    assert!(out.contains("NON_EMPTY_GROUP"), "{out}");
}

#[test]
fn while_the_coordinator_moves_a_client_is_told_to_find_it_again() {
    let mut console = cluster();
    let broker = coordinator(&console);
    console.execute(&format!("broker stop {broker}"));
    let now = console.sim.now();
    let k = console.sim.kafka.as_mut().unwrap();
    let e = api::join_group(k, broker, "billing", client_join(""), now).unwrap_err();
    assert!(
        matches!(
            e.code,
            ErrorCode::CoordinatorNotAvailable | ErrorCode::NotCoordinator
        ),
        "{e}"
    );
    console.execute("advance 30s");
    let moved = coordinator(&console);
    assert_ne!(
        moved, broker,
        "a new leader of the offsets partition coordinates"
    );
}

#[test]
fn group_state_past_the_budget_is_refused_and_changes_nothing() {
    let mut console = cluster();
    let broker = coordinator(&console);
    let now = console.sim.now();
    let k = console.sim.kafka.as_mut().unwrap();
    // Sixteen protocols of a megabyte each: 16 MiB a member and its names; a fourth would take
    // the group past the 64 MiB budget.
    let heavy = |i: usize| JoinRequest {
        protocols: (0..16)
            .map(|p| (format!("assignor-{p}"), vec![i as u8; 1 << 20]))
            .collect(),
        ..client_join("")
    };
    let mut refused = None;
    for i in 0..10 {
        if let Err(e) = api::join_group(k, broker, "billing", heavy(i), now) {
            refused = Some((i, e));
            break;
        }
    }
    let (at, e) = refused.expect("refused before ten members");
    assert_eq!(e.code, ErrorCode::SimulationLimit, "{e}");
    assert!(e.message.contains("CLIENT_GROUPS_BYTES"), "{e}");
    assert_eq!(at, 3);
    let g = &k.classic_groups["billing"];
    assert_eq!(g.members().len(), 3, "the refused member was not added");
    assert!(g.held_bytes() <= api::CLIENT_GROUPS_BYTES_MAX);
}
