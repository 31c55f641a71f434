"""A Kafka lab solved with a real client: `serve --lab kafka-replay-backfill --kafka`, where the
learner resets the `etl` group to the start of the bad window with kafka-python: ListOffsets by
timestamp (`offsets_for_times`) and an OffsetCommit as an admin (generation -1), while the
group's members are stopped, as `kafka-consumer-groups --reset-offsets` does. The lab's rules
hold for the client: with members running the reset is refused."""

import re
import unittest
from datetime import datetime, timezone

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from serve import Serve

# The briefing's calendar: virtual time zero is 2026-01-01T00:00:00Z.
BAD_WINDOW_START_MS = int(datetime(2026, 1, 1, 0, 4, tzinfo=timezone.utc).timestamp() * 1000)


class LabWithKafkaPython(unittest.TestCase):
    def test_replay_the_bad_window_with_offsets_for_times_and_an_admin_commit(self):
        with Serve("--lab", "kafka-replay-backfill", "--kafka", "127.0.0.1:0") as serve:
            banner = serve.wait_for(r"Kafka on 127\.0\.0\.1:\d+")
            bootstrap = re.search(r"Kafka on (127\.0\.0\.1:\d+)", banner).group(1)
            serve.wait_for(r"you have control")
            serve.console("advance 3m", r"t=")  # t=7m: the fix is deployed
            client = KafkaConsumer(
                bootstrap_servers=bootstrap, group_id="etl", enable_auto_commit=False
            )
            partitions = [TopicPartition("events", p) for p in range(3)]
            client.assign(partitions)
            starts = client.offsets_for_times({tp: BAD_WINDOW_START_MS for tp in partitions})
            self.assertTrue(all(o is not None and o.offset > 0 for o in starts.values()), starts)
            reset = {tp: OffsetAndMetadata(o.offset, "", -1) for tp, o in starts.items()}

            # The members still run: the coordinator refuses an admin's commit.
            with self.assertRaises(KafkaError):
                client.commit(reset)

            serve.console("consumer stop --group etl --member etl-1", r"Group")
            serve.console("consumer stop --group etl --member etl-2", r"Group")
            client.commit(reset)
            self.assertEqual(
                {tp: client.committed(tp) for tp in partitions},
                {tp: o.offset for tp, o in starts.items()},
            )
            client.close()
            for member in ("etl-1", "etl-2"):
                serve.console(
                    f"consumer start --group etl --member {member} --topic events "
                    "--rate 1000/s --config auto.offset.reset=earliest",
                    r"Group",
                )
            serve.console("advance 5m", r"t=")
            verdict = serve.wait_for(r"PASSED|NOT PASSED", timeout=60)
            self.assertTrue(verdict.startswith("PASSED"), "\n".join(serve.printed[-30:]))
            log = "\n".join(serve.printed)
            self.assertIn("kafka-consumer-groups --reset-offsets from a client", log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
