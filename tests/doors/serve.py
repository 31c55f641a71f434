"""Starts `streamdrill serve` for a client test and talks to its console.

The binary is $STREAMDRILL (the Rust test harness sets it); the door listens on a free
loopback port, read from the banner's first line.
"""

import os
import queue
import re
import subprocess
import threading
import time

import boto3
from botocore.config import Config


class Serve:
    def __init__(self, *args):
        binary = os.environ["STREAMDRILL"]
        self.proc = subprocess.Popen(
            [binary, "serve", "--kinesis", "127.0.0.1:0", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        banner = self.lines.get(timeout=20)
        match = re.search(r"(http://127\.0\.0\.1:\d+)", banner)
        assert match, f"no endpoint in the banner: {banner!r}"
        self.endpoint = match.group(1)
        self.printed = [banner]

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def client(self, retries=0):
        """A boto3 Kinesis client on the door; retries=0 shows every throttle."""
        return boto3.client(
            "kinesis",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(retries={"total_max_attempts": retries + 1, "mode": "standard"}),
        )

    def console(self, line, expect, timeout=15):
        """Runs a console line; returns the first printed line matching `expect`."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.wait_for(expect, timeout)

    def wait_for(self, expect, timeout=15):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"nothing printed matched {expect!r}; saw {self.printed[-20:]}"
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            assert line is not None, f"serve exited; saw {self.printed[-20:]}"
            self.printed.append(line)
            if re.search(expect, line):
                return line

    def exit_code(self, timeout):
        return self.proc.wait(timeout=timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def wait_active(kinesis, stream, timeout=20):
    """Polls DescribeStreamSummary until the stream is ACTIVE (a reshard takes a while)."""
    deadline = time.monotonic() + timeout
    while True:
        summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            return summary
        assert time.monotonic() < deadline, f"{stream} still {summary['StreamStatus']}"
        time.sleep(0.05)
