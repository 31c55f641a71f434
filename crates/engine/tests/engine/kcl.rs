//! KCL model scenarios: lease takeover one at a time, reprocessing after a restart.

use streamdrill_engine::kinesis::kcl::{Checkpoint, KclConfig};
use streamdrill_engine::kinesis::{PutRequest, StreamMode};
use streamdrill_engine::sim::Sim;
use streamdrill_engine::time::{SimDuration, SimTime};

fn owners(sim: &Sim) -> Vec<Option<String>> {
    sim.kcl["app"]
        .leases
        .values()
        .map(|l| l.owner.clone())
        .collect()
}

#[test]
fn dead_workers_leases_are_taken_one_by_one_after_expiry() {
    let mut sim = Sim::new(11);
    sim.kinesis
        .create_stream("s", Some(6), StreamMode::Provisioned, SimTime::ZERO)
        .unwrap();
    let cfg = KclConfig {
        failover: SimDuration::from_secs(10),
        ..KclConfig::default()
    };
    sim.kcl_start("app", "s", "a", Some(cfg)).unwrap();
    sim.advance(SimDuration::from_secs(1)).unwrap();
    sim.kcl_start("app", "s", "b", None).unwrap();
    sim.advance(SimDuration::from_secs(40)).unwrap();
    let held = |sim: &Sim, w: &str| {
        owners(sim)
            .iter()
            .filter(|o| o.as_deref() == Some(w))
            .count()
    };
    assert_eq!(
        (held(&sim, "a"), held(&sim, "b")),
        (3, 3),
        "balanced by stealing"
    );
    sim.kcl_kill("app", "a").unwrap();
    // Nothing moves before the leases expire (failover 10 s after the last renewal).
    sim.advance(SimDuration::from_secs(5)).unwrap();
    assert_eq!(held(&sim, "b"), 3);
    let mut counts = vec![];
    for _ in 0..6 {
        sim.advance(SimDuration::from_secs(10)).unwrap();
        counts.push(held(&sim, "b"));
    }
    assert_eq!(counts, vec![4, 5, 6, 6, 6, 6], "one lease per taking cycle");
    let log = &sim.kcl["app"].log;
    let killed = log
        .iter()
        .position(|l| l.ends_with("worker a killed"))
        .unwrap();
    assert_eq!(
        log[killed..]
            .iter()
            .filter(|l| l.contains("from worker a"))
            .count(),
        3
    );
}

#[test]
fn restart_resumes_from_checkpoint_and_reprocesses_the_rest() {
    let mut sim = Sim::new(12);
    sim.kinesis
        .create_stream("s", Some(1), StreamMode::Provisioned, SimTime::ZERO)
        .unwrap();
    for i in 0..25 {
        sim.kinesis
            .put_record(
                "s",
                &PutRequest::new("k", format!("{i}")),
                SimTime::ZERO,
                &mut sim.faults,
            )
            .unwrap();
    }
    let cfg = KclConfig {
        checkpoint_every: 10,
        max_records: 4,
        ..KclConfig::default()
    };
    sim.kcl_start("app", "s", "w", Some(cfg)).unwrap();
    // Four polls (one per second) process 16 records; the checkpoint is at the 12th (index 11).
    sim.advance(SimDuration::from_millis(3_500)).unwrap();
    assert_eq!(sim.kcl["app"].processed_total, 16);
    assert_eq!(
        sim.kcl["app"].leases[&0].checkpoint,
        Checkpoint::Sequence(11)
    );
    sim.kcl_kill("app", "w").unwrap();
    sim.kcl_start("app", "s", "w", None).unwrap();
    sim.advance(SimDuration::from_secs(20)).unwrap();
    let app = &sim.kcl["app"];
    let again: Vec<u64> = app
        .processed
        .iter()
        .filter(|p| p.again)
        .map(|p| p.counter)
        .collect();
    assert_eq!(again, vec![12, 13, 14, 15]);
    assert_eq!(app.reprocessed_total, 4);
    assert_eq!(app.processed_total, 25 + 4);
}

#[test]
fn latest_initial_position_skips_old_records() {
    let mut sim = Sim::new(13);
    sim.kinesis
        .create_stream("s", Some(2), StreamMode::Provisioned, SimTime::ZERO)
        .unwrap();
    sim.kinesis
        .put_record(
            "s",
            &PutRequest::new("old", "x"),
            SimTime::ZERO,
            &mut sim.faults,
        )
        .unwrap();
    let cfg = KclConfig {
        initial_position: streamdrill_engine::kinesis::kcl::InitialPosition::Latest,
        ..KclConfig::default()
    };
    sim.kcl_start("app", "s", "w", Some(cfg)).unwrap();
    sim.advance(SimDuration::from_secs(2)).unwrap();
    let now = sim.now();
    sim.kinesis
        .put_record("s", &PutRequest::new("new", "y"), now, &mut sim.faults)
        .unwrap();
    sim.advance(SimDuration::from_secs(3)).unwrap();
    let keys: Vec<&str> = sim.kcl["app"]
        .processed
        .iter()
        .map(|p| sim.kinesis.keys.name(p.key))
        .collect();
    assert_eq!(keys, vec!["new"]);
}

/// Reprocessing after a restart from an old checkpoint: an at-least-once sink applies the
/// records' side effects again, an idempotent one (keyed by shard and sequence number) does not.
#[test]
fn an_idempotent_sink_turns_reprocessing_into_no_ops() {
    use streamdrill_engine::Console;
    let run = |sink: &str| -> serde_json::Value {
        let mut c = Console::new(5);
        for cmd in [
            "aws kinesis create-stream --stream-name s --shard-count 2",
            "gen start g --stream s --rate 100/s --size 100 --keys uniform:100 --mode flow",
            "kcl start --app app --stream s --worker w --checkpoint-every 1000",
            &format!("kcl configure --app app --sink {sink}"),
            "advance 25s",
            "kcl kill --app app --worker w",
            "kcl start --app app --stream s --worker w",
            "advance 10s",
        ] {
            let out = c.execute(cmd).unwrap();
            assert!(!out.contains("\"Error\""), "{cmd}: {out}");
        }
        let status: serde_json::Value =
            serde_json::from_str(&c.execute("kcl status --app app").unwrap()).unwrap();
        let dup: serde_json::Value = serde_json::from_str(
            &c.execute("metrics --app app --metric KCL.DuplicateSideEffects --last 60s")
                .unwrap(),
        )
        .unwrap();
        serde_json::json!({"status": status, "dup": dup})
    };
    let plain = run("at-least-once");
    let idem = run("idempotent");
    let reprocessed = |v: &serde_json::Value| v["status"]["RecordsReprocessed"].as_u64().unwrap();
    let duplicates = |v: &serde_json::Value| v["dup"]["Metrics"][0]["Total"].as_u64().unwrap_or(0);
    assert!(reprocessed(&plain) > 0, "{plain}");
    assert_eq!(reprocessed(&plain), reprocessed(&idem));
    assert_eq!(duplicates(&plain), reprocessed(&plain), "{plain}");
    assert_eq!(duplicates(&idem), 0, "{idem}");
    assert_eq!(idem["status"]["Sink"], "idempotent");
}
