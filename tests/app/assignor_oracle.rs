//! The engine's assignors against the Java client's own: `tests/oracles/assignors.txt` holds
//! assignments that `RangeAssignor`, `RoundRobinAssignor`, `StickyAssignor` and
//! `CooperativeStickyAssignor` computed (recorded by `tests/oracles/AssignorOracle.java` from
//! the cases `generate_cases.py` writes: fresh groups, leaves, joins, static members, equal and
//! differing subscriptions, cooperative follow-ups). Each must agree exactly.

use std::collections::{BTreeMap, BTreeSet};

use streamdrill_engine::kafka::assignor::{Assignor, MemberSubscription, TopicPartition, assign};

const FIXTURE: &str = include_str!("../oracles/assignors.txt");

struct Case {
    label: String,
    assignor: Assignor,
    partitions: BTreeMap<String, u32>,
    members: Vec<MemberSubscription>,
    expected: BTreeMap<String, BTreeSet<TopicPartition>>,
}

fn partitions_of(text: &str) -> BTreeSet<TopicPartition> {
    if text == "-" {
        return BTreeSet::new();
    }
    text.split(',')
        .map(|tp| {
            let (topic, p) = tp.rsplit_once(':').expect("topic:partition");
            TopicPartition::new(topic, p.parse().expect("partition"))
        })
        .collect()
}

fn dash(text: &str) -> Option<&str> {
    (text != "-").then_some(text)
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut current: Option<Case> = None;
    for line in FIXTURE.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["assign", assignor, id, step] => {
                current = Some(Case {
                    label: format!("case {id} step {step} ({assignor})"),
                    assignor: Assignor::parse(assignor).expect("assignor"),
                    partitions: BTreeMap::new(),
                    members: Vec::new(),
                    expected: BTreeMap::new(),
                });
            }
            ["topics", topics @ ..] => {
                let case = current.as_mut().expect("in a case");
                for t in topics {
                    let (name, n) = t.split_once(':').expect("topic:count");
                    case.partitions
                        .insert(name.into(), n.parse().expect("count"));
                }
            }
            ["member", id, instance, generation, topics, owned] => {
                current
                    .as_mut()
                    .expect("in a case")
                    .members
                    .push(MemberSubscription {
                        member_id: (*id).into(),
                        instance_id: dash(instance).map(str::to_owned),
                        topics: topics.split(',').map(str::to_owned).collect(),
                        owned: partitions_of(owned),
                        generation: dash(generation).map(|g| g.parse().expect("generation")),
                    });
            }
            ["expect", id, got] => {
                let case = current.as_mut().expect("in a case");
                case.expected.insert((*id).into(), partitions_of(got));
            }
            ["end"] => cases.push(current.take().expect("in a case")),
            _ => panic!("unreadable fixture line: {line}"),
        }
    }
    cases
}

#[test]
fn every_assignor_agrees_with_the_java_client() {
    let cases = cases();
    let mut agreed: BTreeMap<Assignor, (usize, usize)> = BTreeMap::new();
    let mut first_disagreements = Vec::new();
    for case in &cases {
        let got = assign(case.assignor, &case.members, &case.partitions);
        let tally = agreed.entry(case.assignor).or_default();
        tally.1 += 1;
        if got == case.expected {
            tally.0 += 1;
        } else if first_disagreements.len() < 5 {
            first_disagreements.push(format!(
                "{}\n  engine: {got:?}\n  java:   {:?}",
                case.label, case.expected
            ));
        }
    }
    let summary: Vec<String> = agreed
        .iter()
        .map(|(a, (ok, all))| format!("{a} {ok}/{all}"))
        .collect();
    // At least 300 assignments over the four assignors, as the issue asks.
    assert!(cases.len() >= 300, "only {} cases", cases.len());
    assert_eq!(agreed.len(), 4);
    assert!(
        first_disagreements.is_empty(),
        "agreement: {}\n{}",
        summary.join(", "),
        first_disagreements.join("\n")
    );
}

/// The fixture covers what the issue names, so a regenerated one cannot quietly lose a kind.
#[test]
fn the_fixture_covers_static_members_leaves_joins_and_differing_subscriptions() {
    let cases = cases();
    let has = |f: &dyn Fn(&Case) -> bool| cases.iter().filter(|c| f(c)).count();
    assert!(has(&|c| c.members.iter().any(|m| m.instance_id.is_some())) >= 50);
    assert!(has(&|c| c.members.iter().any(|m| !m.owned.is_empty())) >= 300);
    assert!(has(&|c| c.members.windows(2).any(|w| w[0].topics != w[1].topics)) >= 100);
    assert!(
        has(&|c| c.members.iter().any(|m| m.generation.is_none())
            && c.members.iter().any(|m| m.generation.is_some()))
            >= 100
    );
}
