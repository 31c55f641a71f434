//! `StickyAssignor` and `CooperativeStickyAssignor`, as the Java client's
//! `AbstractStickyAssignor` computes them (Kafka 3.x/4.x, without rack awareness: the engine's
//! consumers name no rack). The Java code is the specification; this follows its steps and
//! keeps its quirks, so an assignment here is the one a real group leader computes:
//!
//! - members' claims are read in the leader's `HashMap` order; a partition two members claim
//!   goes to the higher generation, and is dropped from both in the same generation;
//! - equal subscriptions take the constrained algorithm (quotas: each member keeps up to its
//!   quota of owned partitions, lowest partition numbers first, and the rest are dealt round
//!   robin to the members under quota in member-id order);
//! - differing subscriptions take the general one (fill the least loaded eligible member, then
//!   move partitions while some member could take one from a member with two more, undoing a
//!   previous move where it can, and keep the result only if it is better balanced);
//! - the cooperative assignor then withholds every partition that changes owner: its old owner
//!   revokes it first, and the follow-up rebalance hands it over (KIP-429).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use super::TopicPartition;
use super::java_hash::{JavaHashSet, iteration_order, string_hash};

/// A member as the sticky assignors read it.
pub(super) struct Member<'a> {
    pub id: &'a str,
    pub topics: &'a BTreeSet<String>,
    /// The partitions it owned (the eager assignor's user data, the cooperative one's
    /// `ownedPartitions`) and the generation they were assigned in.
    pub owned: Vec<TopicPartition>,
    pub generation: Option<i32>,
}

/// Java's `DEFAULT_GENERATION`.
const NO_GENERATION: i32 = -1;

/// Work budget (partition checks) of the general algorithm's balancing loops, whose cost
/// grows with partitions squared times members: a result past it is valid, only possibly less
/// balanced.
const BALANCE_CHECKS_MAX: u64 = 20_000_000;

/// `members` in the order the leader received them; `partitions` the partition count of every
/// subscribed topic that has partitions. Returns each member's partitions, by index.
pub(super) fn assign(
    members: &[Member],
    partitions: &BTreeMap<String, u32>,
    cooperative: bool,
) -> Vec<Vec<TopicPartition>> {
    if members.is_empty() {
        return Vec::new();
    }
    // The leader's subscriptions map is a HashMap keyed by member id.
    let hashes: Vec<i32> = members.iter().map(|m| string_hash(m.id)).collect();
    let order = iteration_order(&hashes);
    let claims = read_claims(members, &order, partitions);
    let (mut assignment, transferring) = if claims.all_equal {
        let mut builder = Constrained::new(members, partitions, &claims);
        builder.build(&order);
        (builder.assignment, Some(builder.transferring))
    } else {
        let max_generation = claims.max_generation;
        let assignment =
            General::new(members, partitions, &order, claims.owned, max_generation).build();
        (assignment, None)
    };
    if cooperative {
        let transferring = transferring.unwrap_or_else(|| transfers(members, &assignment));
        for (tp, to) in transferring {
            assignment[to].retain(|t| *t != tp);
        }
    }
    assignment
}

/// What `allSubscriptionsEqual` reads off the subscriptions.
struct Claims {
    all_equal: bool,
    /// Each member's valid claims, by member index.
    owned: Vec<Vec<TopicPartition>>,
    claimed_twice: HashSet<TopicPartition>,
    max_generation: i32,
}

