// airtable.js, unchanged, against the /v0 proxy: list, create, update, upsert, delete.
// Run by the black-box suite (tests/api/proxy.rs) with PROXY_URL, API_KEY and BASE_ID set.
'use strict';
const assert = require('node:assert/strict');
const Airtable = require('airtable');

async function main() {
  const base = new Airtable({ apiKey: process.env.API_KEY, endpointUrl: process.env.PROXY_URL }).base(process.env.BASE_ID);
  const people = base('People');

  const batch = Array.from({ length: 10 }, (_, i) => ({ fields: { Name: `js${String(i).padStart(2, '0')}`, Age: i } }));
  const created = await people.create(batch);
  assert.equal(created.length, 10);
  const one = await people.create({ Name: 'Ada', Age: 36 });
  assert.match(one.id, /^rec/);

  const all = await people.select({ pageSize: 4 }).all();
  assert.equal(all.length, 11);
  const older = await people.select({ filterByFormula: '{Age} >= 8', sort: [{ field: 'Age', direction: 'desc' }] }).all();
  assert.deepEqual(older.map((r) => r.get('Age')), [36, 9, 8]);

  const found = await people.find(one.id);
  assert.equal(found.get('Name'), 'Ada');
  const updated = await people.update(one.id, { Age: 37 });
  assert.equal(updated.get('Age'), 37);
  const replaced = await people.replace(one.id, { Name: 'Ada L' });
  assert.equal(replaced.get('Age'), undefined);

  const upserted = await people.update(
    [{ fields: { Name: 'Ada L', Age: 40 } }, { fields: { Name: 'Grace', Age: 85 } }],
    { performUpsert: { fieldsToMergeOn: ['Name'] } },
  );
  assert.equal(upserted.length, 2);

  const gone = await people.destroy(created.map((r) => r.id));
  assert.equal(gone.length, 10);
  const left = await people.select().all();
  assert.deepEqual(left.map((r) => r.get('Name')).sort(), ['Ada L', 'Grace']);
  console.log('OK airtable.js');
}

main().catch((err) => {
  console.error(`FAILED: ${err && (err.stack || err.message || err)}`);
  process.exit(1);
});
