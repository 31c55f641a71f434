"""A transactional read-process-write loop with confluent-kafka (librdkafka) against
`streamdrill serve --kafka`: records of an aborted transaction are never seen by a
read_committed consumer (a read_uncommitted one sees them), and the input offsets committed
inside the transaction reach the group only when it commits."""

import re
import time
import unittest

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from serve import Serve


class TransactionsThroughTheDoor(unittest.TestCase):
    def setUp(self):
        self.serve = Serve("--kafka", "127.0.0.1:0")
        banner = self.serve.wait_for(r"Kafka on 127\.0\.0\.1:\d+")
        self.bootstrap = re.search(r"Kafka on (127\.0\.0\.1:\d+)", banner).group(1)
        for topic in ("in", "out"):
            self.serve.console(
                f"kafka-topics --create --topic {topic} --partitions 2 "
                "--replication-factor 3 --json",
                r"Created",
            )
        seed = Producer({"bootstrap.servers": self.bootstrap})
        for i in range(10):
            seed.produce("in", key=f"k{i}", value=f"order {i}")
        self.assertEqual(seed.flush(10), 0)

    def tearDown(self):
        self.serve.close()

    def read_out(self, isolation):
        c = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"check-{isolation}",
                "isolation.level": isolation,
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        c.subscribe(["out"])
        got, deadline = [], time.monotonic() + 12
        while time.monotonic() < deadline:
            m = c.poll(0.3)
            if m is not None and not m.error():
                got.append(m.value())
            elif got and m is None:
                break
        c.close()
        return sorted(got)

    def test_read_committed_consumers_never_see_aborted_records(self):
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": "processor",
                "isolation.level": "read_committed",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        consumer.subscribe(["in"])
        producer = Producer({"bootstrap.servers": self.bootstrap, "transactional.id": "proc-1"})
        producer.init_transactions(10)

        # A transaction that fails half way: its records must never be read as committed.
        producer.begin_transaction()
        for i in range(5):
            producer.produce("out", key=f"k{i}", value=f"bad {i}")
        producer.flush(10)
        producer.abort_transaction(10)

        inputs, deadline = [], time.monotonic() + 20
        while len(inputs) < 10 and time.monotonic() < deadline:
            m = consumer.poll(0.3)
            if m is not None and not m.error():
                inputs.append(m)
        self.assertEqual(len(inputs), 10)
        producer.begin_transaction()
        for m in inputs:
            producer.produce("out", key=m.key(), value=b"processed " + m.value())
        producer.send_offsets_to_transaction(
            consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 10
        )
        producer.commit_transaction(10)

        committed = self.read_out("read_committed")
        self.assertEqual(len(committed), 10, committed)
        self.assertTrue(all(v.startswith(b"processed ") for v in committed), committed)
        uncommitted = self.read_out("read_uncommitted")
        self.assertEqual(len(uncommitted), 15, "read_uncommitted sees the aborted records too")

        # The input offsets were committed by the transaction: the group's lag is zero.
        offsets = consumer.committed([TopicPartition("in", p) for p in range(2)], timeout=10)
        self.assertEqual(sum(tp.offset for tp in offsets), 10, offsets)
        consumer.close()

        # A second instance with the same transactional.id fences the first.
        zombie_killer = Producer(
            {"bootstrap.servers": self.bootstrap, "transactional.id": "proc-1"}
        )
        zombie_killer.init_transactions(10)
        with self.assertRaises(KafkaException):
            producer.begin_transaction()
            producer.produce("out", value=b"zombie")
            producer.commit_transaction(5)


if __name__ == "__main__":
    unittest.main(verbosity=2)
