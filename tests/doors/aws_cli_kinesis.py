"""The AWS CLI against `streamdrill serve`, with dummy credentials: list-streams,
create-stream, put-record, get-shard-iterator, get-records, and an error as the CLI shows it."""

import base64
import json
import subprocess
import unittest

from serve import Serve


class AwsCliAgainstTheDoor(unittest.TestCase):
    def setUp(self):
        self.serve = Serve()

    def tearDown(self):
        self.serve.close()

    def aws(self, *args, ok=True):
        done = subprocess.run(
            ["aws", "--endpoint-url", self.serve.endpoint, "--output", "json", "kinesis", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if ok:
            self.assertEqual(done.returncode, 0, done.stderr)
            return json.loads(done.stdout) if done.stdout.strip() else {}
        self.assertNotEqual(done.returncode, 0)
        return done.stderr

    def test_a_session_with_the_cli(self):
        self.assertEqual(self.aws("list-streams")["StreamNames"], [])
        self.aws("create-stream", "--stream-name", "clicks", "--shard-count", "2")
        self.assertEqual(self.aws("list-streams")["StreamNames"], ["clicks"])
        put = self.aws(
            "put-record", "--stream-name", "clicks", "--partition-key", "user-1", "--data", "hello"
        )
        shard = put["ShardId"]
        iterator = self.aws(
            "get-shard-iterator",
            "--stream-name", "clicks",
            "--shard-id", shard,
            "--shard-iterator-type", "TRIM_HORIZON",
        )["ShardIterator"]
        records = self.aws("get-records", "--shard-iterator", iterator)["Records"]
        self.assertEqual(len(records), 1)
        self.assertEqual(records[0]["SequenceNumber"], put["SequenceNumber"])
        self.assertEqual(records[0]["PartitionKey"], "user-1")
        # The CLI prints blobs in base64, as against AWS.
        self.assertEqual(base64.b64decode(records[0]["Data"]), b"hello")
        described = self.aws("describe-stream-summary", "--stream-name", "clicks")
        self.assertEqual(described["StreamDescriptionSummary"]["OpenShardCount"], 2)

    def test_errors_read_as_they_do_against_aws(self):
        stderr = self.aws("describe-stream", "--stream-name", "absent", ok=False)
        self.assertIn("ResourceNotFoundException", stderr)
        self.assertIn("DescribeStream", stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
