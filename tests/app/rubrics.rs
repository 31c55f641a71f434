//! Rubrics of bundled cards judged against real answers: a correct answer in the learner's own
//! words must match, and a wrong one must not.

use streamdrill::deck::{CardBody, Library};
use streamdrill::grading::rubric::{PointResult, assess};

fn assess_card(deck: &str, card: &str, answer: &str) -> Vec<PointResult> {
    let library = Library::bundled();
    let deck = library.deck(deck).expect("deck is bundled");
    let card = deck
        .cards
        .iter()
        .find(|c| c.id == card)
        .expect("card exists");
    let CardBody::Question(q) = &card.body else {
        panic!("{card:?} is not a question");
    };
    assess(answer, &q.rubric)
}

fn hits(results: &[PointResult]) -> Vec<bool> {
    results.iter().map(PointResult::hit).collect()
}

const INTERVIEW: &str = "kafka-kinesis-interview-questions";

#[test]
fn producer_drops_good_answer_in_other_words_matches_every_point() {
    let answer = "With acks=1 the leader acknowledges before the followers copy the record, so a \
        leader failover loses it. Use ACKS = all together with min.insync.replicas = 2. Also look \
        at delivery.timeout.ms since it bounds the whole retry window, and whether the broker that \
        restarted was the controller, because metadata refresh stalls until failover is done.";
    let results = assess_card(INTERVIEW, "producer-drops-during-broker-restart", answer);
    assert_eq!(hits(&results), [true, true, true, true], "{results:?}");
}

#[test]
fn producer_drops_tempting_wrong_fix_misses_the_durability_points() {
    let answer = "Bump the batch size and linger.ms so fewer requests are in flight.";
    let results = assess_card(INTERVIEW, "producer-drops-during-broker-restart", answer);
    assert_eq!(hits(&results), [false, false, false, false], "{results:?}");
    let answer = "acks=-1 is what I'd avoid; keep the defaults.";
    let results = assess_card(INTERVIEW, "producer-drops-during-broker-restart", answer);
    assert!(!results[0].hit(), "acks=-1 is not acks=1: {results:?}");
}

#[test]
fn kinesis_scaling_good_and_bad_answers() {
    let good = "10k events per second at 1 KB is 10 MB/s, so 10 shards is the floor; give it \
        headroom, 12 to 15 shards, for the 1000 records/sec cap and hot keys. On-demand ramps \
        over about 15 minutes per doubling, so I'd pre-split in provisioned mode. The real risk \
        is a skewed partition key.";
    let results = assess_card(INTERVIEW, "scale-kinesis-100-to-10k", good);
    assert_eq!(hits(&results), [true, true, true, true], "{results:?}");

    let bad = "Kinesis is fully managed, it scales by itself, nothing to size.";
    let results = assess_card(INTERVIEW, "scale-kinesis-100-to-10k", bad);
    assert_eq!(hits(&results), [false, false, false, false], "{results:?}");
}

#[test]
fn kinesis_to_s3_exactly_once_good_and_bad_answers() {
    let good = "Either Firehose with a dedup key built from the Kinesis sequence number and \
        idempotent writes where the S3 object key is the dedupe boundary, or a Flink job with a \
        two-phase commit file sink driven by checkpointing. Firehose is simpler; Flink if the job \
        is stateful.";
    let results = assess_card(INTERVIEW, "kinesis-to-s3-exactly-once", good);
    assert_eq!(hits(&results), [true, true, true, true], "{results:?}");

    let bad = "Kinesis gives exactly-once delivery to S3 out of the box.";
    let results = assess_card(INTERVIEW, "kinesis-to-s3-exactly-once", bad);
    assert_eq!(hits(&results), [false, false, false, false], "{results:?}");
}
