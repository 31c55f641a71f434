//! Kafka's consumer partition assignors, as pure functions: what the group leader computes from
//! the members' subscriptions (and, for the sticky assignors, the partitions each one owns) in
//! the middle of a rebalance.
//!
//! Range and RoundRobin follow the Java `RangeAssignor` and `RoundRobinAssignor` exactly (member
//! order is by member id). Sticky and CooperativeSticky compute the same *target*: balanced, and
//! keeping as many owned partitions as possible with their owner. What differs between those
//! two is the protocol (eager or cooperative), which is the group coordinator's business
//! ([`super::group`]), not the assignor's.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Partitions per topic the assignors consider; partitions past this index are never assigned
/// (the cluster model caps topics well below it).
pub const PARTITIONS_PER_TOPIC_MAX: u32 = 100_000;
/// Work budget (partition checks) of the sticky balancing pass. Identical subscriptions need at
/// most a handful of checks per move; only pathological mixes of subscriptions come near it, and
/// then the result stays valid, only possibly less balanced.
const BALANCE_CHECKS_MAX: u64 = 50_000_000;

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

/// What a member sends in its JoinGroup request: its subscription and, for the sticky assignors,
/// the partitions it owns (had in the previous generation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberSubscription {
    pub member_id: String,
    pub topics: BTreeSet<String>,
    pub owned: BTreeSet<TopicPartition>,
}

/// The assignment the leader computes: every member of `members` appears (possibly with an
/// empty set). `partitions` is the partition count of each topic; a partition of a topic no
/// member subscribes to stays unassigned, and a member never gets a partition of a topic it
/// does not subscribe to. Members with the same id are merged (the first one's subscription
/// wins), as the coordinator would never hand the leader two.
pub fn assign(
    assignor: Assignor,
    members: &[MemberSubscription],
    partitions: &BTreeMap<String, u32>,
) -> BTreeMap<String, BTreeSet<TopicPartition>> {
    let mut subs: BTreeMap<&str, &MemberSubscription> = BTreeMap::new();
    for m in members {
        subs.entry(m.member_id.as_str()).or_insert(m);
    }
    match assignor {
        Assignor::Range => range(&subs, partitions),
        Assignor::RoundRobin => round_robin(&subs, partitions),
        Assignor::Sticky | Assignor::CooperativeSticky => sticky(&subs, partitions),
    }
}

fn count_of(partitions: &BTreeMap<String, u32>, topic: &str) -> u32 {
    partitions
        .get(topic)
        .copied()
        .unwrap_or(0)
        .min(PARTITIONS_PER_TOPIC_MAX)
}

fn empty_result(
    subs: &BTreeMap<&str, &MemberSubscription>,
) -> BTreeMap<String, BTreeSet<TopicPartition>> {
    subs.keys()
        .map(|id| ((*id).to_string(), BTreeSet::new()))
        .collect()
}

