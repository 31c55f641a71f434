//! Kafka's consumer partition assignors, as pure functions: what the group leader computes from
//! the members' subscriptions (and, for the sticky assignors, the partitions each one owns) in
//! the middle of a rebalance.
//!
//! Each one gives the assignment the Java client's own assignor gives for the same members,
//! member ids, `group.instance.id`s, subscriptions, owned partitions and generations: `range`
//! and `roundrobin` order members as the Java `MemberInfo` does (static members first, by
//! instance id, then the others by member id); [`sticky`] follows `AbstractStickyAssignor`
//! step by step, including where Java's `HashMap` iteration order decides ([`java_hash`]). The
//! fixture `tests/oracles/assignors.txt`, recorded from the Java client, holds them to it.

mod java_hash;
mod sticky;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Partitions per topic the assignors consider; partitions past this index are never assigned
/// (the cluster model caps topics well below it).
pub const PARTITIONS_PER_TOPIC_MAX: u32 = 100_000;

/// One partition of one topic.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: u32,
}

impl TopicPartition {
    pub fn new(topic: &str, partition: u32) -> Self {
        TopicPartition {
            topic: topic.to_string(),
            partition,
        }
    }
}

/// `orders-3`, as Kafka's tools and logs print a partition.
impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// A `partition.assignment.strategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Assignor {
    Range,
    RoundRobin,
    Sticky,
    CooperativeSticky,
}

const CLASS_PREFIX: &str = "org.apache.kafka.clients.consumer.";

impl Assignor {
    pub const ALL: [Assignor; 4] = [
        Assignor::Range,
        Assignor::RoundRobin,
        Assignor::Sticky,
        Assignor::CooperativeSticky,
    ];

    /// Accepts the short names (`range`, `roundrobin`, `sticky`, `cooperative-sticky`) and the
    /// Java class names users paste from client configs
    /// (`org.apache.kafka.clients.consumer.CooperativeStickyAssignor`).
    pub fn parse(text: &str) -> Result<Assignor, String> {
        let t = text.trim();
        for a in Assignor::ALL {
            if t.eq_ignore_ascii_case(a.name())
                || t.strip_prefix(CLASS_PREFIX) == Some(a.class_simple_name())
            {
                return Ok(a);
            }
        }
        Err(format!(
            "unknown assignor '{text}': use range, roundrobin, sticky or cooperative-sticky \
             (or the class name, e.g. {CLASS_PREFIX}RangeAssignor)"
        ))
    }

    /// The short name, as the assignor's `name()` returns it in the Java client.
    pub fn name(self) -> &'static str {
        match self {
            Assignor::Range => "range",
            Assignor::RoundRobin => "roundrobin",
            Assignor::Sticky => "sticky",
            Assignor::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// The Java class name without its package.
    pub fn class_simple_name(self) -> &'static str {
        match self {
            Assignor::Range => "RangeAssignor",
            Assignor::RoundRobin => "RoundRobinAssignor",
            Assignor::Sticky => "StickyAssignor",
            Assignor::CooperativeSticky => "CooperativeStickyAssignor",
        }
    }

    /// The fully qualified class name, as `partition.assignment.strategy` takes it.
    pub fn class_name(self) -> String {
        format!("{CLASS_PREFIX}{}", self.class_simple_name())
    }

    /// True for the assignor that runs the cooperative (incremental, KIP-429) protocol.
    pub fn is_cooperative(self) -> bool {
        matches!(self, Assignor::CooperativeSticky)
    }
}

impl fmt::Display for Assignor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a member sends in its JoinGroup request: its subscription, its static identity if it
/// has one, and, for the sticky assignors, the partitions it owns and the generation it got
/// them in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberSubscription {
    pub member_id: String,
    /// `group.instance.id`: a static member.
    pub instance_id: Option<String>,
    pub topics: BTreeSet<String>,
    pub owned: BTreeSet<TopicPartition>,
    /// The generation `owned` was assigned in (none for a member that never had one).
    pub generation: Option<i32>,
}

