// The running stack's addresses (written by `e2e` / `e2e serve`, see tests/e2e/main.rs).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Stack {
  baseUrl: string;
  sandboxUrl: string;
  llmUrl: string;
  sandboxToken: string;
}

const webDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

export function readStack(): Stack {
  const file = resolve(webDir, process.env.PYAT_STACK ?? 'e2e-results/stack.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`No stack file at ${file}: start a stack (make e2e, or target/debug/e2e serve) or set PYAT_STACK`);
  }
  return JSON.parse(text) as Stack;
}

export const SCREENSHOTS = resolve(webDir, '..', 'docs', 'screenshots');
