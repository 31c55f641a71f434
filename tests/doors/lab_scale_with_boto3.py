"""A Kinesis lab solved with a real client: `serve --lab kinesis-scale-10k`, where the learner
sizes the stream with boto3's UpdateShardCount before the launch, the lab's clock running at
100x. The lab's rules hold for the client as for the console."""

import json
import unittest

from botocore.exceptions import ClientError

from serve import Serve, wait_active


class LabWithBoto3(unittest.TestCase):
    def test_scale_before_the_launch_with_update_shard_count(self):
        with Serve("--lab", "kinesis-scale-10k", "--speed", "100") as serve:
            serve.wait_for(r"you have control")
            k = serve.client()
            # The lab allows what its console allows: writing records is the generator's job.
            with self.assertRaises(ClientError) as refused:
                k.put_record(StreamName="events", PartitionKey="k", Data=b"x")
            self.assertEqual(refused.exception.response["Error"]["Code"], "AccessDeniedException")

            # At most double per call, ACTIVE again before the next: 1 -> 2 -> 4 -> 8 -> 16.
            for target in (2, 4, 8, 16):
                k.update_shard_count(
                    StreamName="events", TargetShardCount=target, ScalingType="UNIFORM_SCALING"
                )
                summary = wait_active(k, "events")
                self.assertEqual(summary["OpenShardCount"], target)
            # Done well before the launch at t=10m.
            now = json.loads(serve.console("now --json", r"ElapsedMicros"))
            self.assertLess(now["ElapsedMicros"], 600_000_000)

            verdict = serve.wait_for(r"PASSED", timeout=60)
            self.assertTrue(verdict.startswith("PASSED"), verdict)
            self.assertEqual(serve.exit_code(timeout=10), 0)
            log = "\n".join(serve.printed)
            self.assertIn("update-shard-count from a client", log)
            # The debrief follows the verdict.
            serve.wait_for(r"10 shards leave no room")


if __name__ == "__main__":
    unittest.main(verbosity=2)
