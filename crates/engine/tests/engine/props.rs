//! Property tests over random workloads and reshard schedules.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::BTreeMap;
use streamdrill_engine::kinesis::kcl::{Checkpoint, KclConfig};
use streamdrill_engine::kinesis::{
    IteratorType, MAX_HASH_KEY, PutRequest, StreamMode, parse_sequence_number, shard_id,
};
use streamdrill_engine::sim::Sim;
use streamdrill_engine::time::{MICROS_PER_SEC, SimDuration, SimTime};

/// A reshard step, resolved against the open shards when it runs.
#[derive(Clone, Debug)]
enum Op {
    Split {
        pick: usize,
        frac: u64,
    },
    Merge {
        pick: usize,
    },
    Update {
        pick: u32,
    },
    /// Deliberately invalid: split or merge a closed shard.
    Closed {
        pick: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<usize>(), 1u64..1_000).prop_map(|(pick, frac)| Op::Split { pick, frac }),
        3 => any::<usize>().prop_map(|pick| Op::Merge { pick }),
        1 => any::<u32>().prop_map(|pick| Op::Update { pick }),
        1 => any::<usize>().prop_map(|pick| Op::Closed { pick }),
    ]
}

/// Applies `op` to stream `s` (errors from invalid requests are expected and ignored).
fn apply(sim: &mut Sim, op: &Op) {
    let now = sim.now();
    let s = sim.kinesis.stream("s").unwrap();
    let open: Vec<u32> = s.open_shards().to_vec();
    match *op {
        Op::Split { pick, frac } => {
            let sh = &s.shards[open[pick % open.len()] as usize];
            let width = sh.end - sh.start;
            if width < 2 {
                return;
            }
            let at = sh.start + 1 + (width - 1) / 1_000 * u128::from(frac);
            let id = sh.id();
            sim.kinesis
                .split_shard("s", &id, &at.to_string(), now)
                .unwrap();
        }
        Op::Merge { pick } => {
            if open.len() < 2 {
                return;
            }
            let i = pick % (open.len() - 1);
            let (a, b) = (shard_id(open[i]), shard_id(open[i + 1]));
            sim.kinesis.merge_shards("s", &a, &b, now).unwrap();
        }
        Op::Update { pick } => {
            let n = open.len() as u32;
            let lo = n.div_ceil(2);
            let target = lo + pick % (2 * n - lo + 1);
            if n > 40 && target > n {
                return;
            }
            sim.kinesis.update_shard_count("s", target, now).unwrap();
        }
        Op::Closed { pick } => {
            let closed: Vec<u32> = s
                .shards
                .iter()
                .filter(|x| !x.is_open())
                .map(|x| x.index)
                .collect();
            if closed.is_empty() {
                return;
            }
            let id = shard_id(closed[pick % closed.len()]);
            let sh = &s.shards[closed[pick % closed.len()] as usize];
            let mid = (sh.start + (sh.end - sh.start) / 2 + 1).to_string();
            assert!(sim.kinesis.split_shard("s", &id, &mid, now).is_err());
            let other = shard_id(open[0]);
            assert!(sim.kinesis.merge_shards("s", &id, &other, now).is_err());
        }
    }
}

fn assert_tiles(sim: &Sim) {
    let s = sim.kinesis.stream("s").unwrap();
    let open = s.open_shards();
    let first = &s.shards[open[0] as usize];
    assert_eq!(first.start, 0);
    assert_eq!(s.shards[*open.last().unwrap() as usize].end, MAX_HASH_KEY);
    for w in open.windows(2) {
        let (a, b) = (&s.shards[w[0] as usize], &s.shards[w[1] as usize]);
        assert!(a.start <= a.end);
        assert_eq!(
            a.end + 1,
            b.start,
            "gap or overlap between {} and {}",
            a.id(),
            b.id()
        );
    }
}

type Step = (Option<Op>, Vec<usize>, u64);