fn read_claims(members: &[Member], order: &[usize], partitions: &BTreeMap<String, u32>) -> Claims {
    let mut all_equal = true;
    // Java compares with the first non-empty subscription it meets, so a member that
    // subscribes to nothing could be dealt partitions by the equal-subscriptions algorithm;
    // the Java client never joins a group with an empty subscription, and here every member
    // is compared with the first.
    let mut subscribed: Option<&BTreeSet<String>> = None;
    let mut owned: Vec<Vec<TopicPartition>> = vec![Vec::new(); members.len()];
    let mut owner_of: HashMap<TopicPartition, usize> = HashMap::new();
    let mut claimed_twice = HashSet::new();
    let mut max_generation = NO_GENERATION;
    for &i in order {
        let m = &members[i];
        match subscribed {
            None => subscribed = Some(m.topics),
            Some(first) if first != m.topics => all_equal = false,
            Some(_) => {}
        }
        let generation = m.generation.unwrap_or(NO_GENERATION);
        max_generation = max_generation.max(generation);
        for tp in &m.owned {
            // A partition past the topic's count (the topic shrank, or a bad claim) is not
            // the member's to keep; Java would carry it into the assignment.
            if partitions.get(&tp.topic).is_none_or(|&n| tp.partition >= n) {
                continue;
            }
            match owner_of.get(tp).copied() {
                None => {
                    owned[i].push(tp.clone());
                    owner_of.insert(tp.clone(), i);
                }
                Some(other) => {
                    let other_generation = members[other].generation.unwrap_or(NO_GENERATION);
                    if generation == other_generation {
                        claimed_twice.insert(tp.clone());
                        owned[other].retain(|t| t != tp);
                        owner_of.insert(tp.clone(), i);
                    } else if generation > other_generation {
                        owned[i].push(tp.clone());
                        owned[other].retain(|t| t != tp);
                        owner_of.insert(tp.clone(), i);
                    }
                }
            }
        }
    }
    Claims {
        all_equal,
        owned,
        claimed_twice,
        max_generation,
    }
}

/// The partitions the cooperative protocol must revoke before they move, to their new owner:
/// assigned to a member that did not own them, and owned by a member that no longer has them.
fn transfers(
    members: &[Member],
    assignment: &[Vec<TopicPartition>],
) -> Vec<(TopicPartition, usize)> {
    let mut added = Vec::new();
    let mut revoked: HashSet<&TopicPartition> = HashSet::new();
    for (i, m) in members.iter().enumerate() {
        for tp in &assignment[i] {
            if !m.owned.contains(tp) {
                added.push((tp.clone(), i));
            }
        }
        for tp in &m.owned {
            if !assignment[i].contains(tp) {
                revoked.insert(tp);
            }
        }
    }
    added.retain(|(tp, _)| revoked.contains(tp));
    added
}

/// Every partition of `topics` in that order, partition numbers ascending.
fn all_partitions<'a>(
    topics: impl IntoIterator<Item = &'a String>,
    partitions: &BTreeMap<String, u32>,
) -> Vec<TopicPartition> {
    topics
        .into_iter()
        .flat_map(|t| {
            let n = partitions.get(t).copied().unwrap_or(0);
            (0..n).map(move |p| TopicPartition::new(t, p))
        })
        .collect()
}

/// The `ConstrainedAssignmentBuilder`: every member subscribes to the same topics.
struct Constrained<'a> {
    members: &'a [Member<'a>],
    partitions: &'a BTreeMap<String, u32>,
    claims: &'a Claims,
    min_quota: usize,
    max_quota: usize,
    expected_over_min: usize,
    current_over_min: usize,
    assignment: Vec<Vec<TopicPartition>>,
    maybe_revoked: HashMap<TopicPartition, usize>,
    transferring: Vec<(TopicPartition, usize)>,
}

