"""The AWS emulator of the local stack: moto's server, with DynamoDB requests serialised and
S3's CORS preflight answered as AWS does.

moto runs each request on its own thread, and its TransactWriteItems takes a snapshot of the
tables and restores it when a transaction is cancelled: a write that lands between the snapshot
and the restore is silently lost (a cancelled duplicate-email registration could erase a
concurrent, successful one). Real DynamoDB never does that, so DynamoDB requests here take one
lock; every other service (S3, SQS long polls, Step Functions, ...) stays concurrent.

Usage: emulator.py [-H HOST] [-p PORT]   (the same arguments as moto_server)
"""

import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.s3.exceptions import MissingBucket
from moto.s3.responses import S3Response
from moto.s3.utils import cors_matches_origin
from moto.server import main

_DYNAMODB = threading.RLock()
_call_action = DynamoHandler.call_action


def _serialised_call_action(self):  # type: ignore[no-untyped-def]
    with _DYNAMODB:
        return _call_action(self)


DynamoHandler.call_action = _serialised_call_action


def _preflight(self, headers, bucket_name):  # type: ignore[no-untyped-def]
    """S3's CORS preflight, as AWS answers it: without authentication (a browser sends no
    credentials with OPTIONS), 200 with the matching rule's headers when the bucket's CORS
    configuration allows the origin, method and headers, else 403. moto authenticates the
    OPTIONS request against the presigned URL's signature (made for the PUT) and refuses it."""
    try:
        bucket = self.backend.head_bucket(bucket_name)
    except MissingBucket:
        return 403, {}, ""
    origin = headers.get("Origin")
    method = headers.get("Access-Control-Request-Method")
    wanted = [h.strip().lower() for h in headers.get("Access-Control-Request-Headers", "").split(",") if h.strip()]
    for rule in bucket.cors or []:
        allowed_headers = [h.lower() for h in (rule.allowed_headers or [])]
        if (
            origin
            and cors_matches_origin(origin, rule.allowed_origins or [])
            and method in (rule.allowed_methods or [])
            and all("*" in allowed_headers or h in allowed_headers for h in wanted)
        ):
            out = {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": method,
                "Vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
            }
            if wanted:
                out["Access-Control-Allow-Headers"] = ", ".join(wanted)
            if rule.exposed_headers:
                out["Access-Control-Expose-Headers"] = ", ".join(rule.exposed_headers)
            if rule.max_age_seconds:
                out["Access-Control-Max-Age"] = str(rule.max_age_seconds)
            return 200, out, ""
    return 403, {}, "CORSResponse: This CORS request is not allowed."


S3Response._response_options = _preflight

if __name__ == "__main__":
    sys.exit(main())
