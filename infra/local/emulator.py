"""The AWS emulator of the local stack: moto's server, with DynamoDB requests serialised.

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
from moto.server import main

_DYNAMODB = threading.RLock()
_call_action = DynamoHandler.call_action


def _serialised_call_action(self):  # type: ignore[no-untyped-def]
    with _DYNAMODB:
        return _call_action(self)


DynamoHandler.call_action = _serialised_call_action

if __name__ == "__main__":
    sys.exit(main())