impl<'a> Constrained<'a> {
    fn new(
        members: &'a [Member<'a>],
        partitions: &'a BTreeMap<String, u32>,
        claims: &'a Claims,
    ) -> Self {
        let total: usize = partitions.values().map(|&n| n as usize).sum();
        let n = members.len();
        Constrained {
            members,
            partitions,
            claims,
            min_quota: total / n,
            max_quota: total.div_ceil(n),
            expected_over_min: total % n,
            current_over_min: 0,
            assignment: vec![Vec::new(); n],
            maybe_revoked: HashMap::new(),
            transferring: Vec::new(),
        }
    }

    fn build(&mut self, order: &[usize]) {
        let mut assigned: HashSet<TopicPartition> = HashSet::new();
        let mut under_min: Vec<usize> = Vec::new();
        let mut exactly_min: VecDeque<usize> = VecDeque::new();
        // assignOwnedPartitions, in the owned-partitions map's order (the subscriptions').
        for &i in order {
            let mut owned = self.claims.owned[i].clone();
            owned.sort_by(|a, b| (a.partition, &a.topic).cmp(&(b.partition, &b.topic)));
            owned.retain(|tp| !self.claims.claimed_twice.contains(tp));
            let keep = if owned.len() < self.min_quota {
                under_min.push(i);
                owned.len()
            } else if owned.len() >= self.max_quota
                && self.current_over_min < self.expected_over_min
            {
                self.current_over_min += 1;
                if self.current_over_min == self.expected_over_min {
                    exactly_min.clear();
                }
                self.max_quota
            } else {
                if self.current_over_min < self.expected_over_min {
                    exactly_min.push_back(i);
                }
                self.min_quota
            };
            for tp in owned.drain(keep..) {
                self.maybe_revoked.insert(tp, i);
            }
            assigned.extend(owned.iter().cloned());
            self.assignment[i] = owned;
        }
        let unassigned: Vec<TopicPartition> =
            all_partitions(self.partitions.keys(), self.partitions)
                .into_iter()
                .filter(|tp| !assigned.contains(tp))
                .collect();
        let by_id = |a: &usize, b: &usize| self.members[*a].id.cmp(self.members[*b].id);
        under_min.sort_by(by_id);
        exactly_min.make_contiguous().sort_by(by_id);
        self.round_robin(&unassigned, under_min, exactly_min);
    }

    /// `assignRoundRobin`, with Java's iterator over the under-quota list (restarted when it
    /// runs out, an element removed through it once the member reaches its quota).
    fn round_robin(
        &mut self,
        unassigned: &[TopicPartition],
        mut under_min: Vec<usize>,
        mut exactly_min: VecDeque<usize>,
    ) {
        let mut cursor = 0;
        for tp in unassigned {
            let mut from_iterator = true;
            let member = if cursor < under_min.len() {
                cursor += 1;
                under_min[cursor - 1]
            } else if under_min.is_empty() {
                // Java throws IllegalStateException when both lists are empty: it cannot
                // happen with quotas computed from the same totals.
                let Some(m) = exactly_min.pop_front() else {
                    return;
                };
                from_iterator = false;
                m
            } else {
                cursor = 1;
                under_min[0]
            };
            let count = self.assign_new(tp, member);
            if count == self.min_quota && from_iterator {
                cursor -= 1;
                under_min.remove(cursor);
                exactly_min.push_back(member);
            } else if count == self.max_quota {
                self.current_over_min += 1;
            }
        }
    }

    fn assign_new(&mut self, tp: &TopicPartition, member: usize) -> usize {
        self.assignment[member].push(tp.clone());
        let was_elsewhere = self.maybe_revoked.get(tp).is_some_and(|&o| o != member);
        if was_elsewhere || self.claims.claimed_twice.contains(tp) {
            self.transferring.retain(|(t, _)| t != tp);
            self.transferring.push((tp.clone(), member));
        }
        self.assignment[member].len()
    }
}

/// `PartitionMovements`: where each moved partition came from, so that a move back undoes an
/// earlier move instead of adding one.
#[derive(Default)]
struct Movements {
    by_topic: HashMap<String, HashMap<(usize, usize), JavaHashSet>>,
    of: HashMap<TopicPartition, (usize, usize)>,
}

impl Movements {
    fn remove_record(&mut self, tp: &TopicPartition) -> Option<(usize, usize)> {
        let pair = self.of.remove(tp)?;
        if let Some(topic) = self.by_topic.get_mut(&tp.topic) {
            if let Some(set) = topic.get_mut(&pair) {
                set.remove(tp);
                if set.is_empty() {
                    topic.remove(&pair);
                }
            }
            if topic.is_empty() {
                self.by_topic.remove(&tp.topic);
            }
        }
        Some(pair)
    }

    fn add_record(&mut self, tp: &TopicPartition, pair: (usize, usize)) {
        self.of.insert(tp.clone(), pair);
        self.by_topic
            .entry(tp.topic.clone())
            .or_default()
            .entry(pair)
            .or_default()
            .insert(tp.clone());
    }

