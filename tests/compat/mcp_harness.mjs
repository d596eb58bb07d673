// What the Node MCP client scripts share: sections that name what failed, a watchdog (a hang
// fails rather than blocks), the API key redacted from everything printed, and the checks of the
// answers every client must get from the same calls (tools/list, a read, a write, a tool error).

const KEY = process.env.API_KEY || '';

/** The text with the API key replaced by `***`. */
export const redact = (text) => (KEY ? String(text).split(KEY).join('***') : String(text));

/** A value as short, redacted JSON for a failure message. */
export const show = (value) => redact(JSON.stringify(value) ?? String(value)).slice(0, 2000);

export function check(cond, what) {
  if (!cond) throw new Error(what);
}

/**
 * The run of one script: `section(name, body)` runs a step and fails the script naming it;
 * `onFail(section, message)` runs first (to print more, or kill a child). Exits 1 on failure or
 * after `timeoutMs`.
 */
export function harness({ timeoutMs = 60_000, onFail = () => {} } = {}) {
  let current = 'setup';
  const fail = (section, message) => {
    console.error(redact(`FAILED [${section}]: ${message}`));
    try {
      onFail(section, message);
    } finally {
      process.exit(1);
    }
  };
  // Deliberately not unref'd: the process must not end quietly while something still waits.
  const watchdog = setTimeout(() => fail(current, `timed out after ${timeoutMs / 1000} s`), timeoutMs);
  return {
    fail,
    /** The section running now. */
    currentSection: () => current,
    need(name) {
      const value = process.env[name];
      if (!value) fail('setup', `${name} is not set`);
      return value;
    },
    async section(name, body) {
      current = name;
      try {
        return await body();
      } catch (err) {
        fail(name, err && (err.stack || err.message) ? err.stack || err.message : String(err));
      }
    },
    done() {
      clearTimeout(watchdog);
    },
  };
}

/** tools/list as a member sees it: 20 tools, `list_bases` first, annotations and output schemas. */
export function expectTools(list) {
  const names = list.map((t) => t.name);
  check(list.length === 20 && names[0] === 'list_bases', `tools/list: ${show(names)}`);
  const del = list.find((t) => t.name === 'delete_records');
  check(del && del.annotations && del.annotations.destructiveHint === true, `delete_records annotations: ${show(del && del.annotations)}`);
  check(del.outputSchema && del.outputSchema.type === 'object', `delete_records outputSchema: ${show(del.outputSchema)}`);
}

/** `list_tables {base_id, detail: "ids"}` of the People base. */
export function expectRead(result) {
  check(!result.isError, `list_tables: ${show(result)}`);
  check(result.structuredContent && result.structuredContent.tables[0].name === 'People', `list_tables: ${show(result.structuredContent)}`);
}

/** `create_record` into People. */
export function expectWrite(result) {
  check(!result.isError, `create_record: ${show(result)}`);
  const id = result.structuredContent && result.structuredContent.record && result.structuredContent.record.id;
  check(typeof id === 'string' && id.startsWith('rec'), `create_record id: ${show(result.structuredContent)}`);
}

/** `get_record` with `record_id: "nope"`: a tool error a model can read, not a protocol error. */
export function expectToolError(result) {
  check(result.isError === true, `get_record nope is not a tool error: ${show(result)}`);
  const body = JSON.parse(result.content[0].text);
  check(body.error && body.error.code === 'validation_failed', `get_record nope: ${show(body)}`);
}
