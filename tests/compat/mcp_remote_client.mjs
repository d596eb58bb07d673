// mcp-remote (pinned), the stdio <-> Streamable HTTP bridge desktop hosts such as Claude Desktop
// run, against our MCP server, unchanged: the official TypeScript SDK's stdio client drives
// `node node_modules/mcp-remote/dist/proxy.js <MCP_URL> --header Authorization:${...}
// --transport http-only` and lists tools, reads, writes and gets a tool error through it.
//
// Env: MCP_URL, API_KEY, BASE_ID (table "People"). Prints "OK mcp-remote <version> (protocol ...)";
// exits non-zero on any failure, with mcp-remote's stderr. The API key never appears in what it
// prints, nor in mcp-remote's argv: the header is "Authorization:${MCP_REMOTE_AUTH}", which
// mcp-remote expands from its environment. It runs with a fresh temporary MCP_REMOTE_CONFIG_DIR
// and HOME, so it writes nothing in the real $HOME, and fails at once if it starts an OAuth flow.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { check, expectRead, expectToolError, expectTools, expectWrite, harness, redact, show } from './mcp_harness.mjs';

const TIMEOUT_MS = 60_000;
const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE = join(HERE, 'node_modules', 'mcp-remote');
const PROXY = join(PACKAGE, 'dist', 'proxy.js');
const VERSION = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')).version;

let stderr = '';
let transport = null;
let configDir = null;

function cleanup() {
  // Only our own child, by its pid (null once client.close() has reaped it).
  const pid = transport && transport.pid;
  if (pid) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (configDir) rmSync(configDir, { recursive: true, force: true });
  configDir = null;
}

const { fail, need, section, done, currentSection } = harness({
  timeoutMs: TIMEOUT_MS,
  onFail: () => {
    if (stderr) console.error(redact(`mcp-remote stderr:\n${stderr.slice(-8000)}`));
    cleanup();
  },
});

const URL_ = need('MCP_URL');
const KEY = need('API_KEY');
const BASE = need('BASE_ID');

configDir = mkdtempSync(join(tmpdir(), 'mcp-remote-'));

// mcp-remote accepts plain http only for localhost and 127.0.0.1 unless --allow-http is given.
const url = new URL(URL_);
const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
const args = [
  PROXY,
  URL_,
  // No spaces in the arg, and no key in argv: mcp-remote expands ${VAR} in header values.
  '--header',
  'Authorization:${MCP_REMOTE_AUTH}',
  '--transport',
  'http-only',
  ...(url.protocol === 'http:' && !loopback ? ['--allow-http'] : []),
];

transport = new StdioClientTransport({
  command: process.execPath,
  args,
  // Merged over the SDK's getDefaultEnvironment() (HOME, LOGNAME, PATH, SHELL, TERM, USER):
  // no DISPLAY is passed on, and BROWSER=true makes any browser launch a no-op.
  env: {
    MCP_REMOTE_AUTH: `Bearer ${KEY}`,
    MCP_REMOTE_CONFIG_DIR: configDir,
    HOME: configDir,
    BROWSER: 'true',
  },
  stderr: 'pipe',
});

// With a valid bearer header mcp-remote never needs OAuth; if it starts a flow, fail now rather
// than wait for an authorization that will never come.
let oauth = false;
transport.stderr.on('data', (chunk) => {
  stderr += chunk.toString();
  if (!oauth && /Authentication required|Please authorize this client|Initializing auth/.test(stderr)) {
    oauth = true;
    fail(currentSection(), 'mcp-remote started an OAuth flow');
  }
});

// StdioClientTransport has no setProtocolVersion(); Client.connect() calls it when present with the
// version from the initialize result, so this records what was negotiated through the bridge.
let protocol = '?';
transport.setProtocolVersion = (version) => {
  protocol = version;
};

const client = new Client({ name: 'airtable-mcp-compat-mcp-remote', version: '1.0.0' });

async function connect() {
  await client.connect(transport);
  check(client.getServerCapabilities() && client.getServerCapabilities().tools, `capabilities: ${show(client.getServerCapabilities())}`);
}

async function tools() {
  expectTools((await client.listTools()).tools);
}

async function read() {
  expectRead(await client.callTool({ name: 'list_tables', arguments: { base_id: BASE, detail: 'ids' } }));
}

async function write() {
  expectWrite(
    await client.callTool({
      name: 'create_record',
      arguments: { base_id: BASE, table: 'People', fields: { Name: 'Ada remote', Age: 36 } },
    }),
  );
}

async function toolError() {
  expectToolError(await client.callTool({ name: 'get_record', arguments: { base_id: BASE, table: 'People', record_id: 'nope' } }));
}

async function noOAuthState() {
  // Tokens, client registrations, PKCE verifiers and lock files would all land here.
  const store = join(configDir, 'mcp-remote-v1');
  let files = [];
  try {
    files = readdirSync(store);
  } catch {
    // never created: nothing was stored
  }
  const auth = files.filter((f) => /tokens|client_info|code_verifier|discovery|lock/.test(f));
  check(auth.length === 0, `mcp-remote stored OAuth state: ${show(files)}`);
}

async function main() {
  await section('connect', connect);
  await section('tools', tools);
  await section('read', read);
  await section('write', write);
  await section('tool error', toolError);
  // close() ends mcp-remote's stdin (it exits on 'end'), then SIGTERM, then SIGKILL.
  await section('close', () => client.close());
  await section('oauth state', noOAuthState);
  cleanup();
  done();
  console.log(`OK mcp-remote ${VERSION} (protocol ${protocol})`);
  process.exit(0);
}

main().catch((err) => fail('main', err && (err.stack || err.message) ? err.stack || err.message : String(err)));
