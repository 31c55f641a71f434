"""Consumer groups of real clients against `streamdrill serve --kafka`: kafka-python and
confluent-kafka (librdkafka) in one group with a simulated member, the group rebalancing as
members come and go, and the offsets the clients commit visible in the console's
`kafka-consumer-groups --describe`. Virtual time runs at 1x: the clients' heartbeats and
session timeouts are on the wall clock."""

import json
import re
import threading
import time
import unittest

from confluent_kafka import Consumer
from kafka import KafkaConsumer, KafkaProducer

from serve import Serve

PARTITIONS = 6


class Polling(threading.Thread):
    """A consumer's poll loop on its own thread: reads, commits what it read, until stopped."""

    def __init__(self, poll, commit, close):
        super().__init__(daemon=True)
        self.poll, self.commit, self.close_consumer = poll, commit, close
        self.read = []
        self.errors = []
        self.running = True

    def run(self):
        while self.running:
            try:
                got = self.poll()
                if got:
                    self.read.extend(got)
                    self.commit()
            except Exception as e:  # a failed commit during a rebalance is retried next poll
                self.errors.append(repr(e))
        self.close_consumer()

    def stop(self):
        self.running = False
        self.join(20)


def kafka_python_member(bootstrap):
    c = KafkaConsumer(
        "orders",
        bootstrap_servers=bootstrap,
        group_id="billing",
        client_id="py-1",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )

    def poll():
        batches = c.poll(timeout_ms=200)
        return [(r.partition, r.offset) for rs in batches.values() for r in rs]

    return Polling(poll, c.commit, c.close)


def librdkafka_member(bootstrap):
    c = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "billing",
            "client.id": "rd-1",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    c.subscribe(["orders"])

    def poll():
        m = c.poll(0.2)
        if m is None or m.error():
            return []
        return [(m.partition(), m.offset())]

    def commit():
        c.commit(asynchronous=False)

    return Polling(poll, commit, c.close)


class ConsumerGroupsOfRealClients(unittest.TestCase):
    def setUp(self):
        self.serve = Serve("--kafka", "127.0.0.1:0")
        banner = self.serve.wait_for(r"Kafka on 127\.0\.0\.1:\d+")
        self.bootstrap = re.search(r"Kafka on (127\.0\.0\.1:\d+)", banner).group(1)
        self.serve.console(
            f"kafka-topics --create --topic orders --partitions {PARTITIONS} "
            "--replication-factor 3 --json",
            r"Created",
        )
        producer = KafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        for i in range(60):
            producer.send("orders", key=f"user-{i}".encode(), value=b"order %d" % i)
        producer.flush()
        producer.close()

    def tearDown(self):
        self.serve.close()

    def describe(self):
        line = self.serve.console(
            "kafka-consumer-groups --describe --group billing --json", r'^\{"'
        )
        return json.loads(line)

    def wait_until(self, what, check, timeout=40):
        deadline = time.monotonic() + timeout
        while True:
            group = self.describe()
            if check(group):
                return group
            self.assertLess(time.monotonic(), deadline, f"{what}; the group: {group}")
            time.sleep(0.5)

    def test_two_clients_and_a_simulated_member_share_the_partitions(self):
        python, rdkafka = kafka_python_member(self.bootstrap), librdkafka_member(self.bootstrap)
        python.start()
        rdkafka.start()

        def stable_with(n):
            def check(g):
                assigned = [tp for m in g.get("Members", []) for tp in m["Assignment"]]
                return (
                    g.get("State") == "Stable"
                    and len(g["Members"]) == n
                    and sorted(assigned) == sorted(f"orders-{p}" for p in range(PARTITIONS))
                )

            return check

        group = self.wait_until("two clients form the group", stable_with(2))
        # Both clients offer range first: the vote picks it.
        self.assertEqual(group["Assignor"], "range")
        self.assertEqual(sorted(m["ClientId"] for m in group["Members"]), ["py-1", "rd-1"])
        # Everything is read and committed: no lag on any partition.
        self.wait_until(
            "the clients commit what they read",
            lambda g: all(row["Lag"] == 0 for row in g["Offsets"]) and len(g["Offsets"]) == 6,
        )
        self.assertEqual(
            sorted(python.read + rdkafka.read),
            sorted(set(python.read + rdkafka.read)),
            "no record was read twice while the group was stable",
        )
        self.assertEqual(len(set(python.read + rdkafka.read)), 60)
        generation = group["Generation"]

        # A simulated member joins: range over three members gives each two partitions.
        self.serve.console(
            "consumer start --group billing --member sim-1 --topic orders --json", r"\{"
        )
        group = self.wait_until("the simulated member joins", stable_with(3))
        self.assertGreater(group["Generation"], generation)
        self.assertEqual(sorted(len(m["Assignment"]) for m in group["Members"]), [2, 2, 2])
        sim = next(m for m in group["Members"] if m.get("Simulated"))
        self.assertEqual(sim["ClientId"], "sim-1")

        # kafka-python leaves cleanly: the other two take over its partitions.
        python.stop()
        group = self.wait_until("the group rebalances without kafka-python", stable_with(2))
        self.assertEqual(
            sorted(m["ClientId"] for m in group["Members"]), ["rd-1", "sim-1"]
        )
        self.assertEqual(sorted(len(m["Assignment"]) for m in group["Members"]), [3, 3])
        # The offsets committed before survive the rebalances.
        self.assertTrue(all(row["CurrentOffset"] != "-" for row in group["Offsets"]))
        rdkafka.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
