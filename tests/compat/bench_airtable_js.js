// The airtable.js leg of `make bench`: Airtable's own JavaScript client creating records straight
// in the sandbox Airtable, 10 per request (its limit), one request after another as its README
// shows. Prints one JSON line: {"records": n, "seconds": s} or {"failed": "...", "seconds": s}.
'use strict';

const Airtable = require('airtable');

const base = new Airtable({ apiKey: process.env.TOKEN, endpointUrl: process.env.AIRTABLE_URL })
  .base(process.env.BASE_ID);
const table = base('People');
const n = Number(process.env.RECORDS);
const rows = Array.from({ length: n }, (_, i) => ({
  fields: { Name: `js${String(i).padStart(4, '0')}`, Age: i % 90, Email: `p${i}@example.com` },
}));

// airtable.js retries a 429 after a random backoff of up to 5 s, doubling, for as long as it
// takes: the bench stops it after LIMIT_SECONDS and reports what it wrote by then.
const limit = Number(process.env.LIMIT_SECONDS || 120);

(async () => {
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  let created = 0;
  setTimeout(() => {
    console.log(JSON.stringify({ failed: `still retrying after ${limit} s`, records: created, seconds: seconds() }));
    process.exit(0);
  }, limit * 1000).unref();
  try {
    for (let i = 0; i < rows.length; i += 10) {
      const out = await table.create(rows.slice(i, i + 10));
      created += out.length;
    }
    console.log(JSON.stringify({ records: created, seconds: seconds() }));
  } catch (err) {
    // The failure is the result being measured.
    const why = `${err && err.error ? err.error : 'Error'}: ${String(err && err.message).slice(0, 160)}`;
    console.log(JSON.stringify({ failed: why, records: created, seconds: seconds() }));
  }
})();
