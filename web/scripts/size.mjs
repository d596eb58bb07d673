// The size budget of the sign-in page: the JavaScript a browser must load before it can show
// /signin — the entry chunk, the sign-in route's chunk, and every chunk they import statically —
// gzipped. Prints the figure; exits 1 over the budget, or when the workflow editor or the charts
// (which load with their pages) crept into it (`--report` also lists the chunks).
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const BUDGET = 200_000; // bytes, gzipped (200 KB)
const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const manifestPath = `${dist}.vite/manifest.json`;
if (!existsSync(manifestPath)) {
  console.error('size: dist/.vite/manifest.json is missing — run `npm run build` first');
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);
const signInKey = Object.keys(manifest).find((k) => k.endsWith('features/auth/SignInPage.tsx'));
if (!entryKey || !signInKey) {
  console.error(`size: could not find the entry (${entryKey}) or the sign-in chunk (${signInKey}) in the manifest`);
  process.exit(1);
}

const files = new Set();
const keys = [];
const visit = (key) => {
  const chunk = manifest[key];
  if (!chunk || files.has(chunk.file)) return;
  files.add(chunk.file);
  keys.push(key);
  for (const dep of chunk.imports ?? []) visit(dep);
};
visit(entryKey);
visit(signInKey);

let raw = 0;
let gz = 0;
const rows = [];
for (const file of files) {
  const bytes = readFileSync(`${dist}${file}`);
  const g = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gz += g;
  rows.push([file, bytes.length, g]);
}
const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
if (process.argv.includes('--report')) {
  for (const [f, r, g] of rows.sort((a, b) => b[2] - a[2])) console.log(`  ${f.padEnd(48)} ${kb(r).padStart(10)} raw ${kb(g).padStart(10)} gzip`);
}
const lazyOnly = /node_modules\/uplot\/|features\/(workflows|usage)\//;
const intruders = keys.filter((k) => lazyOnly.test(k));
// uPlot names its root element class "uplot": bundled into an initial chunk, it would show here.
const uplot = /[`'"]uplot[`'"]/;
for (const file of files) if (uplot.test(readFileSync(`${dist}${file}`, 'utf8'))) intruders.push(`uPlot in ${file}`);
if (intruders.length > 0) {
  console.error(`size: the sign-in page loads code meant for its own pages: ${intruders.join(', ')}`);
  process.exit(1);
}
const verdict = gz <= BUDGET ? 'within' : 'OVER';
console.log(`sign-in page initial JS: ${kb(gz)} gzipped (${kb(raw)} raw, ${files.size} files) — ${verdict} the ${kb(BUDGET)} budget`);
process.exit(gz <= BUDGET ? 0 : 1);
