"""Produce throughput of confluent-kafka (librdkafka) through streamdrill's Kafka door against
librdkafka's own mock cluster (`test.mock.num.brokers`), in one run on one machine.

    cargo bench --features bench --bench kafka_door
    (or STREAMDRILL=target/release/streamdrill target/doors-venv/bin/python benches/kafka_door_vs_mock.py)

Prints records per second for each and the ratio (door / mock): the median of RUNS runs.
"""

import os
import re
import statistics
import subprocess
import sys
import time

from confluent_kafka import Producer

RECORDS = int(os.environ.get("RECORDS", "200000"))
RUNS = int(os.environ.get("RUNS", "3"))
VALUE = b"x" * 100


def produce(config, topic):
    p = Producer({**config, "linger.ms": 5, "acks": "all", "queue.buffering.max.messages": 1000000})
    # Warm up: metadata, connections, the topic.
    p.produce(topic, VALUE)
    p.flush(30)
    start = time.perf_counter()
    for i in range(RECORDS):
        while True:
            try:
                p.produce(topic, VALUE, key=str(i % 1000))
                break
            except BufferError:
                p.poll(0.01)
    left = p.flush(120)
    elapsed = time.perf_counter() - start
    assert left == 0, f"{left} records not delivered"
    return RECORDS / elapsed


def mock():
    return produce({"test.mock.num.brokers": 3}, "bench")


def door():
    serve = subprocess.Popen(
        [os.environ["STREAMDRILL"], "serve", "--kafka", "127.0.0.1:0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        bootstrap = None
        for line in serve.stdout:
            m = re.search(r"Kafka on (127\.0\.0\.1:\d+)", line)
            if m:
                bootstrap = m.group(1)
            if line.startswith("console:"):
                break
        serve.stdin.write(
            "kafka-topics --create --topic bench --partitions 6 --replication-factor 3\n"
        )
        serve.stdin.flush()
        serve.stdout.readline()
        return produce({"bootstrap.servers": bootstrap}, "bench")
    finally:
        serve.kill()
        serve.wait()


def main():
    results = {"mock": [], "door": []}
    for _ in range(RUNS):
        results["mock"].append(mock())
        results["door"].append(door())
    m = statistics.median(results["mock"])
    d = statistics.median(results["door"])
    print(f"librdkafka mock cluster: {m:,.0f} records/s (runs: {[round(x) for x in results['mock']]})")
    print(f"streamdrill door:        {d:,.0f} records/s (runs: {[round(x) for x in results['door']]})")
    print(f"door / mock: {d / m:.2f}x  ({RECORDS} records of {len(VALUE)} bytes, acks=all, linger.ms=5)")


if __name__ == "__main__":
    sys.exit(main())
