"""The official Python MCP SDK against our MCP server, unchanged: Streamable HTTP with a bearer
API key, in both protocol eras (the initialize handshake, and 2026-07-28 found by discovery).

Also: progress of a long read (a `Big` table of BIG_RECORDS records in BIG_BASE_ID), each base's schema
as a resource, prompts, and completions.

Env: MCP_URL, API_KEY, BASE_ID, BIG_BASE_ID, BIG_RECORDS. Prints "OK mcp <mode>" per mode; exits non-zero on
any failure.
"""

import asyncio
import json
import os

import httpx2
from mcp import Client
from mcp.types import PromptReference, ResourceTemplateReference
from mcp.client.streamable_http import streamable_http_client

URL = os.environ["MCP_URL"]
KEY = os.environ["API_KEY"]
BASE = os.environ["BASE_ID"]
BIG = os.environ["BIG_BASE_ID"]
BIG_RECORDS = int(os.environ["BIG_RECORDS"])


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")


async def run(mode: str) -> None:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
    async with Client(streamable_http_client(URL, http_client=http), mode=mode) as client:
        tools = await client.list_tools()
        names = [t.name for t in tools.tools]
        check(len(names) == 20 and names[0] == "list_bases", f"tools/list: {names}")
        delete = next(t for t in tools.tools if t.name == "delete_records")
        check(delete.annotations.destructive_hint is True, "annotations")
        check(delete.output_schema["type"] == "object", "outputSchema")

        tables = await client.call_tool("list_tables", {"base_id": BASE, "detail": "ids"})
        check(not tables.is_error, f"list_tables: {tables}")
        check(tables.structured_content["tables"][0]["name"] == "People", f"list_tables: {tables.structured_content}")

        name = f"Ada {mode}"
        for _ in range(2):
            created = await client.call_tool("create_record", {"base_id": BASE, "table": "People", "fields": {"Name": name, "Age": 36}})
            check(not created.is_error, f"create_record: {created}")
            check(created.structured_content["record"]["id"].startswith("rec"), "create_record id")

        records = await client.call_tool("get_records", {"base_id": BASE, "table": "People", "filter_by_formula": f"{{Name}} = '{name}'"})
        check(not records.is_error and records.structured_content["returned"] == 2, f"get_records: {records.structured_content}")

        dups = await client.call_tool("find_duplicates", {"base_id": BASE, "table": "People", "fields": ["Name"]})
        check(not dups.is_error, f"find_duplicates: {dups}")
        keys = [g["key"] for g in dups.structured_content["groups"]]
        check(name.lower() in keys, f"find_duplicates: {keys}")

        bad = await client.call_tool("get_record", {"base_id": BASE, "table": "People", "record_id": "nope"})
        check(bad.is_error and json.loads(bad.content[0].text)["error"]["code"] == "validation_failed", f"tool error: {bad}")
        # Progress of a long read (a different query per mode: a cached answer has no pages).
        events = []

        async def on_progress(progress, total, message):
            events.append(progress)

        fields = ["Name"] if mode == "legacy" else ["Name", "Age"]
        big = await client.call_tool("get_records", {"base_id": BIG, "table": "Big", "all_pages": True, "fields": fields}, progress_callback=on_progress)
        check(not big.is_error and big.structured_content["total"] == BIG_RECORDS, f"get_records all_pages: {big}")
        check(len(events) >= 5 and events == sorted(set(events)) and events[-1] == BIG_RECORDS, f"progress: {events}")

        uri = f"airtable://bases/{BASE}/schema"
        resources = await client.list_resources()
        check(uri in [str(r.uri) for r in resources.resources], f"resources/list: {resources}")
        templates = await client.list_resource_templates()
        check(templates.resource_templates[0].uri_template == "airtable://bases/{baseId}/schema", f"templates: {templates}")
        schema = json.loads((await client.read_resource(uri)).contents[0].text)
        check("People" in [t["name"] for t in schema["tables"]], f"resources/read: {schema}")

        prompts = await client.list_prompts()
        check([p.name for p in prompts.prompts] == ["analyze_table", "clean_duplicates", "plan_import"], f"prompts/list: {prompts}")
        prompt = await client.get_prompt("clean_duplicates", {"base_id": BASE, "table": "People", "fields": "Email"})
        check("find_duplicates" in prompt.messages[0].content.text, f"prompts/get: {prompt}")

        done = await client.complete(PromptReference(type="ref/prompt", name="analyze_table"), {"name": "table", "value": "p"}, {"base_id": BASE})
        check(done.completion.values == ["People"], f"complete table: {done}")
        done = await client.complete(ResourceTemplateReference(type="ref/resource", uri="airtable://bases/{baseId}/schema"), {"name": "baseId", "value": ""})
        check(BASE in done.completion.values, f"complete baseId: {done}")
        version = getattr(client.session, "protocol_version", None) or "?"
    print(f"OK mcp {mode} (protocol {version}): {len(events)} progress notifications, resources, prompts, completions")


async def main() -> None:
    for mode in ("legacy", "auto"):
        await run(mode)


asyncio.run(main())
