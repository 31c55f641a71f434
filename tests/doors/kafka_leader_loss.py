"""A leader's hard stop in the middle of a produce, seen from confluent-kafka (librdkafka)
through `streamdrill serve --kafka`: with acks=1 the leader acknowledged records its followers
did not have yet, and they are gone once a follower leads; with acks=all and
min.insync.replicas=2 every acknowledged record survives. The same loss the engine's own
kafka-producer-broker-restart lab teaches, met with a real client."""

import re
import sys
import threading
import time
import unittest

from confluent_kafka import Consumer, Producer, TopicPartition

from serve import Serve


class LeaderLossWithARealProducer(unittest.TestCase):
    def setUp(self):
        self.serve = Serve("--kafka", "127.0.0.1:0")
        banner = self.serve.wait_for(r"Kafka on 127\.0\.0\.1:\d+")
        self.bootstrap = re.search(r"Kafka on (127\.0\.0\.1:\d+)", banner).group(1)

    def tearDown(self):
        self.serve.close()

    def leader_of(self, topic):
        meta = Producer({"bootstrap.servers": self.bootstrap}).list_topics(topic, timeout=10)
        return meta.topics[topic].partitions[0].leader

    def produce_through_a_leader_crash(self, topic, acks):
        """Sends records for 6 s while the leader stops hard after 1.5 s; returns the values
        acknowledged and the values the partition holds once the old leader is back."""
        leader = self.leader_of(topic)
        acked, lock = set(), threading.Lock()
        producer = Producer(
            {
                "bootstrap.servers": self.bootstrap,
                "acks": acks,
                "linger.ms": 0,
                "message.timeout.ms": 60000,
                "enable.idempotence": False,
            }
        )

        def delivered(err, msg):
            if err is None:
                with lock:
                    acked.add(msg.value())

        def crash():
            time.sleep(1.5)
            self.serve.console(f"broker stop {leader} --hard --json", r"\{")

        threading.Thread(target=crash, daemon=True).start()
        start, i = time.monotonic(), 0
        while time.monotonic() - start < 6:
            producer.produce(topic, value=f"{topic}-{i}".encode(), on_delivery=delivered)
            producer.poll(0)
            i += 1
            time.sleep(0.0005)
        self.assertEqual(producer.flush(90), 0, "every record was answered")
        # The old leader comes back as a follower and truncates to the new leader's log.
        self.serve.console(f"broker start {leader} --json", r"\{")
        self.serve.console("advance 30s --json", r"Advanced")
        return acked, self.read(topic)

    def read(self, topic):
        c = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"audit-{topic}",
                "enable.auto.commit": False,
            }
        )
        c.assign([TopicPartition(topic, 0, 0)])
        got, idle = set(), 0
        while idle < 10:
            m = c.poll(0.3)
            if m is None or m.error():
                idle += 1
                continue
            idle = 0
            got.add(m.value())
        c.close()
        return got

    def create(self, topic, *configs):
        extra = "".join(f" --config {c}" for c in configs)
        self.serve.console(
            f"kafka-topics --create --topic {topic} --partitions 1 --replication-factor 3{extra} --json",
            r"Created",
        )

    def test_acks_1_loses_acknowledged_records_and_acks_all_with_min_isr_2_does_not(self):
        self.create("fast")
        acked, present = self.produce_through_a_leader_crash("fast", "1")
        self.assertGreater(len(acked), 500)
        lost = acked - present
        print(f"acks=1: {len(lost)} of {len(acked)} acknowledged records lost", file=sys.stderr)
        self.assertGreater(len(lost), 0, "acks=1: records only the crashed leader had are gone")

        self.create("safe", "min.insync.replicas=2")
        acked, present = self.produce_through_a_leader_crash("safe", "all")
        self.assertGreater(len(acked), 500)
        self.assertEqual(acked - present, set(), "acks=all, min.insync.replicas=2: nothing lost")


if __name__ == "__main__":
    unittest.main(verbosity=2)