    fn record_move(&mut self, tp: &TopicPartition, from: usize, to: usize) {
        if self.of.contains_key(tp) {
            if let Some((source, _)) = self.remove_record(tp)
                && source != to
            {
                self.add_record(tp, (source, to));
            }
        } else {
            self.add_record(tp, (from, to));
        }
    }

    /// `getTheActualPartitionToBeMoved`: moving `tp` from `from` to `to`, a partition of the
    /// same topic that earlier moved from `to` to `from` goes back instead.
    fn actual_partition(&self, tp: &TopicPartition, from: usize, to: usize) -> TopicPartition {
        let Some(topic) = self.by_topic.get(&tp.topic) else {
            return tp.clone();
        };
        let from = self.of.get(tp).map_or(from, |&(source, _)| source);
        topic
            .get(&(to, from))
            .and_then(JavaHashSet::first)
            .cloned()
            .unwrap_or_else(|| tp.clone())
    }
}

/// The `GeneralAssignmentBuilder`: subscriptions differ.
struct General<'a> {
    members: &'a [Member<'a>],
    partitions: &'a BTreeMap<String, u32>,
    /// The highest generation any member's claims came from.
    max_generation: i32,
    total: usize,
    /// Each topic's potential consumers, by member index.
    consumers_of: BTreeMap<&'a str, Vec<usize>>,
    /// Each member's subscribed topics that have partitions.
    topics_of: Vec<Vec<&'a str>>,
    /// `None` while a member is set aside as unable to take part in reassignment.
    current: Vec<Option<Vec<TopicPartition>>>,
    owner: HashMap<TopicPartition, usize>,
    /// `sortedCurrentSubscriptions`: (partitions held, member-id rank).
    sorted: BTreeSet<(usize, usize)>,
    rank: Vec<usize>,
    by_rank: Vec<usize>,
    revocation_required: bool,
    movements: Movements,
    checks: u64,
}

