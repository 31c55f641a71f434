//! The Kafka labs: each one's tempting wrong fix does not pass, and fails for the reason the
//! lab teaches (the generic checks, no commands fails and the solution passes, are in
//! `labs.rs`).

use crate::labs::{describe, run_script};
use streamdrill::labs::{Outcome, Verdict};

/// The outcome of the predicate reading `metric`.
fn outcome<'a>(v: &'a Verdict, metric: &str) -> &'a Outcome {
    v.predicates
        .iter()
        .find(|o| o.metric == metric)
        .unwrap_or_else(|| panic!("no predicate on {metric}:\n{}", describe(v)))
}

/// Every learner command was allowed and the engine took it.
fn all_accepted(v: &Verdict) {
    assert!(
        v.actions
            .iter()
            .all(|a| a.allowed && a.reply.get("Error").is_none()),
        "{}",
        describe(v)
    );
    assert!(v.schedule_errors.is_empty(), "{}", describe(v));
}

#[test]
fn producer_restart_more_retries_with_acks_1_still_loses_acknowledged_orders() {
    let v = run_script(
        "kafka-producer-broker-restart",
        "at 1m: producer configure checkout --config retries=2147483647 --config delivery.timeout.ms=120000\n",
    );
    all_accepted(&v);
    assert!(!v.passed, "{}", describe(&v));
    // Retries cure the failed sends...
    assert!(
        outcome(&v, "Producer.RecordsFailed").met,
        "{}",
        describe(&v)
    );
    // ...but acks=1 acknowledged records only the crashed leader had.
    let lost = outcome(&v, "Producer.AckedRecordsLost");
    assert!(!lost.met && lost.value > 0.0, "{}", describe(&v));
}

#[test]
fn isr_lowering_min_insync_unblocks_the_ledger_but_leaves_partitions_under_replicated() {
    let v = run_script(
        "kafka-isr-shrinkage",
        "at 150s: kafka-configs --alter --entity-type topics --entity-name payments --add-config min.insync.replicas=1\n",
    );
    all_accepted(&v);
    assert!(!v.passed, "{}", describe(&v));
    assert!(
        outcome(&v, "Producer.RecordsFailed").met,
        "{}",
        describe(&v)
    );
    // The followers are still behind: acknowledged payments sit on one disk.
    let urp = outcome(&v, "UnderReplicatedPartitions");
    assert!(!urp.met && urp.value > 0.0, "{}", describe(&v));
}

#[test]
fn isr_raising_replica_lag_time_does_not_unblock_the_ledger() {
    let v = run_script(
        "kafka-isr-shrinkage",
        "at 150s: kafka-configs --alter --entity-type brokers --entity-default --add-config replica.lag.time.max.ms=120000\n",
    );
    all_accepted(&v);
    assert!(!v.passed, "{}", describe(&v));
    // The followers never catch up, so acks=all writes still time out.
    let failed = outcome(&v, "Producer.RecordsFailed");
    assert!(!failed.met && failed.value > 0.0, "{}", describe(&v));
    assert!(
        !outcome(&v, "UnderReplicatedPartitions").met,
        "{}",
        describe(&v)
    );
}

#[test]
fn isr_faster_disks_also_pass() {
    let v = run_script(
        "kafka-isr-shrinkage",
        "at 150s: kafka-configs --alter --entity-type brokers --entity-default --add-config sim.disk.bytes.per.second=40000000\n",
    );
    all_accepted(&v);
    assert!(v.passed, "{}", describe(&v));
}

#[test]
fn rebalance_storm_a_longer_session_timeout_does_not_shorten_the_pauses() {
    let v = run_script(
        "kafka-rebalance-storm",
        "at 30s: consumer configure --group billing --config session.timeout.ms=120000\n",
    );
    all_accepted(&v);
    assert!(!v.passed, "{}", describe(&v));
    // The restarted pod rejoins at once: each cycle is still an eager stop-the-world.
    let pause = outcome(&v, "Group.PartitionPauseMillis");
    assert!(!pause.met && pause.value > 300_000.0, "{}", describe(&v));
}

