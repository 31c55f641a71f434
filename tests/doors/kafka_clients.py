"""kafka-python and confluent-kafka (librdkafka) against `streamdrill serve --kafka`: an
idempotent acks=all producer, records read back byte for byte with headers, and the fault of a
shrunken ISR reaching the client as NOT_ENOUGH_REPLICAS, batches compressed with each codec, and an
admin client creating, describing and deleting topics."""

import re
import unittest

from confluent_kafka import KafkaError, Producer
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import InvalidReplicationFactorError, TopicAlreadyExistsError

from serve import Serve


class KafkaClientsAgainstTheDoor(unittest.TestCase):
    def setUp(self):
        self.serve = Serve("--kafka", "127.0.0.1:0", "--speed", "5")
        banner = self.serve.wait_for(r"Kafka on 127\.0\.0\.1:\d+")
        self.bootstrap = re.search(r"Kafka on (127\.0\.0\.1:\d+)", banner).group(1)
        self.serve.console(
            "kafka-topics --create --topic orders --partitions 3 --replication-factor 3 --json",
            r"Created",
        )

    def tearDown(self):
        self.serve.close()

    def read_all(self):
        consumer = KafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False, consumer_timeout_ms=3000
        )
        consumer.assign([TopicPartition("orders", p) for p in range(3)])
        consumer.seek_to_beginning()
        records = list(consumer)
        consumer.close()
        return records

    def test_an_idempotent_producer_and_a_consumer_with_kafka_python(self):
        producer = KafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True
        )
        sent = {}
        for i in range(20):
            key = f"user-{i % 7}".encode()
            value = bytes([i, 0, 255]) + f"order {i}".encode()
            meta = producer.send(
                "orders", key=key, value=value, headers=[("trace", f"t{i}".encode())]
            ).get(timeout=10)
            sent[(meta.partition, meta.offset)] = (key, value, f"t{i}".encode())
        producer.close()
        records = self.read_all()
        self.assertEqual(len(records), 20)
        for r in records:
            key, value, trace = sent[(r.partition, r.offset)]
            self.assertEqual((r.key, r.value), (key, value))
            self.assertEqual(r.headers, [("trace", trace)])
        # A key's records stay in one partition, in the order they were sent.
        by_key = {}
        for r in sorted(records, key=lambda r: (r.partition, r.offset)):
            by_key.setdefault(r.key, set()).add(r.partition)
        self.assertTrue(all(len(parts) == 1 for parts in by_key.values()), by_key)

    def test_librdkafka_produces_and_a_shrunken_isr_refuses_acks_all(self):
        delivered = []
        producer = Producer({"bootstrap.servers": self.bootstrap, "acks": "all"})
        for i in range(6):
            producer.produce(
                "orders",
                key=f"k{i}",
                value=f"v{i}",
                on_delivery=lambda err, msg: delivered.append((err, msg.partition(), msg.offset())),
            )
        self.assertEqual(producer.flush(10), 0)
        self.assertEqual([e for e, _, _ in delivered], [None] * 6)

        # min.insync.replicas=2 and two of three brokers gone: acks=all cannot be met.
        self.serve.console(
            "kafka-configs --alter --entity-type topics --entity-name orders "
            "--add-config min.insync.replicas=2 --json",
            r"\{",
        )
        self.serve.console("broker stop 2 --json", r"\{")
        self.serve.console("broker stop 3 --json", r"\{")
        self.serve.console("advance 60s --json", r"Advanced")
        failed = []
        strict = Producer(
            {
                "bootstrap.servers": self.bootstrap,
                "acks": "all",
                "retries": 0,
                "message.timeout.ms": 5000,
            }
        )
        strict.produce(
            "orders", key="late", value="x", on_delivery=lambda err, msg: failed.append(err)
        )
        strict.flush(15)
        self.assertEqual(len(failed), 1)
        self.assertIsNotNone(failed[0])
        self.assertEqual(failed[0].code(), KafkaError.NOT_ENOUGH_REPLICAS, failed[0])
        # What was acknowledged before is all still there.
        self.assertEqual(len(self.read_all()), 6)

    def test_batches_compressed_with_every_codec_are_read_back(self):
        sent = set()
        for codec in ("gzip", "snappy", "lz4", "zstd"):
            producer = Producer(
                {
                    "bootstrap.servers": self.bootstrap,
                    "compression.type": codec,
                    "linger.ms": 50,
                }
            )
            for i in range(25):
                value = f"{codec} record {i} ".encode() * 20
                producer.produce("orders", key=f"{codec}-{i % 5}", value=value)
                sent.add(value)
            self.assertEqual(producer.flush(10), 0, codec)
        # gzip with kafka-python too (its other codecs need extra libraries).
        kp = KafkaProducer(bootstrap_servers=self.bootstrap, compression_type="gzip")
        for i in range(5):
            value = f"kafka-python gzip {i}".encode()
            kp.send("orders", value=value).get(timeout=10)
            sent.add(value)
        kp.close()
        self.assertEqual({r.value for r in self.read_all()}, sent)

    def test_an_admin_client_creates_describes_and_deletes_topics(self):
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap)
        admin.create_topics(
            [NewTopic("payments", 4, 3, topic_configs={"retention.ms": "60000"})]
        )
        described = self.serve.console(
            "kafka-topics --describe --topic payments --json", r"payments"
        )
        self.assertIn('"PartitionCount":4', described.replace(" ", ""))
        with self.assertRaises(TopicAlreadyExistsError):
            admin.create_topics([NewTopic("payments", 1, 1)])
        # The controller's checks: three brokers cannot hold five replicas.
        with self.assertRaises(InvalidReplicationFactorError):
            admin.create_topics([NewTopic("wide", 1, 5)])
        resource = ConfigResource(ConfigResourceType.TOPIC, "payments")
        # kafka-python 3 shows only what the topic overrides (config_source 1) by default.
        modified = admin.describe_configs([resource])
        topics = next(iter(modified.values()))
        self.assertEqual(list(topics["payments"]), ["retention.ms"], modified)
        everything = admin.describe_configs([resource], config_filter="all")
        entries = next(iter(everything.values()))["payments"]
        self.assertEqual(entries["cleanup.policy"]["value"], "delete", entries)
        self.assertEqual(entries["retention.ms"]["value"], "60000")
        admin.delete_topics(["payments"])
        self.assertNotIn("payments", admin.list_topics())
        admin.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