fn kcl_order_case(steps: &[Step], workers: usize) -> Result<(), TestCaseError> {
    let mut sim = new_sim(4, 2);
    let cfg = KclConfig {
        poll_interval: SimDuration::from_millis(500),
        failover: SimDuration::from_secs(3),
        max_records: 4,
        ..KclConfig::default()
    };
    for w in 0..workers {
        sim.kcl_start("app", "s", &format!("w{w}"), Some(cfg.clone()))
            .unwrap();
    }
    // (shard, counter) -> (key, index of the write for that key)
    let mut written: BTreeMap<(u32, u64), (usize, usize)> = BTreeMap::new();
    let mut per_key = [0usize; 12];
    for (reshard, keys, dt_ms) in steps {
        if let Some(op) = reshard
            && sim.kinesis.stream("s").unwrap().status().name() == "ACTIVE"
        {
            apply(&mut sim, op);
        }
        for &k in keys {
            let now = sim.now();
            let req = PutRequest::new(format!("key{k}"), format!("{k}:{}", per_key[k]));
            if let Ok((shard, seq)) = sim.kinesis.put_record("s", &req, now, &mut sim.faults) {
                let (_, counter) = parse_sequence_number(&seq).unwrap();
                written.insert((shard, counter), (k, per_key[k]));
                per_key[k] += 1;
            }
        }
        sim.advance(SimDuration::from_millis(*dt_ms)).unwrap();
    }
    sim.advance(SimDuration::from_secs(600)).unwrap();
    let app = &sim.kcl["app"];
    let mut next = [0usize; 12];
    for p in app.processed.iter().filter(|p| !p.again) {
        let (k, i) = written[&(p.shard, p.counter)];
        prop_assert_eq!(i, next[k], "key{} out of order at {:?}", k, p);
        next[k] += 1;
    }
    prop_assert_eq!(next, per_key, "every record processed");
    Ok(())
}

/// Found by the property above: a merge child whose other parent's lease did not exist yet was
/// processed before that parent.
#[test]
fn kcl_regression_merge_child_waits_for_untracked_parent() {
    let k = |v: &[usize]| v.to_vec();
    let steps: Vec<Step> = vec![
        (
            Some(Op::Merge { pick: 13 }),
            k(&[1, 9, 5, 4, 0, 7, 0, 3, 11, 3, 10, 3, 1, 1, 6, 0, 10, 8, 11]),
            364,
        ),
        (
            None,
            k(&[5, 5, 3, 0, 1, 6, 10, 2, 5, 6, 3, 9, 3, 5, 1, 2, 8, 1]),
            1222,
        ),
        (
            Some(Op::Split {
                pick: 3_698_849_821_022_233_665,
                frac: 811,
            }),
            k(&[10, 7, 1, 5, 0, 9, 9, 5, 7, 10, 11, 11, 11, 2, 5, 10, 9, 5]),
            1923,
        ),
        (None, k(&[9, 2, 11, 4, 2, 11, 5, 3, 3, 6, 4, 2]), 1443),
        (
            None,
            k(&[1, 7, 10, 5, 6, 9, 4, 11, 11, 1, 2, 2, 1, 9, 0, 10, 1, 0, 11]),
            1943,
        ),
        (
            Some(Op::Update {
                pick: 3_022_914_401,
            }),
            k(&[2, 6, 10, 10, 4, 2, 1, 7, 5, 0, 0, 0, 5, 10, 11, 8, 2]),
            1244,
        ),
        (
            None,
            k(&[
                2, 10, 8, 7, 10, 5, 6, 0, 3, 1, 3, 11, 11, 9, 10, 10, 1, 8, 3, 3, 1, 11, 11, 0,
            ]),
            1837,
        ),
    ];
    kcl_order_case(&steps, 3).unwrap();
}

