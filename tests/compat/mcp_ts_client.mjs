// The official MCP TypeScript SDK (@modelcontextprotocol/sdk, pinned) against our MCP server,
// unchanged: Client + StreamableHTTPClientTransport with a bearer API key. Tools (the SDK checks
// every tool's schemas and validates structuredContent against outputSchema), progress,
// cancellation, resources, prompts and completions.
//
// Env: MCP_URL, API_KEY, BASE_ID (table "People": Name, Age, Email, Status, Done),
// BIG_BASE_ID (table "Big", ~1500 records, field "Name").
// Prints "OK ..." per section, then "OK mcp typescript (protocol <negotiated>)"; exits non-zero
// on any failure, naming the section that failed. The API key never appears in what it prints.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const TIMEOUT_MS = 60_000;

function need(name) {
  const value = process.env[name];
  if (!value) fail('setup', `${name} is not set`);
  return value;
}

const KEY = process.env.API_KEY || '';
const redact = (text) => (KEY ? String(text).split(KEY).join('***') : String(text));
const show = (value) => redact(JSON.stringify(value) ?? String(value)).slice(0, 2000);

let current = 'setup';
const clientErrors = [];

function fail(section, message) {
  console.error(redact(`FAILED [${section}]: ${message}`));
  if (clientErrors.length) console.error(redact(`client errors: ${clientErrors.slice(0, 5).join(' | ')}`));
  process.exit(1);
}

function check(cond, what) {
  if (!cond) throw new Error(what);
}

// A hang fails rather than blocks: the watchdog is deliberately not unref'd.
const watchdog = setTimeout(() => fail(current, `timed out after ${TIMEOUT_MS / 1000} s`), TIMEOUT_MS);

const URL_ = need('MCP_URL');
need('API_KEY');
const BASE = need('BASE_ID');
const BIG = need('BIG_BASE_ID');

async function section(name, body) {
  current = name;
  try {
    return await body();
  } catch (err) {
    fail(name, err && (err.stack || err.message) ? err.stack || err.message : String(err));
  }
}

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
  const names = list.map((t) => t.name);
  check(list.length === 20 && names[0] === 'list_bases', `tools/list: ${show(names)}`);
  const del = list.find((t) => t.name === 'delete_records');
  check(del && del.annotations && del.annotations.destructiveHint === true, `delete_records annotations: ${show(del && del.annotations)}`);
  check(del.outputSchema && del.outputSchema.type === 'object', `delete_records outputSchema: ${show(del.outputSchema)}`);
  console.log(`OK tools ${list.length}`);
}

async function read() {
  const result = await tables(BASE);
  check(!result.isError, `list_tables: ${show(result)}`);
  check(result.structuredContent && result.structuredContent.tables[0].name === 'People', `list_tables: ${show(result.structuredContent)}`);
  console.log('OK read');
}

async function write() {
  const result = await client.callTool({
    name: 'create_record',
    arguments: { base_id: BASE, table: 'People', fields: { Name: 'Ada ts', Age: 36 } },
  });
  check(!result.isError, `create_record: ${show(result)}`);
  const id = result.structuredContent && result.structuredContent.record && result.structuredContent.record.id;
  check(typeof id === 'string' && id.startsWith('rec'), `create_record id: ${show(result.structuredContent)}`);
  console.log('OK write');
}

async function toolError() {
  const result = await client.callTool({ name: 'get_record', arguments: { base_id: BASE, table: 'People', record_id: 'nope' } });
  check(result.isError === true, `get_record nope is not a tool error: ${show(result)}`);
  const body = JSON.parse(result.content[0].text);
  check(body.error && body.error.code === 'validation_failed', `get_record nope: ${show(body)}`);
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
  clearTimeout(watchdog);
  console.log(`OK mcp typescript (protocol ${protocol})`);
  process.exit(0);
}

main().catch((err) => fail(current, err && (err.stack || err.message) ? err.stack || err.message : String(err)));
