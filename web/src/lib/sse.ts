// A server-sent events parser (the WHATWG event-stream format) for responses read with fetch —
// EventSource cannot POST. Chunks may split anywhere: inside a line, between "\r" and "\n",
// inside a multi-byte character (decoded with TextDecoder in stream mode).

export interface SseEvent {
  /** The `event:` field, "message" when absent. */
  event: string;
  /** Every `data:` line of the event, joined with "\n". */
  data: string;
  /** The last `id:` seen (the spec's last event id), if any. */
  id?: string;
}

export class SseParser {
  #buffer = '';
  #pendingCR = false;
  #data: string[] = [];
  #event = '';
  #id: string | undefined;
  readonly #onEvent: (e: SseEvent) => void;

  constructor(onEvent: (e: SseEvent) => void) {
    this.#onEvent = onEvent;
  }

  /** Feeds decoded text. */
  push(text: string): void {
    let chunk = text;
    if (this.#pendingCR) {
      // "\r" ended the previous chunk: a "\n" starting this one belongs to the same line break.
      this.#pendingCR = false;
      if (chunk.startsWith('\n')) chunk = chunk.slice(1);
    }
    this.#buffer += chunk;
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const c = this.#buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      this.#line(this.#buffer.slice(start, i));
      if (c === '\r') {
        if (i + 1 === this.#buffer.length) this.#pendingCR = true;
        else if (this.#buffer[i + 1] === '\n') i++;
      }
      start = i + 1;
    }
    this.#buffer = this.#buffer.slice(start);
  }

  /** The stream ended: an event not terminated by a blank line is dropped, as the spec says. */
  end(): void {
    this.#buffer = '';
    this.#data = [];
    this.#event = '';
  }

  #line(line: string): void {
    if (line === '') {
      this.#dispatch();
      return;
    }
    if (line.startsWith(':')) return; // a comment (keep-alives)
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.#data.push(value);
        break;
      case 'event':
        this.#event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.#id = value;
        break;
      default:
        break; // retry and unknown fields: ignored
    }
  }

  #dispatch(): void {
    if (this.#data.length === 0) {
      this.#event = '';
      return;
    }
    const e: SseEvent = { event: this.#event || 'message', data: this.#data.join('\n') };
    if (this.#id !== undefined) e.id = this.#id;
    this.#data = [];
    this.#event = '';
    this.#onEvent(e);
  }
}

/** Reads a byte stream as server-sent events, calling `onEvent` for each as it completes. */
export async function readSse(body: ReadableStream<Uint8Array>, onEvent: (e: SseEvent) => void): Promise<void> {
  const decoder = new TextDecoder();
  const parser = new SseParser(onEvent);
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
    }
    parser.push(decoder.decode());
    parser.end();
  } finally {
    reader.releaseLock();
  }
}
