// The MCP Inspector's CLI mode (@modelcontextprotocol/inspector-cli, pinned) against our MCP
// server, unchanged: `mcp-inspector-cli --cli <MCP_URL> --transport http --header
// "Authorization: Bearer <key>" --method ...`, one process per method, as a person would run it.
// Tools (list, a read, a write, a tool error), resources and prompts.
//
// Env: MCP_URL, API_KEY, BASE_ID (table "People"). Prints "OK inspector-cli <version>"; exits
// non-zero on any failure, with the CLI's output. The API key never appears in what it prints
// (the CLI itself only takes headers on its command line).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, expectRead, expectToolError, expectTools, expectWrite, harness, show } from './mcp_harness.mjs';

const TIMEOUT_MS = 60_000;
const CALL_TIMEOUT_MS = 30_000;
const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE = join(HERE, 'node_modules', '@modelcontextprotocol', 'inspector-cli');
const CLI = join(PACKAGE, 'build', 'cli.js');
const VERSION = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')).version;

let running = null; // the CLI's pid while one runs (it leads its own process group)

const { fail, need, section, done } = harness({
  timeoutMs: TIMEOUT_MS,
  onFail: () => {
    if (running) {
      try {
        process.kill(-running, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  },
});

const URL_ = need('MCP_URL');
const KEY = need('API_KEY');
const BASE = need('BASE_ID');

/**
 * Runs the CLI for one method and returns its parsed JSON result.
 *
 * cli.js (the `mcp-inspector-cli` bin) re-spawns `node build/index.js` with stdio inherited, so
 * the CLI runs detached, as the leader of its own process group, and a timeout kills the group:
 * killing cli.js alone would leave index.js holding our pipes open.
 *
 * cwd is the package's build/: index.js looks for its package.json with
 * fs.existsSync("../package.json") against the cwd but imports it relative to itself, so from
 * any other cwd it fails with "Cannot find module .../@modelcontextprotocol/package.json".
 *
 * The options cli.js knows (--cli, --transport, --header) come before --method: cli.js uses
 * commander with allowUnknownOption, and everything from the first unknown option on is passed
 * through to index.js as is.
 */
function inspector(method, ...extra) {
  const args = [CLI, '--cli', URL_, '--transport', 'http', '--header', `Authorization: Bearer ${KEY}`, '--method', method, ...extra];
  return new Promise((resolve, reject) => {
    // No shell. detached: the CLI leads its own process group, so that a timeout can kill the whole
    // group by its (our child's) pid. (execFile() does not pass `detached` on to spawn().)
    const child = spawn(process.execPath, args, { cwd: dirname(CLI), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running = child.pid;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, CALL_TIMEOUT_MS);
    const done = (err, value) => {
      clearTimeout(timer);
      running = null;
      if (err) reject(err);
      else resolve(value);
    };
    child.on('error', (err) => done(err));
    child.on('close', (code, signal) => {
      const output = `\n--- stdout ---\n${stdout.slice(-4000)}\n--- stderr ---\n${stderr.slice(-4000)}`;
      if (code !== 0) return done(new Error(`${method} failed (exit ${signal || code})${output}`));
      try {
        done(null, JSON.parse(stdout));
      } catch (err) {
        done(new Error(`${method}: stdout is not JSON (${err.message})${output}`));
      }
    });
  });
}

// --tool-arg key=value: index.js JSON-parses each value and keeps it a string when that fails, so
// `fields={"Name":...}` is an object and `detail=ids` the string "ids".
const arg = (key, value) => ['--tool-arg', `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`];

async function tools() {
  expectTools((await inspector('tools/list')).tools || []);
}

async function read() {
  expectRead(await inspector('tools/call', '--tool-name', 'list_tables', ...arg('base_id', BASE), ...arg('detail', 'ids')));
}

async function write() {
  expectWrite(
    await inspector(
      'tools/call',
      '--tool-name',
      'create_record',
      ...arg('base_id', BASE),
      ...arg('table', 'People'),
      ...arg('fields', { Name: 'Ada inspector', Age: 36 }),
    ),
  );
}

async function toolError() {
  expectToolError(
    await inspector('tools/call', '--tool-name', 'get_record', ...arg('base_id', BASE), ...arg('table', 'People'), ...arg('record_id', 'nope')),
  );
}

async function resources() {
  const uri = `airtable://bases/${BASE}/schema`;
  const list = await inspector('resources/list');
  check((list.resources || []).some((r) => r.uri === uri), `resources/list has no ${uri}: ${show(list)}`);
  const templates = await inspector('resources/templates/list');
  check(
    (templates.resourceTemplates || []).some((t) => t.uriTemplate === 'airtable://bases/{baseId}/schema'),
    `resources/templates/list: ${show(templates)}`,
  );
  const read = await inspector('resources/read', '--uri', uri);
  const schema = JSON.parse(read.contents[0].text);
  check(Array.isArray(schema.tables) && schema.tables.some((t) => t.name === 'People'), `resources/read: ${show(schema)}`);
}

async function prompts() {
  const list = await inspector('prompts/list');
  const names = (list.prompts || []).map((p) => p.name);
  for (const name of ['analyze_table', 'clean_duplicates', 'plan_import']) {
    check(names.includes(name), `prompts/list has no ${name}: ${show(names)}`);
  }
  const prompt = await inspector('prompts/get', '--prompt-name', 'analyze_table', '--prompt-args', `base_id=${BASE}`, 'table=People');
  const content = prompt.messages && prompt.messages[0] && prompt.messages[0].content;
  check(content && typeof content.text === 'string' && content.text.includes('People'), `prompts/get: ${show(prompt)}`);
}

async function main() {
  await section('tools/list', tools);
  await section('tools/call read', read);
  await section('tools/call write', write);
  await section('tools/call error', toolError);
  await section('resources', resources);
  await section('prompts', prompts);
  done();
  console.log(`OK inspector-cli ${VERSION}`);
  process.exit(0);
}

main().catch((err) => fail('main', err && (err.stack || err.message) ? err.stack || err.message : String(err)));
