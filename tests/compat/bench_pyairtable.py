"""The comparison leg of `make bench`: pyairtable's batch_create straight to the sandbox Airtable.

Prints one JSON line: {"records": n, "seconds": s}.
"""

import json
import os
import time

from pyairtable import Api

api = Api(os.environ["TOKEN"], endpoint_url=os.environ["AIRTABLE_URL"])
table = api.table(os.environ["BASE_ID"], "People")
n = int(os.environ["RECORDS"])
rows = [{"Name": f"py{i:04}", "Age": i % 90, "Email": f"p{i}@example.com"} for i in range(n)]
started = time.monotonic()
try:
    created = table.batch_create(rows)
    print(json.dumps({"records": len(created), "seconds": time.monotonic() - started}))
except Exception as exc:  # noqa: BLE001 - the failure is the result being measured
    print(json.dumps({"failed": f"{type(exc).__name__}: {str(exc)[:160]}", "seconds": time.monotonic() - started}))
