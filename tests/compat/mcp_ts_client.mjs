// The official MCP TypeScript SDK (@modelcontextprotocol/sdk, pinned) against our MCP server,
// unchanged: Client + StreamableHTTPClientTransport with a bearer API key. Tools (the SDK checks
// every tool's schemas and validates structuredContent against outputSchema), progress,
// cancellation, resources, prompts and completions.
//
// Env: MCP_URL, API_KEY, BASE_ID (table "People": Name, Age, Email, Status, Done),
// BIG_BASE_ID (table "Big", BIG_RECORDS records, six pages, field "Name").
// Prints "OK ..." per section, then "OK mcp typescript (protocol <negotiated>)"; exits non-zero
// on any failure, naming the section that failed. The API key never appears in what it prints.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { check, expectRead, expectToolError, expectTools, expectWrite, harness, redact, show } from './mcp_harness.mjs';

const TIMEOUT_MS = 60_000;
const clientErrors = [];
const { fail, need, section, done } = harness({
  timeoutMs: TIMEOUT_MS,
  onFail: () => {
    if (clientErrors.length) console.error(redact(`client errors: ${clientErrors.slice(0, 5).join(' | ')}`));
  },
});

const URL_ = need('MCP_URL');
const KEY = need('API_KEY');
const BASE = need('BASE_ID');
const BIG = need('BIG_BASE_ID');

// Every page of a paginated list.
async function all(list, key) {
  const items = [];
  let cursor;
  for (let page = 0; page < 50; page++) {
    const result = await list(cursor === undefined ? undefined : { cursor });
    items.push(...result[key]);
    cursor = result.nextCursor;
    if (!cursor) return items;
  }
  throw new Error(`${key}: more than 50 pages`);
}

const client = new Client({ name: 'airtable-mcp-compat-typescript', version: '1.0.0' });
// Protocol-level errors the SDK reports out of band (e.g. a progress notification or a response
// for a request it already cancelled). Counted, and shown only if something fails.
let lateNotices = 0;
client.onerror = (err) => {
  const message = String(err && err.message ? err.message : err);
  if (/unknown token|unknown message ID/i.test(message)) lateNotices++;
  else clientErrors.push(message);
};
const transport = new StreamableHTTPClientTransport(new URL(URL_), {
  requestInit: { headers: { Authorization: `Bearer ${KEY}` } },
});

const tables = (base) => client.callTool({ name: 'list_tables', arguments: { base_id: base, detail: 'ids' } });

async function connect() {
  await client.connect(transport);
  // Client.connect() hands the version from the initialize result to transport.setProtocolVersion();
  // StreamableHTTPClientTransport keeps it (it is sent back as the mcp-protocol-version header).
  const protocol = transport.protocolVersion;
  check(typeof protocol === 'string' && protocol.length > 0, `no negotiated protocol version: ${show(protocol)}`);
  const caps = client.getServerCapabilities();
  check(caps && caps.tools, `server capabilities: ${show(caps)}`);
  return protocol;
}

async function tools() {
  // listTools() parses the result with the SDK's zod schemas (every tool's inputSchema,
  // outputSchema, annotations) and caches an output validator per tool for callTool().
  const list = await all((params) => client.listTools(params), 'tools');
  expectTools(list);
  console.log(`OK tools ${list.length}`);
}

async function read() {
  expectRead(await tables(BASE));
  console.log('OK read');
}

async function write() {
  expectWrite(
    await client.callTool({
      name: 'create_record',
      arguments: { base_id: BASE, table: 'People', fields: { Name: 'Ada ts', Age: 36 } },
    }),
  );
  console.log('OK write');
}

async function toolError() {
  expectToolError(await client.callTool({ name: 'get_record', arguments: { base_id: BASE, table: 'People', record_id: 'nope' } }));
  console.log('OK tool error');
}

const bigCall = { name: 'get_records', arguments: { base_id: BIG, table: 'Big', all_pages: true, fields: ['Name'] } };

async function progress() {
  const events = [];
  const result = await client.callTool(bigCall, undefined, { onprogress: (p) => events.push(p), timeout: TIMEOUT_MS });
  check(!result.isError, `get_records all_pages: ${show(result)}`);
  check(result.structuredContent && result.structuredContent.returned > 0, `get_records all_pages: ${show(result.structuredContent)}`);
  check(events.length >= 2, `expected at least 2 progress events, got ${events.length}: ${show(events)}`);
  for (let i = 1; i < events.length; i++) {
    check(events[i].progress > events[i - 1].progress, `progress not strictly increasing: ${show(events)}`);
  }
  console.log(`OK progress ${events.length} events (${result.structuredContent.returned} records)`);
}