fn new_sim(seed: u64, shards: u32) -> Sim {
    let mut sim = Sim::new(seed);
    sim.kinesis.reshard_delay = SimDuration::from_secs(1);
    sim.kinesis
        .create_stream("s", Some(shards), StreamMode::Provisioned, SimTime::ZERO)
        .unwrap();
    sim
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn open_shards_tile_the_key_space_and_every_key_has_one_shard(
        start in 1u32..12,
        ops in prop::collection::vec(op(), 1..25),
        keys in prop::collection::vec(any::<u128>(), 20),
    ) {
        let mut sim = new_sim(1, start);
        for op in &ops {
            apply(&mut sim, op);
            // While UPDATING a second reshard is refused.
            if sim.kinesis.stream("s").unwrap().status().name() == "UPDATING" {
                let id = shard_id(sim.kinesis.stream("s").unwrap().open_shards()[0]);
                prop_assert!(sim.kinesis.split_shard("s", &id, "1", sim.now()).is_err());
            }
            sim.advance(SimDuration::from_secs(2)).unwrap();
            assert_tiles(&sim);
            let s = sim.kinesis.stream("s").unwrap();
            for k in keys.iter().copied().chain([0, MAX_HASH_KEY]) {
                let holders: Vec<u32> = s.open_shards().iter().copied().filter(|&i| s.shards[i as usize].contains(k)).collect();
                prop_assert_eq!(holders.len(), 1);
                prop_assert_eq!(holders[0], s.shard_for_hash(k));
            }
            // Lineage: every child's parents are closed and cover exactly the child's range.
            for sh in s.shards.iter().filter(|x| x.parent.is_some()) {
                let p = &s.shards[sh.parent.unwrap() as usize];
                prop_assert!(p.closed.is_some());
                match sh.adjacent_parent {
                    None => prop_assert!(p.start <= sh.start && sh.end <= p.end),
                    Some(a) => {
                        let a = &s.shards[a as usize];
                        prop_assert_eq!(p.start.min(a.start), sh.start);
                        prop_assert_eq!(p.end.max(a.end), sh.end);
                    }
                }
            }
        }
    }

    #[test]
    fn accepted_writes_never_exceed_limits_in_any_one_second_window(
        puts in prop::collection::vec((0u64..3_000_000, 0usize..6, 0usize..40_000), 1..2_500),
    ) {
        let mut sim = new_sim(2, 2);
        let mut puts = puts;
        puts.sort_by_key(|p| p.0);
        let mut accepted: BTreeMap<u32, Vec<(u64, u64)>> = BTreeMap::new();
        for (t, key, size) in puts {
            let req = PutRequest::new(format!("k{key}"), vec![b'x'; size]);
            let bytes = size as u64 + req.partition_key.len() as u64;
            if let Ok((shard, _)) = sim.kinesis.put_record("s", &req, SimTime(t), &mut sim.faults) {
                accepted.entry(shard).or_default().push((t, bytes));
            }
        }
        for list in accepted.values() {
            let (mut lo, mut recs, mut bytes) = (0usize, 0u64, 0u64);
            for (hi, &(t, b)) in list.iter().enumerate() {
                recs += 1;
                bytes += b;
                while list[lo].0 + MICROS_PER_SEC <= t {
                    recs -= 1;
                    bytes -= list[lo].1;
                    lo += 1;
                }
                prop_assert!(recs <= 1_000, "records in window ending at {t}: {recs} ({hi})");
                prop_assert!(bytes <= 1_048_576, "bytes in window ending at {t}: {bytes}");
            }
        }
    }

    #[test]
    fn order_within_a_shard_is_kept(
        puts in prop::collection::vec((0usize..30, 1u64..50_000), 1..400),
        split_after in 0usize..400,
    ) {
        let mut sim = new_sim(3, 3);
        let mut expected: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        for (i, (key, dt)) in puts.iter().enumerate() {
            if i == split_after {
                apply(&mut sim, &Op::Split { pick: 1, frac: 500 });
            }
            sim.advance(SimDuration(*dt)).unwrap();
            let data = format!("{i}");
            let now = sim.now();
            if let Ok((shard, _)) = sim.kinesis.put_record("s", &PutRequest::new(format!("k{key}"), data.clone()), now, &mut sim.faults) {
                expected.entry(shard).or_default().push(data);
            }
        }
        for (shard, want) in expected {
            let now = sim.now();
            let mut it = sim.kinesis.get_shard_iterator("s", &shard_id(shard), IteratorType::TrimHorizon, now).unwrap();
            let mut got = Vec::new();
            let mut last_seq = String::new();
            for _ in 0..10 {
                sim.advance(SimDuration::from_secs(1)).unwrap();
                let out = sim.kinesis.get_records(&it, Some(100), sim.now(), &mut sim.faults).unwrap();
                for r in &out.records {
                    let seq = streamdrill_engine::kinesis::sequence_number(&sim.kinesis.stream("s").unwrap().shards[shard as usize], r.counter);
                    prop_assert!(seq > last_seq);
                    last_seq = seq;
                    got.push(String::from_utf8(r.data.clone().unwrap().to_vec()).unwrap());
                }
                match out.next_iterator { Some(n) => it = n, None => break }
                if got.len() == want.len() { break; }
            }
            prop_assert_eq!(got, want);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// A KCL consumer that processes parents before children sees each key's records in the
    /// order they were written, across splits and merges, and every record at least once.
    #[test]
    fn kcl_sees_each_key_in_order_across_resharding(
        steps in prop::collection::vec((prop::option::weighted(0.2, op()), prop::collection::vec(0usize..12, 0..30), 100u64..2_500), 1..30),
        workers in 1usize..4,
    ) {
        kcl_order_case(&steps, workers)?;
    }

    /// A worker restart reprocesses exactly the records after its last checkpoint.
    #[test]
    fn restart_reprocesses_exactly_after_the_checkpoint(
        every in 1u64..40,
        batches in prop::collection::vec((prop::collection::vec(0usize..20, 0..40), 100u64..1_500), 1..20),
        kill_after in 1usize..20,
    ) {
        let mut sim = new_sim(5, 3);
        let cfg = KclConfig { poll_interval: SimDuration::from_millis(250), checkpoint_every: every, max_records: 7, ..KclConfig::default() };
        sim.kcl_start("app", "s", "w", Some(cfg)).unwrap();
        let mut killed = None;
        for (i, (keys, dt)) in batches.iter().enumerate() {
            for &k in keys {
                let now = sim.now();
                let _ = sim.kinesis.put_record("s", &PutRequest::new(format!("k{k}"), "x"), now, &mut sim.faults);
            }
            sim.advance(SimDuration::from_millis(*dt)).unwrap();
            if i + 1 == kill_after.min(batches.len()) {
                sim.kcl_kill("app", "w").unwrap();
                let app = &sim.kcl["app"];
                let mut state: BTreeMap<u32, (Option<u64>, Option<u64>)> = BTreeMap::new();
                for l in app.leases.values() {
                    let cp = match l.checkpoint { Checkpoint::Sequence(c) => Some(c), _ => None };
                    let hw = app.processed.iter().filter(|p| p.shard == l.shard).map(|p| p.counter).max();
                    state.insert(l.shard, (cp, hw));
                }
                killed = Some((state, app.processed.len()));
                sim.kcl_start("app", "s", "w", None).unwrap();
            }
        }
        sim.advance(SimDuration::from_secs(30)).unwrap();
        let (state, before) = killed.unwrap();
        let app = &sim.kcl["app"];
        for (shard, (cp, hw)) in state {
            let again: Vec<u64> = app.processed[before..].iter().filter(|p| p.shard == shard && p.again).map(|p| p.counter).collect();
            let expect: Vec<u64> = match hw {
                None => vec![],
                Some(hw) => {
                    let from = cp.map_or(0, |c| c + 1);
                    (from..=hw).collect()
                }
            };
            prop_assert_eq!(again, expect, "shard {}", shard);
        }
    }
}
