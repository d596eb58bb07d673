"""pyairtable, unchanged, against the /v0 proxy: list, create, update, upsert, delete, schema.

Run by the black-box suite (tests/api/proxy.rs) with PROXY_URL, API_KEY and BASE_ID set.
Exits non-zero with a message on the first difference from what Airtable would answer.
"""

import os
import sys

from pyairtable import Api


def main() -> None:
    api = Api(os.environ["API_KEY"], endpoint_url=os.environ["PROXY_URL"])
    base_id = os.environ["BASE_ID"]
    table = api.table(base_id, "People")

    created = table.batch_create([{"Name": f"py{i:02}", "Age": i} for i in range(25)])
    assert len(created) == 25, created
    assert all(r["id"].startswith("rec") for r in created)

    one = table.create({"Name": "Ada", "Age": 36})
    assert table.get(one["id"])["fields"]["Name"] == "Ada"

    rows = table.all()
    assert len(rows) == 26, len(rows)
    older = table.all(formula="{Age} >= 20", sort=["-Age"], fields=["Name", "Age"])
    assert [r["fields"]["Age"] for r in older] == [36, 24, 23, 22, 21, 20], older
    first = table.first(formula="{Name} = 'py03'")
    assert first and first["fields"]["Age"] == 3, first

    updated = table.update(one["id"], {"Age": 37})
    assert updated["fields"]["Age"] == 37, updated
    table.batch_update([{"id": r["id"], "fields": {"Done": True}} for r in created[:12]])
    assert len(table.all(formula="{Done}")) == 12

    result = table.batch_upsert(
        [{"fields": {"Name": "Ada", "Age": 38}}, {"fields": {"Name": "Grace", "Age": 85}}],
        key_fields=["Name"],
    )
    assert len(result["createdRecords"]) == 1 and len(result["updatedRecords"]) == 1, result

    deleted = table.batch_delete([r["id"] for r in created])
    assert len(deleted) == 25 and all(d["deleted"] for d in deleted)
    assert table.delete(one["id"])["deleted"]
    assert [r["fields"]["Name"] for r in table.all()] == ["Grace"]

    schema = table.schema()
    assert schema.name == "People", schema
    assert [f.name for f in schema.fields][:2] == ["Name", "Age"], schema.fields
    assert any(b.id == base_id for b in api.bases())
    print("OK pyairtable")


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # noqa: BLE001 - report anything, exit non-zero
        print(f"FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
