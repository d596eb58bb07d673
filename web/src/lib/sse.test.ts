import { describe, expect, it } from 'vitest';
import { SseParser, readSse, type SseEvent } from './sse';

function parseChunks(chunks: string[]): SseEvent[] {
  const out: SseEvent[] = [];
  const p = new SseParser((e) => out.push(e));
  for (const c of chunks) p.push(c);
  p.end();
  return out;
}

const STREAM =
  ': keep-alive\n\n' +
  'event: session\ndata: {"sessionId":"chat_1"}\n\n' +
  'event: delta\ndata: {"text":"Hel"}\n\n' +
  'event: delta\ndata: {"text":"lo é ✓"}\n\n' +
  'event: tool_call_started\r\ndata: {"id":"c1",\r\ndata: "name":"get_records"}\r\n\r\n' +
  'data: plain message\n\n' +
  'event: done\ndata: {"reply":"Hello"}\n\n';

const EXPECTED: SseEvent[] = [
  { event: 'session', data: '{"sessionId":"chat_1"}' },
  { event: 'delta', data: '{"text":"Hel"}' },
  { event: 'delta', data: '{"text":"lo é ✓"}' },
  { event: 'tool_call_started', data: '{"id":"c1",\n"name":"get_records"}' },
  { event: 'message', data: 'plain message' },
  { event: 'done', data: '{"reply":"Hello"}' },
];

describe('SseParser', () => {
  it('parses a whole stream: event types, comments, multi-line data, CRLF', () => {
    expect(parseChunks([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same events whatever the chunk boundaries (every split point)', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      expect(parseChunks([STREAM.slice(0, i), STREAM.slice(i)])).toEqual(EXPECTED);
    }
  });

  it('gives the same events fed one character at a time', () => {
    expect(parseChunks([...STREAM])).toEqual(EXPECTED);
  });

  it('treats a lone CR, and a CR and LF split across chunks, as one line break', () => {
    expect(parseChunks(['event: a\rdata: 1\r', '\n\r', '\n'])).toEqual([{ event: 'a', data: '1' }]);
    expect(parseChunks(['data: x\r\rdata: y\r\r'])).toEqual([
      { event: 'message', data: 'x' },
      { event: 'message', data: 'y' },
    ]);
  });

  it('keeps a value without a space after the colon, strips only one space, and joins empty data lines', () => {
    expect(parseChunks(['data:a\ndata:  b\ndata\n\n'])).toEqual([{ event: 'message', data: 'a\n b\n' }]);
  });

  it('ignores events without data, unknown fields and retry; remembers the last id', () => {
    expect(parseChunks(['event: ping\n\nretry: 10\nfoo: bar\nid: 7\ndata: x\n\ndata: y\n\n'])).toEqual([
      { event: 'message', data: 'x', id: '7' },
      { event: 'message', data: 'y', id: '7' },
    ]);
  });

  it('drops an event the stream ended in the middle of', () => {
    expect(parseChunks(['data: complete\n\ndata: cut off'])).toEqual([{ event: 'message', data: 'complete' }]);
  });
});

describe('readSse', () => {
  it('decodes multi-byte characters split across network chunks', async () => {
    const bytes = new TextEncoder().encode('event: delta\ndata: {"text":"héllo ✓ 🎉"}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const b of bytes) controller.enqueue(new Uint8Array([b]));
        controller.close();
      },
    });
    const out: SseEvent[] = [];
    await readSse(body, (e) => out.push(e));
    expect(out).toEqual([{ event: 'delta', data: '{"text":"héllo ✓ 🎉"}' }]);
  });
});