impl<'a> General<'a> {
    fn new(
        members: &'a [Member<'a>],
        partitions: &'a BTreeMap<String, u32>,
        order: &[usize],
        owned: Vec<Vec<TopicPartition>>,
        max_generation: i32,
    ) -> Self {
        let mut consumers_of: BTreeMap<&str, Vec<usize>> = partitions
            .keys()
            .map(|t| (t.as_str(), Vec::new()))
            .collect();
        let mut topics_of = vec![Vec::new(); members.len()];
        for &i in order {
            for t in members[i].topics {
                if let Some(list) = consumers_of.get_mut(t.as_str()) {
                    list.push(i);
                    topics_of[i].push(t.as_str());
                }
            }
        }
        let holder_of = owned
            .iter()
            .enumerate()
            .flat_map(|(i, tps)| tps.iter().map(move |tp| (tp.clone(), i)))
            .collect();
        let mut by_rank: Vec<usize> = (0..members.len()).collect();
        by_rank.sort_by(|a, b| members[*a].id.cmp(members[*b].id));
        let mut rank = vec![0; members.len()];
        for (r, &i) in by_rank.iter().enumerate() {
            rank[i] = r;
        }
        General {
            members,
            partitions,
            max_generation,
            total: partitions.values().map(|&n| n as usize).sum(),
            consumers_of,
            topics_of,
            current: owned.into_iter().map(Some).collect(),
            owner: holder_of,
            sorted: BTreeSet::new(),
            rank,
            by_rank,
            revocation_required: false,
            movements: Movements::default(),
            checks: 0,
        }
    }

    fn held(&self, i: usize) -> usize {
        self.current[i].as_ref().map_or(0, Vec::len)
    }

    fn key(&self, i: usize) -> (usize, usize) {
        (self.held(i), self.rank[i])
    }

    /// Members in `sortedCurrentSubscriptions` order.
    fn sorted_members(&self) -> Vec<usize> {
        self.sorted.iter().map(|&(_, r)| self.by_rank[r]).collect()
    }

    fn count(&self, topic: &str) -> u32 {
        self.partitions.get(topic).copied().unwrap_or(0)
    }

    fn build(mut self) -> Vec<Vec<TopicPartition>> {
        let previous = self.previous_owners();
        // assignOwnedPartitions: drop claims on topics the member no longer subscribes to.
        let mut assigned: HashSet<TopicPartition> = HashSet::new();
        for i in 0..self.members.len() {
            let topics = self.members[i].topics;
            if let Some(list) = self.current[i].as_mut() {
                let before = list.len();
                list.retain(|tp| topics.contains(&tp.topic));
                if list.len() != before {
                    self.revocation_required = true;
                }
                assigned.extend(list.iter().cloned());
            }
        }
        // Topics by how few members can take them, then by name: the hardest first.
        let mut sorted_topics: Vec<&str> = self.consumers_of.keys().copied().collect();
        sorted_topics.sort_by_key(|t| (self.consumers_of[t].len(), *t));
        let mut sorted_all: Vec<TopicPartition> = sorted_topics
            .iter()
            .flat_map(|t| (0..self.count(t)).map(move |p| TopicPartition::new(t, p)))
            .collect();
        let mut unassigned: Vec<TopicPartition> = sorted_all
            .iter()
            .filter(|tp| !assigned.contains(*tp))
            .cloned()
            .collect();
        for i in 0..self.members.len() {
            self.sorted.insert(self.key(i));
        }
        self.balance(&previous, &mut unassigned, &mut sorted_all);
        self.current
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect()
    }

    /// `prepopulateCurrentAssignments`: the owners of earlier generations, for moves back.
    fn previous_owners(&self) -> HashMap<TopicPartition, (usize, i32)> {
        let mut previous: HashMap<TopicPartition, (usize, i32)> = HashMap::new();
        let max = self.max_generation;
        for (i, m) in self.members.iter().enumerate() {
            let generation = match m.generation {
                Some(g) if g < max => g,
                None if max > NO_GENERATION => NO_GENERATION,
                _ => continue,
            };
            for tp in &m.owned {
                let replace = previous.get(tp).is_none_or(|&(_, g)| generation > g);
                if replace {
                    previous.insert(tp.clone(), (i, generation));
                }
            }
        }
        previous
    }

    fn balance(
        &mut self,
        previous: &HashMap<TopicPartition, (usize, i32)>,
        unassigned: &mut Vec<TopicPartition>,
        sorted_all: &mut Vec<TopicPartition>,
    ) {
        let initializing = self.sorted.last().is_none_or(|&(held, _)| held == 0);
        // maybeAssign: each unassigned partition to the least loaded member that can take it.
        for tp in unassigned.iter() {
            let taker = self
                .sorted_members()
                .into_iter()
                .find(|&i| self.topics_of[i].contains(&tp.topic.as_str()));
            if let Some(i) = taker {
                self.sorted.remove(&self.key(i));
                if let Some(list) = self.current[i].as_mut() {
                    list.push(tp.clone());
                }
                self.owner.insert(tp.clone(), i);
                self.sorted.insert(self.key(i));
            }
        }
        // Partitions of topics only one member can take stay where they are.
        let fixed_topics: BTreeSet<&str> = self
            .consumers_of
            .iter()
            .filter(|(_, c)| c.len() < 2)
            .map(|(t, _)| *t)
            .collect();
        sorted_all.retain(|tp| !fixed_topics.contains(tp.topic.as_str()));
        unassigned.retain(|tp| !fixed_topics.contains(tp.topic.as_str()));
        // So do members that cannot take part.
        let mut fixed_members = Vec::new();
        for i in 0..self.members.len() {
            if !self.can_participate(i) {
                self.sorted.remove(&self.key(i));
                fixed_members.push((i, self.current[i].take()));
            }
        }
        let before = self.current.clone();
        let before_owner = self.owner.clone();
        if !self.revocation_required {
            self.reassign(unassigned, previous);
        }
        let performed = self.reassign(sorted_all, previous);
        if !initializing && performed && balance_score(&self.current) >= balance_score(&before) {
            self.current = before;
            self.owner = before_owner;
        }
        for (i, list) in fixed_members {
            self.current[i] = list;
        }
    }

    fn max_size(&self, topics: &[&str]) -> usize {
        if topics.len() == self.partitions.len() {
            self.total
        } else {
            topics.iter().map(|t| self.count(t) as usize).sum()
        }
    }

    fn can_participate(&self, i: usize) -> bool {
        let held = self.held(i);
        if held < self.max_size(&self.topics_of[i]) {
            return true;
        }
        self.current[i].iter().flatten().any(|tp| {
            self.consumers_of
                .get(tp.topic.as_str())
                .is_some_and(|c| c.len() >= 2)
        })
    }

    /// `isBalanced`.
    fn is_balanced(&mut self) -> bool {
        let (Some(&(min, _)), Some(&(max, _))) = (self.sorted.first(), self.sorted.last()) else {
            return true;
        };
        if min + 1 >= max {
            return true;
        }
        for i in self.sorted_members() {
            let held = self.held(i);
            if held == self.max_size(&self.topics_of[i]) {
                continue;
            }
            for topic in &self.topics_of[i] {
                for p in 0..self.count(topic) {
                    self.checks += 1;
                    let tp = TopicPartition::new(topic, p);
                    if self.current[i].as_ref().is_some_and(|l| l.contains(&tp)) {
                        continue;
                    }
                    let other = self.owner.get(&tp).copied();
                    if other.is_some_and(|o| self.current[o].is_some() && held + 1 < self.held(o)) {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// `performReassignments`: whether any partition moved.
    fn reassign(
        &mut self,
        partitions: &[TopicPartition],
        previous: &HashMap<TopicPartition, (usize, i32)>,
    ) -> bool {
        let mut performed = false;
        loop {
            let mut modified = false;
            for tp in partitions {
                if self.checks > BALANCE_CHECKS_MAX || self.is_balanced() {
                    break;
                }
                let Some(&holder) = self.owner.get(tp) else {
                    continue;
                };
                if let Some(&(earlier, _)) = previous.get(tp)
                    && self.current[earlier].is_some()
                    && self.held(holder) > self.held(earlier) + 1
                {
                    self.move_partition(tp, earlier);
                    performed = true;
                    modified = true;
                    continue;
                }
                let topic = tp.topic.as_str();
                let overloaded = self.consumers_of.get(topic).is_some_and(|others| {
                    others
                        .iter()
                        .any(|&o| self.current[o].is_some() && self.held(holder) > self.held(o) + 1)
                });
                if overloaded {
                    let taker = self
                        .sorted_members()
                        .into_iter()
                        .find(|&i| self.topics_of[i].contains(&topic));
                    if let Some(to) = taker {
                        self.move_partition(tp, to);
                        performed = true;
                        modified = true;
                    }
                }
            }
            if !modified {
                return performed;
            }
        }
    }

    /// `reassignPartition(partition, newConsumer)` and `processPartitionMovement`.
    fn move_partition(&mut self, tp: &TopicPartition, to: usize) {
        let Some(&from) = self.owner.get(tp) else {
            return;
        };
        let tp = self.movements.actual_partition(tp, from, to);
        let Some(&old) = self.owner.get(&tp) else {
            return;
        };
        self.sorted.remove(&self.key(old));
        self.sorted.remove(&self.key(to));
        self.movements.record_move(&tp, old, to);
        if let Some(list) = self.current[old].as_mut()
            && let Some(at) = list.iter().position(|t| *t == tp)
        {
            list.remove(at);
        }
        if let Some(list) = self.current[to].as_mut() {
            list.push(tp.clone());
        }
        self.owner.insert(tp, to);
        self.sorted.insert(self.key(to));
        self.sorted.insert(self.key(old));
    }
}

/// `getBalanceScore`: the sum over pairs of members of the difference in partitions held
/// (members set aside count as absent).
fn balance_score(assignment: &[Option<Vec<TopicPartition>>]) -> usize {
    let sizes: Vec<usize> = assignment.iter().flatten().map(Vec::len).collect();
    let mut score = 0;
    for (i, a) in sizes.iter().enumerate() {
        for b in &sizes[i + 1..] {
            score += a.abs_diff(*b);
        }
    }
    score
}