/// The assignment the leader computes: every member of `members` appears (possibly with an
/// empty set). `partitions` is the partition count of each topic; a partition of a topic no
/// member subscribes to stays unassigned, and a member never gets a partition of a topic it
/// does not subscribe to. `members` is in the order the leader received them (the sticky
/// assignors' tie-breaks depend on it, as in Java); members with the same id are merged (the
/// first one's subscription wins), as the coordinator would never hand the leader two.
pub fn assign(
    assignor: Assignor,
    members: &[MemberSubscription],
    partitions: &BTreeMap<String, u32>,
) -> BTreeMap<String, BTreeSet<TopicPartition>> {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let members: Vec<&MemberSubscription> = members
        .iter()
        .filter(|m| seen.insert(m.member_id.as_str()))
        .collect();
    // The leader assigns the subscribed topics it has metadata for, with partitions.
    let subscribed: BTreeMap<String, u32> = members
        .iter()
        .flat_map(|m| m.topics.iter())
        .filter_map(|t| {
            let n = count_of(partitions, t);
            (n > 0).then(|| (t.clone(), n))
        })
        .collect();
    match assignor {
        Assignor::Range => range(&members, &subscribed),
        Assignor::RoundRobin => round_robin(&members, &subscribed),
        Assignor::Sticky | Assignor::CooperativeSticky => {
            let readable: Vec<sticky::Member> = members
                .iter()
                .map(|m| sticky::Member {
                    id: &m.member_id,
                    topics: &m.topics,
                    owned: m.owned.iter().cloned().collect(),
                    generation: m.generation,
                })
                .collect();
            let out = sticky::assign(&readable, &subscribed, assignor.is_cooperative());
            members
                .iter()
                .zip(out)
                .map(|(m, tps)| (m.member_id.clone(), tps.into_iter().collect()))
                .collect()
        }
    }
}

fn count_of(partitions: &BTreeMap<String, u32>, topic: &str) -> u32 {
    partitions
        .get(topic)
        .copied()
        .unwrap_or(0)
        .min(PARTITIONS_PER_TOPIC_MAX)
}

fn empty_result(members: &[&MemberSubscription]) -> BTreeMap<String, BTreeSet<TopicPartition>> {
    members
        .iter()
        .map(|m| (m.member_id.clone(), BTreeSet::new()))
        .collect()
}

/// Java's `MemberInfo` order: static members first, by `group.instance.id`, then the dynamic
/// ones by member id.
fn member_info_order<'a>(members: &[&'a MemberSubscription]) -> Vec<&'a MemberSubscription> {
    let mut sorted = members.to_vec();
    sorted.sort_by(|a, b| match (&a.instance_id, &b.instance_id) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.member_id.cmp(&b.member_id),
    });
    sorted
}

/// `RangeAssignor`: per topic, the subscribed members in `MemberInfo` order; each gets
/// `n / m` consecutive partitions and the first `n % m` one more.
fn range(
    members: &[&MemberSubscription],
    partitions: &BTreeMap<String, u32>,
) -> BTreeMap<String, BTreeSet<TopicPartition>> {
    let mut out = empty_result(members);
    let ordered = member_info_order(members);
    for (topic, &n) in partitions {
        let consumers: Vec<&str> = ordered
            .iter()
            .filter(|m| m.topics.contains(topic))
            .map(|m| m.member_id.as_str())
            .collect();
        let m = consumers.len();
        if m == 0 {
            continue;
        }
        let n = n as usize;
        let (per, extra) = (n / m, n % m);
        for (i, id) in consumers.iter().enumerate() {
            let start = per * i + i.min(extra);
            let len = per + usize::from(i < extra);
            if let Some(set) = out.get_mut(*id) {
                set.extend((start..start + len).map(|p| TopicPartition::new(topic, p as u32)));
            }
        }
    }
    out
}