/// `RangeAssignor`: per topic, the subscribed members in id order; each gets `n / m` consecutive
/// partitions and the first `n % m` one more.
fn range(
    subs: &BTreeMap<&str, &MemberSubscription>,
    partitions: &BTreeMap<String, u32>,
) -> BTreeMap<String, BTreeSet<TopicPartition>> {
    let mut out = empty_result(subs);
    let topics: BTreeSet<&str> = subs
        .values()
        .flat_map(|m| m.topics.iter().map(String::as_str))
        .collect();
    for topic in topics {
        let n = count_of(partitions, topic) as usize;
        let consumers: Vec<&str> = subs
            .iter()
            .filter(|(_, m)| m.topics.contains(topic))
            .map(|(id, _)| *id)
            .collect();
        let m = consumers.len();
        if m == 0 {
            continue;
        }
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
/// members in id order by one circular cursor that skips members not subscribed to the topic.
fn round_robin(
    subs: &BTreeMap<&str, &MemberSubscription>,
    partitions: &BTreeMap<String, u32>,
) -> BTreeMap<String, BTreeSet<TopicPartition>> {
    let mut out = empty_result(subs);
    let ring: Vec<(&str, &MemberSubscription)> = subs.iter().map(|(k, v)| (*k, *v)).collect();
    if ring.is_empty() {
        return out;
    }
    let topics: BTreeSet<&str> = subs
        .values()
        .flat_map(|m| m.topics.iter().map(String::as_str))
        .collect();
    let mut cursor = 0usize;
    for topic in topics {
        for p in 0..count_of(partitions, topic) {
            // Someone subscribes to `topic`, so one lap always finds a taker.
            for _ in 0..ring.len() {
                let (id, m) = ring[cursor % ring.len()];
                cursor = (cursor + 1) % ring.len();
                if m.topics.contains(topic) {
                    if let Some(set) = out.get_mut(id) {
                        set.insert(TopicPartition::new(topic, p));
                    }
                    break;
                }
            }
        }
    }
    out
}

/// The sticky target: (1) each member keeps the owned partitions that still exist and that it
/// still subscribes to (a partition two members claim stays with the smaller member id);
/// (2) every other subscribed partition goes, in order, to the least loaded member subscribed
/// to its topic (ties to the smaller id); (3) while some member has at least two more
/// partitions than a member that could take one of them, one moves (the most loaded member
/// gives, ties to the larger id; the least loaded eligible member takes, ties to the smaller
/// id; it gives its last eligible partition). Every move lowers the sum of squared loads, so
/// the pass ends; with identical subscriptions it ends balanced to within one partition, and a
/// member only loses owned partitions when it has more than its share.
fn sticky(
    subs: &BTreeMap<&str, &MemberSubscription>,
    partitions: &BTreeMap<String, u32>,
) -> BTreeMap<String, BTreeSet<TopicPartition>> {
    let ids: Vec<&str> = subs.keys().copied().collect();
    let members: Vec<&MemberSubscription> = subs.values().copied().collect();
    let mut sets: Vec<BTreeSet<TopicPartition>> = vec![BTreeSet::new(); ids.len()];
    let mut taken: BTreeSet<TopicPartition> = BTreeSet::new();

    // (1) Keep valid owned partitions; member ids ascend, so the smaller id wins a conflict.
    for (i, m) in members.iter().enumerate() {
        for tp in &m.owned {
            let valid = m.topics.contains(&tp.topic)
                && tp.partition < count_of(partitions, &tp.topic)
                && !taken.contains(tp);
            if valid {
                taken.insert(tp.clone());
                sets[i].insert(tp.clone());
            }
        }
    }

    // (2) Unowned partitions, topic by topic, to the least loaded subscriber.
    let topics: BTreeSet<&str> = members
        .iter()
        .flat_map(|m| m.topics.iter().map(String::as_str))
        .collect();
    for topic in topics {
        let mut load: BTreeSet<(usize, usize)> = members
            .iter()
            .enumerate()
            .filter(|(_, m)| m.topics.contains(topic))
            .map(|(i, _)| (sets[i].len(), i))
            .collect();
        for p in 0..count_of(partitions, topic) {
            let tp = TopicPartition::new(topic, p);
            if taken.contains(&tp) {
                continue;
            }
            let Some((n, i)) = load.pop_first() else {
                break;
            };
            sets[i].insert(tp.clone());
            taken.insert(tp);
            load.insert((n + 1, i));
        }
    }

    // (3) Balance.
    let mut load: BTreeSet<(usize, usize)> =
        sets.iter().enumerate().map(|(i, s)| (s.len(), i)).collect();
    let mut checks: u64 = 0;
    'moves: loop {
        for &(na, a) in load.iter().rev() {
            for &(nb, b) in &load {
                if nb + 1 >= na || checks > BALANCE_CHECKS_MAX {
                    break;
                }
                let mut pick = None;
                for tp in sets[a].iter().rev() {
                    checks += 1;
                    if members[b].topics.contains(&tp.topic) {
                        pick = Some(tp.clone());
                        break;
                    }
                }
                if let Some(tp) = pick {
                    sets[a].remove(&tp);
                    sets[b].insert(tp);
                    load.remove(&(na, a));
                    load.remove(&(nb, b));
                    load.insert((na - 1, a));
                    load.insert((nb + 1, b));
                    continue 'moves;
                }
            }
        }
        break;
    }

    ids.into_iter()
        .map(str::to_string)
        .zip(sets)
        .collect::<BTreeMap<_, _>>()
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

    #[test]
    fn sticky_conflicting_claims_go_to_the_smaller_member_id() {
        let members = [
            sub("b", &["t"], &[tp("t", 0)]),
            sub("a", &["t"], &[tp("t", 0)]),
        ];
        let out = assign(Assignor::CooperativeSticky, &members, &parts(&[("t", 2)]));
        assert_eq!(out["a"], set(&[tp("t", 0)]));
        assert_eq!(out["b"], set(&[tp("t", 1)]));
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
                    proptest::collection::btree_set(0usize..3, 0..=3),
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
                        prop_assert_eq!(seen.contains_key(&tp), subscribed, "{} {}", a, tp);
                    }
                }
            }
        }

        /// With identical subscriptions the sticky target is balanced to within one, keeps at
        /// least each member's fair share of what it owned, and is a fixed point: fed back as
        /// the owned partitions it comes out unchanged.
        #[test]
        fn sticky_is_balanced_sticky_and_stable((members, partitions, identical) in arb_case()) {
            for a in [Assignor::Sticky, Assignor::CooperativeSticky] {
                let out = assign(a, &members, &partitions);
                if identical {
                    let loads: Vec<usize> = out.values().map(BTreeSet::len).collect();
                    let (lo, hi) = (loads.iter().min(), loads.iter().max());
                    prop_assert!(hi.zip(lo).is_some_and(|(h, l)| h - l <= 1), "{loads:?}");
                    let total: usize = partitions.values().map(|n| *n as usize).sum();
                    let floor = total / members.len();
                    let mut claimed = BTreeSet::new();
                    let mut bound = 0;
                    for m in &members {
                        let valid = m.owned.iter().filter(|tp| {
                            tp.partition < partitions[&tp.topic] && claimed.insert((*tp).clone())
                        }).count();
                        bound += valid.min(floor);
                    }
                    let kept: usize = members
                        .iter()
                        .map(|m| m.owned.intersection(&out[&m.member_id]).count())
                        .sum();
                    prop_assert!(kept >= bound, "kept {kept} < {bound}");
                }
                let again: Vec<MemberSubscription> = members
                    .iter()
                    .map(|m| MemberSubscription { owned: out[&m.member_id].clone(), ..m.clone() })
                    .collect();
                prop_assert_eq!(assign(a, &again, &partitions), out.clone());
            }
        }
    }
}