#[test]
fn compaction_more_cleaner_threads_behind_the_throttle_do_not_clean_faster() {
    let v = run_script(
        "kafka-compaction-lag",
        "at 1m: kafka-configs --alter --entity-type brokers --entity-default --add-config log.cleaner.threads=4\n",
    );
    all_accepted(&v);
    assert!(!v.passed, "{}", describe(&v));
    // io.max caps all threads together: still far behind.
    let dirty = outcome(&v, "Cleaner.DirtyBytes");
    assert!(
        !dirty.met && dirty.value > 200_000_000.0,
        "{}",
        describe(&v)
    );
}

#[test]
fn compaction_a_lower_dirty_ratio_does_not_clean_faster() {
    let v = run_script(
        "kafka-compaction-lag",
        "at 1m: kafka-configs --alter --entity-type topics --entity-name profile-changelog --add-config min.cleanable.dirty.ratio=0.01\n",
    );
    all_accepted(&v);
    assert!(!v.passed, "{}", describe(&v));
    let dirty = outcome(&v, "Cleaner.DirtyBytes");
    assert!(
        !dirty.met && dirty.value > 200_000_000.0,
        "{}",
        describe(&v)
    );
}

#[test]
fn zookeeper_quorum_loss_restarting_brokers_does_not_bring_writes_back() {
    let v = run_script(
        "kafka-zookeeper-quorum-loss",
        "at 150s: broker stop 1\nbroker start 1\nbroker stop 2\nbroker start 2\n",
    );
    all_accepted(&v);
    assert!(!v.passed, "{}", describe(&v));
    // No quorum, no elections and no ISR shrink: every acks=all write waits for broker 3.
    let failed = outcome(&v, "Producer.RecordsFailed");
    assert!(!failed.met && failed.value > 10_000.0, "{}", describe(&v));
    assert!(
        !outcome(&v, "Producer.RecordsAcked").met,
        "{}",
        describe(&v)
    );
}

#[test]
fn rebalance_storm_static_membership_also_passes_with_far_less_pause() {
    let cooperative = run_script(
        "kafka-rebalance-storm",
        "at 30s: consumer configure --group billing --config partition.assignment.strategy=cooperative-sticky\n",
    );
    let fixed = run_script(
        "kafka-rebalance-storm",
        "at 30s: consumer configure --group billing --config group.instance.id={member}\n",
    );
    assert!(fixed.passed, "{}", describe(&fixed));
    assert!(
        fixed.predicates[0].value * 2.0 < cooperative.predicates[0].value,
        "a restarted static member takes its old place without a rebalance: {} vs {}",
        describe(&fixed),
        describe(&cooperative)
    );
}

#[test]
fn controller_failover_more_retries_do_not_shrink_the_window() {
    let v = run_script(
        "kafka-controller-failover",
        "at 10s: producer configure checkout --config retries=2147483647 --config retry.backoff.ms=50\n",
    );
    all_accepted(&v);
    assert!(!v.passed, "{}", describe(&v));
    // The new controller still loads 4,006 partitions: broker 1's records wait out the
    // 30 s delivery timeout, retries or not.
    let failed = outcome(&v, "Producer.RecordsFailed");
    assert!(!failed.met && failed.value > 1_000.0, "{}", describe(&v));
}

#[test]
fn controller_failover_a_shorter_session_timeout_alone_leaves_the_loading() {
    let v = run_script(
        "kafka-controller-failover",
        "at 10s: kafka-configs --alter --entity-type brokers --entity-default --add-config zookeeper.session.timeout.ms=6000\n",
    );
    all_accepted(&v);
    assert!(!v.passed, "{}", describe(&v));
    let failed = outcome(&v, "Producer.RecordsFailed");
    assert!(!failed.met && failed.value > 1_000.0, "{}", describe(&v));
}