async function cancellation() {
  const controller = new AbortController();
  let before = 0;
  // Other fields than the progress read, so that the answer is not a cache hit (no pages to report).
  const uncached = { name: 'get_records', arguments: { ...bigCall.arguments, fields: ['Name', 'Age'] } };
  const call = client.callTool(uncached, undefined, {
    signal: controller.signal,
    timeout: TIMEOUT_MS,
    onprogress: () => {
      before++;
      // Aborting makes the SDK send notifications/cancelled for this request and reject it.
      if (before === 1) controller.abort();
    },
  });
  let outcome;
  try {
    outcome = { result: await call };
  } catch (err) {
    outcome = { err };
  }
  check(outcome.err, `the call was not cancelled: it completed after ${before} progress events: ${show(outcome.result && outcome.result.structuredContent && outcome.result.structuredContent.returned)} records`);
  const text = String(outcome.err && outcome.err.message ? outcome.err.message : outcome.err);
  // SDK 1.32.2 rejects with McpError(RequestTimeout, String(signal.reason)): "... AbortError: This operation was aborted".
  check(outcome.err.name === 'AbortError' || /abort|cancel/i.test(text), `unexpected rejection: ${text}`);
  check(before >= 1, 'rejected before any progress event');
  // The connection is still usable afterwards.
  const after = await tables(BASE);
  check(!after.isError && after.structuredContent.tables[0].name === 'People', `list_tables after cancel: ${show(after)}`);
  console.log(`OK cancelled after ${before} events (${lateNotices} late notifications ignored)`);
}

async function resources() {
  const uri = `airtable://bases/${BASE}/schema`;
  const list = await all((params) => client.listResources(params), 'resources');
  const resource = list.find((r) => r.uri === uri);
  check(resource, `resources/list has no ${uri}: ${show(list.map((r) => r.uri))}`);
  check(resource.mimeType === 'application/json', `resource mimeType: ${show(resource)}`);
  const templates = await all((params) => client.listResourceTemplates(params), 'resourceTemplates');
  check(templates.some((t) => t.uriTemplate === 'airtable://bases/{baseId}/schema'), `resources/templates/list: ${show(templates)}`);
  const read = await client.readResource({ uri });
  check(read.contents && read.contents.length >= 1 && typeof read.contents[0].text === 'string', `resources/read: ${show(read)}`);
  const schema = JSON.parse(read.contents[0].text);
  check(Array.isArray(schema.tables) && schema.tables.some((t) => t.name === 'People'), `resources/read schema: ${show(schema)}`);
  console.log(`OK resources ${list.length} (${templates.length} templates)`);
}

async function prompts() {
  const list = await all((params) => client.listPrompts(params), 'prompts');
  const names = list.map((p) => p.name);
  for (const name of ['analyze_table', 'clean_duplicates', 'plan_import']) {
    check(names.includes(name), `prompts/list has no ${name}: ${show(names)}`);
  }
  const prompt = await client.getPrompt({ name: 'analyze_table', arguments: { base_id: BASE, table: 'People' } });
  check(prompt.messages && prompt.messages.length >= 1, `prompts/get: ${show(prompt)}`);
  const content = prompt.messages[0].content;
  check(content && typeof content.text === 'string' && content.text.includes('People'), `prompts/get message: ${show(content)}`);
  console.log(`OK prompts ${list.length}`);
}

async function completions() {
  const table = await client.complete({
    ref: { type: 'ref/prompt', name: 'analyze_table' },
    argument: { name: 'table', value: 'Pe' },
    context: { arguments: { base_id: BASE } },
  });
  check(table.completion.values.includes('People'), `complete table: ${show(table)}`);
  const base = await client.complete({ ref: { type: 'ref/prompt', name: 'analyze_table' }, argument: { name: 'base_id', value: '' } });
  check(base.completion.values.includes(BASE), `complete base_id: ${show(base)}`);
  const template = await client.complete({
    ref: { type: 'ref/resource', uri: 'airtable://bases/{baseId}/schema' },
    argument: { name: 'baseId', value: 'app' },
  });
  check(template.completion.values.includes(BASE), `complete baseId: ${show(template)}`);
  console.log('OK completions');
}

async function main() {
  const protocol = await section('connect', connect);
  await section('tools', tools);
  await section('read', read);
  await section('write', write);
  await section('tool error', toolError);
  await section('progress', progress);
  await section('cancellation', cancellation);
  await section('resources', resources);
  await section('prompts', prompts);
  await section('completions', completions);
  await section('close', () => client.close());
  done();
  console.log(`OK mcp typescript (protocol ${protocol})`);
  process.exit(0);
}

main().catch((err) => fail('main', err && (err.stack || err.message) ? err.stack || err.message : String(err)));
