"""boto3 against `streamdrill serve`: records across a split and a merge, PutRecords partial
failures, a hot shard's throttling, iterator expiry, and SubscribeToShard events."""

import datetime
import time
import unittest

from botocore.exceptions import ClientError

from serve import Serve, wait_active


def error_code(error):
    return error.exception.response["Error"]["Code"]


def read_shard(kinesis, stream, shard_id):
    """Every record of a shard from its start, and whether the shard is closed and read to its end."""
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = []
    for _ in range(100):
        page = kinesis.get_records(ShardIterator=iterator, Limit=1000)
        records.extend(page["Records"])
        iterator = page.get("NextShardIterator")
        if iterator is None:
            return records, True
        if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
            return records, False
    raise AssertionError(f"{shard_id} did not come to an end")


class Boto3AgainstTheDoor(unittest.TestCase):
    def setUp(self):
        # 20x: a reshard's 30 virtual seconds pass in a second and a half.
        self.serve = Serve("--speed", "20")
        self.kinesis = self.serve.client()

    def tearDown(self):
        self.serve.close()

    def test_records_cross_a_split_and_a_merge_children_after_parents(self):
        k = self.kinesis
        k.create_stream(StreamName="orders", ShardCount=1)
        wait_active(k, "orders")
        before = [f"before-{i}".encode() for i in range(5)]
        for data in before:
            k.put_record(StreamName="orders", PartitionKey=data.decode(), Data=data)
        parent = k.list_shards(StreamName="orders")["Shards"][0]
        low = int(parent["HashKeyRange"]["StartingHashKey"])
        high = int(parent["HashKeyRange"]["EndingHashKey"])
        k.split_shard(
            StreamName="orders",
            ShardToSplit=parent["ShardId"],
            NewStartingHashKey=str((low + high) // 2 + 1),
        )
        self.assertEqual(
            k.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]["StreamStatus"],
            "UPDATING",
        )
        wait_active(k, "orders")
        shards = k.list_shards(StreamName="orders")["Shards"]
        children = [s for s in shards if s.get("ParentShardId") == parent["ShardId"]]
        self.assertEqual(len(children), 2)
        closed = next(s for s in shards if s["ShardId"] == parent["ShardId"])
        self.assertIn("EndingSequenceNumber", closed["SequenceNumberRange"])

        after = [f"after-{i}".encode() for i in range(20)]
        for data in after:
            k.put_record(StreamName="orders", PartitionKey=data.decode(), Data=data)

        # Parent first: read to its end (no next iterator), then the children.
        from_parent, parent_done = read_shard(k, "orders", parent["ShardId"])
        self.assertTrue(parent_done)
        self.assertEqual([r["Data"] for r in from_parent], before)
        from_children = []
        last_parent_sequence = int(from_parent[-1]["SequenceNumber"])
        for child in children:
            records, done = read_shard(k, "orders", child["ShardId"])
            self.assertFalse(done)
            for r in records:
                self.assertGreater(int(r["SequenceNumber"]), last_parent_sequence)
            from_children.extend(records)
        self.assertEqual(sorted(r["Data"] for r in from_children), sorted(after))

        # Merge the two children back: one open shard whose parents are both.
        a, b = sorted(children, key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))
        k.merge_shards(
            StreamName="orders", ShardToMerge=a["ShardId"], AdjacentShardToMerge=b["ShardId"]
        )
        wait_active(k, "orders")
        shards = k.list_shards(StreamName="orders")["Shards"]
        open_shards = [s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
        self.assertEqual(len(open_shards), 1)
        merged = open_shards[0]
        self.assertEqual(
            {merged["ParentShardId"], merged["AdjacentParentShardId"]}, {a["ShardId"], b["ShardId"]}
        )
        k.put_record(StreamName="orders", PartitionKey="late", Data=b"late")
        records, _ = read_shard(k, "orders", merged["ShardId"])
        self.assertEqual([r["Data"] for r in records], [b"late"])

    def test_put_records_fails_entry_by_entry_and_a_hot_shard_throttles(self):
        k = self.kinesis
        k.create_stream(StreamName="hot", ShardCount=1)
        wait_active(k, "hot")
        # 500 records of 4 KiB in one call is 2 MiB for a shard that takes 1 MiB/s.
        entries = [{"PartitionKey": "one-key", "Data": bytes(4096)} for _ in range(500)]
        throttled_put = None
        for _ in range(5):
            answer = k.put_records(StreamName="hot", Records=entries)
            failed = [r for r in answer["Records"] if "ErrorCode" in r]
            self.assertEqual(answer["FailedRecordCount"], len(failed))
            self.assertGreater(len(failed), 0)
            self.assertLess(len(failed), 500)
            for r in failed:
                self.assertEqual(r["ErrorCode"], "ProvisionedThroughputExceededException")
                self.assertIn("ErrorMessage", r)
                self.assertNotIn("SequenceNumber", r)
            for r in answer["Records"]:
                if "ErrorCode" not in r:
                    self.assertTrue(r["SequenceNumber"])
                    self.assertEqual(r["ShardId"], "shardId-000000000000")
            # Straight after, the shard is still full: a single PutRecord is refused whole.
            try:
                k.put_record(StreamName="hot", PartitionKey="one-key", Data=bytes(4096))
            except ClientError as e:
                throttled_put = e
                break
        self.assertIsNotNone(throttled_put, "a full shard refuses PutRecord")
        self.assertEqual(
            throttled_put.response["Error"]["Code"], "ProvisionedThroughputExceededException"
        )
        self.assertEqual(throttled_put.response["ResponseMetadata"]["HTTPStatusCode"], 400)

    def test_an_iterator_expires_after_five_minutes(self):
        k = self.kinesis
        k.create_stream(StreamName="slow", ShardCount=1)
        wait_active(k, "slow")
        k.put_record(StreamName="slow", PartitionKey="k", Data=b"x")
        iterator = k.get_shard_iterator(
            StreamName="slow", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        self.assertEqual(len(k.get_records(ShardIterator=iterator)["Records"]), 1)
        self.serve.console("advance 6m --json", r'"Advanced"')
        with self.assertRaises(ClientError) as refused:
            k.get_records(ShardIterator=iterator)
        self.assertEqual(error_code(refused), "ExpiredIteratorException")

    def test_timestamps_are_the_wall_clocks(self):
        # At 1x, virtual time is calendar time from the moment serve started.
        with Serve() as serve:
            k = serve.client()
            k.create_stream(StreamName="clock", ShardCount=1)
            k.put_record(StreamName="clock", PartitionKey="k", Data=b"now")
            shard = "shardId-000000000000"
            now = datetime.datetime.now(datetime.timezone.utc)
            it = k.get_shard_iterator(
                StreamName="clock", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            record = k.get_records(ShardIterator=it)["Records"][0]
            drift = abs((record["ApproximateArrivalTimestamp"] - now).total_seconds())
            self.assertLess(drift, 30, record["ApproximateArrivalTimestamp"])
            # The usual "from a minute ago" iterator finds the record; "from a minute on" does not.
            for delta, expected in ((-60, [b"now"]), (60, [])):
                it = k.get_shard_iterator(
                    StreamName="clock",
                    ShardId=shard,
                    ShardIteratorType="AT_TIMESTAMP",
                    Timestamp=now + datetime.timedelta(seconds=delta),
                )["ShardIterator"]
                got = [r["Data"] for r in k.get_records(ShardIterator=it)["Records"]]
                self.assertEqual(got, expected, delta)

    def test_bad_requests_are_refused_before_anything_changes(self):
        k = self.kinesis
        with self.assertRaises(ClientError) as refused:
            k.create_stream(StreamName="bad name!", ShardCount=1)
        self.assertEqual(error_code(refused), "ValidationException")
        with self.assertRaises(ClientError) as refused:
            k.describe_stream(StreamName="absent")
        self.assertEqual(error_code(refused), "ResourceNotFoundException")
        self.assertEqual(k.list_streams()["StreamNames"], [])

    def test_subscribe_to_shard_streams_events(self):
        k = self.kinesis
        k.create_stream(StreamName="fanout", ShardCount=1)
        wait_active(k, "fanout")
        arn = k.describe_stream_summary(StreamName="fanout")["StreamDescriptionSummary"]["StreamARN"]
        consumer = k.register_stream_consumer(StreamARN=arn, ConsumerName="dashboard")["Consumer"]
        self.assertEqual(consumer["ConsumerStatus"], "CREATING")
        deadline = time.monotonic() + 20
        while (
            k.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])["ConsumerDescription"][
                "ConsumerStatus"
            ]
            != "ACTIVE"
        ):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        answer = k.subscribe_to_shard(
            ConsumerARN=consumer["ConsumerARN"],
            ShardId="shardId-000000000000",
            StartingPosition={"Type": "LATEST"},
        )
        sent = [f"event-{i}".encode() for i in range(3)]
        for data in sent:
            k.put_record(StreamName="fanout", PartitionKey="k", Data=data)
        received = []
        deadline = time.monotonic() + 20
        for event in answer["EventStream"]:
            self.assertIn("SubscribeToShardEvent", event)
            shard_event = event["SubscribeToShardEvent"]
            self.assertIn("ContinuationSequenceNumber", shard_event)
            self.assertIn("MillisBehindLatest", shard_event)
            received.extend(r["Data"] for r in shard_event["Records"])
            if len(received) >= len(sent) or time.monotonic() > deadline:
                break
        self.assertEqual(received, sent)
        # A second subscription on the same shard and consumer within 5 seconds is refused.
        with self.assertRaises(ClientError) as refused:
            k.subscribe_to_shard(
                ConsumerARN=consumer["ConsumerARN"],
                ShardId="shardId-000000000000",
                StartingPosition={"Type": "LATEST"},
            )
        self.assertEqual(error_code(refused), "ResourceInUseException")
        # The subscription lives five minutes: past them, the stream ends and the client
        # subscribes again (as the KCL does).
        self.serve.console("advance 6m --json", r'"Advanced"')
        rest = list(answer["EventStream"])
        self.assertLessEqual(len(rest), 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