#[test]
fn adding_partitions_in_place_breaks_per_key_order() {
    let v = run_script(
        "kafka-adding-partitions",
        "at 30s: kafka-topics --alter --topic orders --partitions 6\n",
    );
    all_accepted(&v);
    assert!(!v.passed, "{}", describe(&v));
    // The group catches up...
    assert!(outcome(&v, "Consumer.RecordsLag").met, "{}", describe(&v));
    // ...but keys that moved were read from their new partition before their backlog.
    let order = outcome(&v, "Consumer.KeyOrderViolations");
    assert!(!order.met && order.value > 100.0, "{}", describe(&v));
}

/// `processor configure --name enrich --guarantee G` at each time.
fn enrich_configures(guarantee: &str, times: &[&str]) -> String {
    times
        .iter()
        .map(|t| format!("at {t}: processor configure --name enrich --guarantee {guarantee}\n"))
        .collect::<Vec<_>>()
        .concat()
}

/// Before the first crash and right after each of the schedule's restarts.
const AFTER_EACH_RESTART: &[&str] = &["10s", "32s", "62s", "92s"];

#[test]
fn exactly_once_switching_to_at_most_once_loses_payments() {
    let v = run_script(
        "kafka-exactly-once",
        &enrich_configures("at-most-once", AFTER_EACH_RESTART),
    );
    all_accepted(&v);
    assert!(!v.passed, "{}", describe(&v));
    // No duplicates: offsets are committed before the outputs are written...
    assert!(
        outcome(&v, "Processor.DuplicateOutputs").met,
        "{}",
        describe(&v)
    );
    // ...so what a crash caught between reading and writing is never written.
    let missing = outcome(&v, "Processor.MissingOutputs");
    assert!(!missing.met && missing.value > 0.0, "{}", describe(&v));
}

#[test]
fn exactly_once_configured_after_the_first_crash_still_books_that_crash_twice() {
    // The first crash (t=30s) happens under at-least-once: the outputs written since the last
    // commit are written again, and a later switch cannot take them back.
    let v = run_script(
        "kafka-exactly-once",
        &enrich_configures("exactly-once", &["40s"]),
    );
    all_accepted(&v);
    assert!(!v.passed, "{}", describe(&v));
    let dup = outcome(&v, "Processor.DuplicateOutputs");
    assert!(!dup.met && dup.value > 100.0, "{}", describe(&v));
    assert!(
        outcome(&v, "Processor.MissingOutputs").met,
        "{}",
        describe(&v)
    );
}

const REPLAY_FROM_EARLIEST: &str = "at 7m: consumer stop --group etl --member etl-1
at 7m: consumer stop --group etl --member etl-2
at 7m: kafka-consumer-groups --reset-offsets --group etl --topic events --to-earliest --execute
at 7m: consumer start --group etl --member etl-1 --topic events --rate 1000/s --config auto.offset.reset=earliest
at 7m: consumer start --group etl --member etl-2 --topic events --rate 1000/s --config auto.offset.reset=earliest
";

#[test]
fn replay_from_earliest_re_reads_far_more_than_the_window() {
    let v = run_script("kafka-replay-backfill", REPLAY_FROM_EARLIEST);
    all_accepted(&v);
    assert!(!v.passed, "{}", describe(&v));
    // Everything retained at t=7m (7 minutes at 200/s) is read again.
    let within = &v.predicates[1];
    assert!(!within.met && within.value > 80_000.0, "{}", describe(&v));
    assert!(v.predicates[0].met, "{}", describe(&v));
}

#[test]
fn replay_resetting_a_running_group_is_refused_and_replays_nothing() {
    let v = run_script(
        "kafka-replay-backfill",
        "at 7m: kafka-consumer-groups --reset-offsets --group etl --topic events --to-datetime 2026-01-01T00:04:00Z --execute\n",
    );
    let error = v.actions[0].reply["Error"]["Code"].as_str();
    assert_eq!(error, Some("NON_EMPTY_GROUP"), "{}", describe(&v));
    assert!(!v.passed, "{}", describe(&v));
    assert!(v.predicates[0].value < 0.5, "{}", describe(&v));
}
