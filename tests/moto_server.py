"""moto's threaded HTTP server for the AWS tests: real HTTP on 127.0.0.1, fake AWS behind it.

S3, SNS and SQS are served by one server; every test makes its own uniquely named
buckets and topics, so tests sharing the session's server never see each other's data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@contextmanager
def running_moto_server() -> Iterator[str]:
    """Start moto on a free port of 127.0.0.1; yield its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def client(endpoint: str, service: str) -> Any:
    """A boto3 client for ``service`` talking to the moto server."""
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)


def new_bucket(endpoint: str, prefix: str = "avpipe-test") -> str:
    """Create a bucket with a fresh name and return the name."""
    name = f"{prefix}-{uuid.uuid4().hex[:12]}"
    client(endpoint, "s3").create_bucket(Bucket=name)
    return name
