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
    let good = "Either Firehose, which has no dedupe of its own, with a transformation Lambda \
        that appends the shard id and sequence number to every record, and the load merges on \
        them downstream; or a Flink job with a two-phase commit file sink driven by \
        checkpointing. Firehose is simpler; Flink if the job is stateful.";
    let results = assess_card(INTERVIEW, "kinesis-to-s3-exactly-once", good);
    assert_eq!(hits(&results), [true, true, true, true], "{results:?}");

    let bad = "Kinesis gives exactly-once delivery to S3 out of the box.";
    let results = assess_card(INTERVIEW, "kinesis-to-s3-exactly-once", bad);
    assert_eq!(hits(&results), [false, false, false, false], "{results:?}");
}

const INTERNALS: &str = "kafka-kinesis-internals";

fn contradicted(results: &[PointResult]) -> Vec<bool> {
    results.iter().map(PointResult::contradicted).collect()
}

#[test]
fn offsets_defined_in_own_words_match_and_a_bare_list_does_not() {
    let good = "LEO is the offset the next record appended to the replica will get. The HW is the \
        point every in-sync replica has reached, and consumers read up to it. The LSO stops just \
        before the first open transaction, and read_committed consumers stop there.";
    let results = assess_card(INTERNALS, "kafka-hw-leo-lso", good);
    assert_eq!(hits(&results), [true, true, true], "{results:?}");

    for bare in [
        "LEO HW LSO",
        "LEO, HW and LSO.",
        "log end offset, high watermark, last stable offset",
    ] {
        let results = assess_card(INTERNALS, "kafka-hw-leo-lso", bare);
        assert_eq!(hits(&results), [false, false, false], "{bare}: {results:?}");
    }
}

#[test]
fn swapped_offset_definitions_are_contradictions() {
    let swapped = "The LEO is the highest offset replicated to all in-sync replicas and consumers \
        read up to the LEO. The HW is the next offset to be written on the leader. The LSO is the \
        last committed consumer offset.";
    let results = assess_card(INTERNALS, "kafka-hw-leo-lso", swapped);
    assert_eq!(contradicted(&results), [true, true, true], "{results:?}");
}

#[test]
fn acks_levels_need_their_meaning_not_just_their_names() {
    let bare = "acks=0, acks=1, acks=all";
    let results = assess_card(INTERNALS, "kafka-acks-levels", bare);
    assert_eq!(hits(&results), [false, false, false], "{results:?}");
    let good = "acks=0: the producer does not wait for any acknowledgement. acks=1: only the leader \
        has to write it. acks=all: every in-sync replica must have it.";
    let results = assess_card(INTERNALS, "kafka-acks-levels", good);
    assert_eq!(hits(&results), [true, true, true], "{results:?}");
}

#[test]
fn negated_and_contradicting_fixes_do_not_earn_the_point() {
    let card = "producer-drops-during-broker-restart";
    let answer = "The ISR is fine and acks=all never blocks, so lower min.insync.replicas to 1.";
    let results = assess_card(INTERVIEW, card, answer);
    assert_eq!(
        contradicted(&results),
        [false, true, false, true],
        "{results:?}"
    );
    assert!(results.iter().all(|p| !p.hit()), "{results:?}");
    let answer = "Never lower min.insync.replicas; use acks=all with min.insync.replicas=2.";
    let results = assess_card(INTERVIEW, card, answer);
    assert!(results[1].hit(), "{results:?}");
}

#[test]
fn reversed_exactly_once_sides_lose_both_sides() {
    let reversed = "Kinesis is exactly-once on the producer side with transactions, and Kafka on \
        the consumer side through KCL checkpoints; consumers read committed data only.";
    let results = assess_card(
        "kafka-kinesis-surfaces",
        "exactly-once-which-side",
        reversed,
    );
    assert_eq!(contradicted(&results), [true, false, true], "{results:?}");
}

/// The rubric of one bundled comparison cell.
fn cell_points(card: &str, system: &str) -> Vec<streamdrill::deck::model::RubricPoint> {
    let library = Library::bundled();
    let deck = library
        .deck("kafka-kinesis-comparison")
        .expect("deck is bundled");
    let id = format!("kafka-kinesis-comparison/{card}/{system}");
    let item = streamdrill::deck::item::items_of(deck)
        .into_iter()
        .find(|i| i.id == id)
        .expect("cell exists");
    item.cell_points().to_vec()
}

/// Learners contrast the columns ("unlike Kinesis, ..."): what they say of the other system
/// must not count as a wrong claim about this one.
#[test]
fn compare_cells_do_not_take_a_contrast_with_another_system_as_a_wrong_claim() {
    let cases = [
        (
            "cmp-operational-model",
            "kafka",
            "Everything is on you. Unlike MSK, where AWS runs the brokers, here you operate \
             the brokers, the controllers, storage, security and upgrades.",
        ),
        (
            "cmp-operational-model",
            "kinesis",
            "It's a managed service, unlike self-hosted Kafka where you run the brokers. Your \
             job is the shard count if you use provisioned mode.",
        ),
        (
            "cmp-write-ceiling",
            "kafka",
            "Unlike Kinesis's 1 MB/s per shard, a partition has no fixed limit; it's limited \
             by the broker's disks and network. More partitions give you more write throughput.",
        ),
        (
            "cmp-multi-cloud",
            "kinesis",
            "No. Unlike Kafka, which runs on any cloud, Kinesis only runs on AWS, so switching \
             means rewriting your producers and consumers.",
        ),
        (
            "cmp-retention",
            "kinesis",
            "The default is 24 hours and you can extend it up to 8760 hours, one year, paying \
             extra for extended retention; it cannot keep data forever like Kafka.",
        ),
    ];
    for (card, system, answer) in cases {
        let results = assess(answer, &cell_points(card, system));
        assert!(
            results.iter().all(PointResult::hit),
            "{card}/{system}: {results:?}"
        );
    }
}

#[test]
fn compare_cells_catch_the_classic_reversals() {
    let cases = [
        (
            "cmp-multi-cloud",
            "kinesis",
            "Yes, Kinesis is multi-cloud, you can run it on Azure too.",
        ),
        (
            "cmp-operational-model",
            "msk",
            "MSK is fully managed, AWS manages the topics and the ACLs.",
        ),
        (
            "cmp-write-ceiling",
            "kafka",
            "Kafka caps each partition at 1 MB/s, like a Kinesis shard.",
        ),
        (
            "cmp-read-ceiling",
            "kinesis",
            "Enhanced Fan-Out is free, so every consumer gets 2 MB/s.",
        ),
    ];
    for (card, system, answer) in cases {
        let results = assess(answer, &cell_points(card, system));
        assert!(
            results.iter().any(PointResult::contradicted),
            "{card}/{system}: {results:?}"
        );
    }
}