/// `RoundRobinAssignor`: every subscribed partition in (topic, partition) order, dealt over the
/// members in `MemberInfo` order by one circular cursor that skips members not subscribed to
/// the topic.
fn round_robin(
    members: &[&MemberSubscription],
    partitions: &BTreeMap<String, u32>,
) -> BTreeMap<String, BTreeSet<TopicPartition>> {
    let mut out = empty_result(members);
    let ring = member_info_order(members);
    if ring.is_empty() {
        return out;
    }
    let mut cursor = 0usize;
    for (topic, &n) in partitions {
        for p in 0..n {
            // Someone subscribes to `topic`, so one lap always finds a taker.
            for _ in 0..ring.len() {
                let m = ring[cursor % ring.len()];
                cursor = (cursor + 1) % ring.len();
                if m.topics.contains(topic) {
                    if let Some(set) = out.get_mut(&m.member_id) {
                        set.insert(TopicPartition::new(topic, p));
                    }
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tp(topic: &str, p: u32) -> TopicPartition {
        TopicPartition::new(topic, p)
    }

    fn sub(id: &str, topics: &[&str], owned: &[TopicPartition]) -> MemberSubscription {
        MemberSubscription {
            member_id: id.to_string(),
            topics: topics.iter().map(|t| (*t).to_string()).collect(),
            owned: owned.iter().cloned().collect(),
            ..MemberSubscription::default()
        }
    }

    fn set(items: &[TopicPartition]) -> BTreeSet<TopicPartition> {
        items.iter().cloned().collect()
    }

    fn parts(items: &[(&str, u32)]) -> BTreeMap<String, u32> {
        items.iter().map(|(t, n)| ((*t).to_string(), *n)).collect()
    }

    #[test]
    fn topic_partitions_print_as_kafka_does() {
        assert_eq!(tp("orders", 3).to_string(), "orders-3");
        assert_eq!(tp("a-b", 0).to_string(), "a-b-0");
    }

    #[test]
    fn assignors_parse_short_and_class_names() {
        for a in Assignor::ALL {
            assert_eq!(Assignor::parse(a.name()), Ok(a));
            assert_eq!(Assignor::parse(&a.class_name()), Ok(a));
        }
        assert_eq!(Assignor::parse("range"), Ok(Assignor::Range));
        assert_eq!(Assignor::parse("roundrobin"), Ok(Assignor::RoundRobin));
        assert_eq!(
            Assignor::parse("org.apache.kafka.clients.consumer.CooperativeStickyAssignor"),
            Ok(Assignor::CooperativeSticky)
        );
        assert_eq!(
            Assignor::parse("org.apache.kafka.clients.consumer.StickyAssignor"),
            Ok(Assignor::Sticky)
        );
        assert!(Assignor::parse("cooperative").is_err());
        assert!(Assignor::parse("StickyAssignor").is_err());
        assert!(Assignor::CooperativeSticky.is_cooperative());
        assert!(!Assignor::Sticky.is_cooperative());
        assert!(!Assignor::Range.is_cooperative());
    }

    /// The textbook example: two topics of three partitions, two consumers.
    #[test]
    fn range_and_round_robin_on_the_textbook_example() {
        let members = [sub("C0", &["t0", "t1"], &[]), sub("C1", &["t0", "t1"], &[])];
        let partitions = parts(&[("t0", 3), ("t1", 3)]);

        let range = assign(Assignor::Range, &members, &partitions);
        assert_eq!(
            range["C0"],
            set(&[tp("t0", 0), tp("t0", 1), tp("t1", 0), tp("t1", 1)])
        );
        assert_eq!(range["C1"], set(&[tp("t0", 2), tp("t1", 2)]));

        let rr = assign(Assignor::RoundRobin, &members, &partitions);
        assert_eq!(rr["C0"], set(&[tp("t0", 0), tp("t0", 2), tp("t1", 1)]));
        assert_eq!(rr["C1"], set(&[tp("t0", 1), tp("t1", 0), tp("t1", 2)]));
    }

    #[test]
    fn range_gives_the_remainder_to_the_first_members() {
        let members = [
            sub("c", &["t"], &[]),
            sub("a", &["t"], &[]),
            sub("b", &["t"], &[]),
        ];
        let out = assign(Assignor::Range, &members, &parts(&[("t", 7)]));
        assert_eq!(out["a"], set(&[tp("t", 0), tp("t", 1), tp("t", 2)]));
        assert_eq!(out["b"], set(&[tp("t", 3), tp("t", 4)]));
        assert_eq!(out["c"], set(&[tp("t", 5), tp("t", 6)]));
    }

    /// RoundRobin's cursor skips members not subscribed to the topic at hand (the Java
    /// javadoc's C0/C1/C2 example with topics t0, t1, t2 of 1, 2, 3 partitions).
    #[test]
    fn round_robin_skips_unsubscribed_members() {
        let members = [
            sub("C0", &["t0"], &[]),
            sub("C1", &["t0", "t1"], &[]),
            sub("C2", &["t0", "t1", "t2"], &[]),
        ];
        let out = assign(
            Assignor::RoundRobin,
            &members,
            &parts(&[("t0", 1), ("t1", 2), ("t2", 3)]),
        );
        assert_eq!(out["C0"], set(&[tp("t0", 0)]));
        assert_eq!(out["C1"], set(&[tp("t1", 0)]));
        assert_eq!(
            out["C2"],
            set(&[tp("t1", 1), tp("t2", 0), tp("t2", 1), tp("t2", 2)])
        );
    }

    #[test]
    fn unsubscribed_topics_stay_unassigned_and_every_member_appears() {
        let members = [sub("a", &["t"], &[tp("u", 0)]), sub("b", &[], &[])];
        let partitions = parts(&[("t", 2), ("u", 4)]);
        for a in Assignor::ALL {
            let out = assign(a, &members, &partitions);
            assert_eq!(out.len(), 2, "{a}");
            assert_eq!(out["a"], set(&[tp("t", 0), tp("t", 1)]), "{a}");
            assert!(out["b"].is_empty(), "{a}");
        }
    }

    /// A fourth member joining three that own two partitions each: only one partition moves
    /// (6 / 4 gives loads 2, 2, 1, 1), and the others stay with their owners.
    #[test]
    fn sticky_moves_as_little_as_balance_needs() {
        let all = ["t"];
        let members = [
            sub("c1", &all, &[tp("t", 0), tp("t", 1)]),
            sub("c2", &all, &[tp("t", 2), tp("t", 3)]),
            sub("c3", &all, &[tp("t", 4), tp("t", 5)]),
            sub("c4", &all, &[]),
        ];
        let out = assign(Assignor::Sticky, &members, &parts(&[("t", 6)]));
        let kept: usize = members
            .iter()
            .map(|m| m.owned.intersection(&out[&m.member_id]).count())
            .sum();
        assert_eq!(kept, 5);
        assert_eq!(out["c4"].len(), 1);
        // Range would have reshuffled: c1 {0,1}, c2 {2,3}, c3 {4}, c4 {5}.
        let range = assign(Assignor::Range, &members, &parts(&[("t", 6)]));
        assert_eq!(range["c3"], set(&[tp("t", 4)]));
    }

    /// Two members claiming one partition: the higher generation keeps it; in the same
    /// generation neither does (Java logs the conflict and assigns it afresh), and the
    /// cooperative assignor withholds it for a round, as it does every partition changing hands.
    #[test]
    fn sticky_conflicting_claims_go_by_generation() {
        let claim = |id: &str, generation: i32| MemberSubscription {
            generation: Some(generation),
            ..sub(id, &["t"], &[tp("t", 0)])
        };
        let older_a = [claim("b", 2), claim("a", 1)];
        let out = assign(Assignor::Sticky, &older_a, &parts(&[("t", 2)]));
        assert_eq!(out["b"], set(&[tp("t", 0)]));
        assert_eq!(out["a"], set(&[tp("t", 1)]));

        let same = [claim("b", 1), claim("a", 1)];
        let eager = assign(Assignor::Sticky, &same, &parts(&[("t", 2)]));
        assert_eq!(eager["a"], set(&[tp("t", 0)]));
        assert_eq!(eager["b"], set(&[tp("t", 1)]));
        let cooperative = assign(Assignor::CooperativeSticky, &same, &parts(&[("t", 2)]));
        assert_eq!(cooperative["a"], set(&[]));
        assert_eq!(cooperative["b"], set(&[tp("t", 1)]));
    }

    /// A group a property test met, checked against the Java client: with differing
    /// subscriptions the cooperative assignor revokes a-2 from m2 (generation 2) and, in the
    /// follow-up, gives it back while b-2 moves instead. Java's own assignments, both rounds.
    #[test]
    fn cooperative_follow_ups_may_give_back_what_they_revoked() {
        let member =
            |id: &str, topics: &[&str], owned: &[TopicPartition], generation| MemberSubscription {
                generation,
                ..sub(id, topics, owned)
            };
        let all: Vec<TopicPartition> = (0..4).flat_map(|p| [tp("a", p), tp("b", p)]).collect();
        let partitions = parts(&[("a", 5), ("b", 4)]);
        let first = [
            member("m1", &["b"], &[], None),
            member("m2", &["a", "b"], &all, Some(1)),
            member("m3", &["a"], &[], None),
        ];
        let out = assign(Assignor::CooperativeSticky, &first, &partitions);
        assert_eq!(out["m1"], set(&[]));
        assert_eq!(out["m2"], set(&[tp("a", 3), tp("b", 2), tp("b", 3)]));
        assert_eq!(out["m3"], set(&[tp("a", 4)]));
        let follow_up = [
            member("m1", &["b"], &[], Some(2)),
            member(
                "m2",
                &["a", "b"],
                &[tp("a", 3), tp("b", 2), tp("b", 3)],
                Some(2),
            ),
            member("m3", &["a"], &[tp("a", 4)], Some(2)),
        ];
        let out = assign(Assignor::CooperativeSticky, &follow_up, &partitions);
        assert_eq!(out["m1"], set(&[tp("b", 0), tp("b", 1)]));
        assert_eq!(out["m2"], set(&[tp("a", 2), tp("a", 3), tp("b", 3)]));
        assert_eq!(out["m3"], set(&[tp("a", 0), tp("a", 1), tp("a", 4)]));
    }

    /// Static members come first in range and round-robin, by instance id, as Java's
    /// `MemberInfo` orders them.
    #[test]
    fn range_and_round_robin_put_static_members_first() {
        let static_member = |id: &str, instance: &str| MemberSubscription {
            instance_id: Some(instance.to_string()),
            ..sub(id, &["t"], &[])
        };
        let members = [
            sub("a", &["t"], &[]),
            static_member("z", "i-2"),
            static_member("y", "i-1"),
        ];
        let range = assign(Assignor::Range, &members, &parts(&[("t", 3)]));
        assert_eq!(range["y"], set(&[tp("t", 0)]));
        assert_eq!(range["z"], set(&[tp("t", 1)]));
        assert_eq!(range["a"], set(&[tp("t", 2)]));
        let rr = assign(Assignor::RoundRobin, &members, &parts(&[("t", 4)]));
        assert_eq!(rr["y"], set(&[tp("t", 0), tp("t", 3)]));
        assert_eq!(rr["a"], set(&[tp("t", 2)]));
    }

    #[test]
    fn sticky_drops_partitions_that_no_longer_exist_or_are_unsubscribed() {
        let members = [sub("a", &["t"], &[tp("t", 5), tp("u", 0)])];
        let out = assign(Assignor::Sticky, &members, &parts(&[("t", 2), ("u", 1)]));
        assert_eq!(out["a"], set(&[tp("t", 0), tp("t", 1)]));
    }

    fn arb_case() -> impl Strategy<
        Value = (
            Vec<MemberSubscription>,
            BTreeMap<String, u32>,
            bool, // identical subscriptions
        ),
    > {
        let topics = ["a", "b", "c"];
        (
            proptest::collection::vec(0u32..9, 3),
            proptest::collection::vec(
                (
                    proptest::collection::btree_set(0usize..3, 1..=3),
                    proptest::collection::btree_set((0usize..3, 0u32..10), 0..8),
                ),
                1..7,
            ),
            any::<bool>(),
        )
            .prop_map(move |(counts, ms, identical)| {
                let partitions: BTreeMap<String, u32> = topics
                    .iter()
                    .zip(counts)
                    .map(|(t, n)| ((*t).to_string(), n))
                    .collect();
                let members = ms
                    .into_iter()
                    .enumerate()
                    .map(|(i, (ts, owned))| MemberSubscription {
                        member_id: format!("m{i}"),
                        instance_id: None,
                        generation: Some(1),
                        topics: if identical {
                            topics.iter().map(|t| (*t).to_string()).collect()
                        } else {
                            ts.into_iter().map(|t| topics[t].to_string()).collect()
                        },
                        owned: owned
                            .into_iter()
                            .map(|(t, p)| TopicPartition::new(topics[t], p))
                            .collect(),
                    })
                    .collect();
                (members, partitions, identical)
            })
    }

    proptest! {
        /// Every assignor assigns each subscribed partition exactly once, to a subscriber.
        #[test]
        fn every_subscribed_partition_has_exactly_one_subscribed_owner(
            (members, partitions, _identical) in arb_case()
        ) {
            for a in Assignor::ALL {
                let out = assign(a, &members, &partitions);
                prop_assert_eq!(out.len(), members.len());
                let mut seen: BTreeMap<TopicPartition, &str> = BTreeMap::new();
                for (id, tps) in &out {
                    let m = members.iter().find(|m| &m.member_id == id).expect("member");
                    for tp in tps {
                        prop_assert!(m.topics.contains(&tp.topic), "{a}: {tp} to {id}");
                        prop_assert!(tp.partition < partitions[&tp.topic]);
                        prop_assert!(seen.insert(tp.clone(), id).is_none(), "{a}: {tp} twice");
                    }
                }
                for (topic, n) in &partitions {
                    let subscribed = members.iter().any(|m| m.topics.contains(topic));
                    for p in 0..*n {
                        let tp = TopicPartition::new(topic, p);
                        // The cooperative assignor withholds a partition that changes hands
                        // until its owner has revoked it.
                        let withheld = a.is_cooperative() && members.iter().any(|m| m.owned.contains(&tp));
                        if !withheld {
                            prop_assert_eq!(seen.contains_key(&tp), subscribed, "{} {}", a, tp);
                        }
                    }
                }
            }
        }

        /// The sticky assignors settle: fed back their own output as the next generation's
        /// owned partitions (each cooperative follow-up hands over what the last one
        /// withheld), they reach an assignment that comes out unchanged within a few rounds.
        /// With identical subscriptions it is balanced to within one, and the first round
        /// keeps at least each member's fair share of what it alone claimed.
        #[test]
        fn sticky_settles_balanced_and_sticky((members, partitions, identical) in arb_case()) {
            let next_generation = |of: &[MemberSubscription], out: &BTreeMap<String, BTreeSet<TopicPartition>>| -> Vec<MemberSubscription> {
                of.iter()
                    .map(|m| MemberSubscription {
                        owned: out[&m.member_id].clone(),
                        generation: m.generation.map(|g| g + 1),
                        ..m.clone()
                    })
                    .collect()
            };
            for a in [Assignor::Sticky, Assignor::CooperativeSticky] {
                let first = assign(a, &members, &partitions);
                if identical && !a.is_cooperative() {
                    let total: usize = partitions.values().map(|n| *n as usize).sum();
                    let floor = total / members.len();
                    let mut claims: BTreeMap<&TopicPartition, usize> = BTreeMap::new();
                    for tp in members.iter().flat_map(|m| &m.owned) {
                        *claims.entry(tp).or_default() += 1;
                    }
                    let mut bound = 0;
                    for m in &members {
                        let alone = m.owned.iter().filter(|tp| {
                            tp.partition < partitions[&tp.topic] && claims[tp] == 1
                        }).count();
                        bound += alone.min(floor);
                    }
                    let kept: usize = members
                        .iter()
                        .map(|m| m.owned.intersection(&first[&m.member_id]).count())
                        .sum();
                    prop_assert!(kept >= bound, "{a}: kept {kept} < {bound}");
                }
                let mut current = next_generation(&members, &first);
                let mut out = first;
                let mut settled = false;
                for _ in 0..6 {
                    let again = assign(a, &current, &partitions);
                    if again == out {
                        settled = true;
                        break;
                    }
                    current = next_generation(&current, &again);
                    out = again;
                }
                prop_assert!(settled, "{a} did not settle: {out:?}");
                if identical {
                    let loads: Vec<usize> = out.values().map(BTreeSet::len).collect();
                    let (lo, hi) = (loads.iter().min(), loads.iter().max());
                    prop_assert!(hi.zip(lo).is_some_and(|(h, l)| h - l <= 1), "{a}: {loads:?}");
                }
            }
        }
    }
}
