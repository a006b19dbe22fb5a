// Server-Sent Events read from a Fetch API response body. EventSource cannot send an
// Authorization header, so the desk reads GET /v1/stream itself; this module is the part of
// EventSource it needs: the event-stream format as the HTML standard defines it (lines ending
// in CRLF, LF or CR; fields event, data, id, retry; comment lines; an event dispatched at a
// blank line; an event cut off by the end of the stream is dropped). It touches neither the
// DOM nor the network.

export class SseParser {
  // onEvent(type, data, lastEventId) for each complete event with data; onComment(text) for a
  // comment line (the server's heartbeats); onRetry(ms) for a retry field.
  constructor({ onEvent = () => {}, onComment = () => {}, onRetry = () => {} } = {}) {
    this.onEvent = onEvent;
    this.onComment = onComment;
    this.onRetry = onRetry;
    this.pending = ""; // the start of a line whose end has not arrived yet
    this.skipLF = false; // the last chunk ended in CR: an LF opening the next one ends nothing
    this.type = "";
    this.data = [];
    this.idBuffer = "";
    this.lastEventId = ""; // the id in force once an event is dispatched (what to resume from)
  }

  // Feeds decoded text, in chunks cut anywhere.
  feed(chunk) {
    if (this.skipLF && chunk.startsWith("\n")) chunk = chunk.slice(1);
    this.skipLF = false;
    const text = this.pending + chunk;
    const ends = /\r\n|\r|\n/g;
    let start = 0;
    for (let found = ends.exec(text); found !== null; found = ends.exec(text)) {
      this.line(text.slice(start, found.index));
      start = ends.lastIndex;
      if (found[0] === "\r" && start === text.length) this.skipLF = true;
    }
    this.pending = text.slice(start);
  }

  line(line) {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return this.onComment(line.slice(1).trim());
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.type = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.idBuffer = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.onRetry(Number(value));
    // any other field is ignored, as the standard says
  }

  dispatch() {
    this.lastEventId = this.idBuffer;
    const type = this.type || "message";
    const data = this.data.join("\n");
    const had = this.data.length > 0;
    this.type = "";
    this.data = [];
    if (had) this.onEvent(type, data, this.lastEventId);
  }
}

// Reads a response body through the parser until the stream ends (resolves) or fails or is
// aborted (rejects). Bytes are decoded as UTF-8 across chunk boundaries; a byte order mark at
// the start is dropped.
export async function pump(body, parser) {
  const reader = body.getReader();
  const decoder = new TextDecoder("utf-8");
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(decoder.decode());
  } finally {
    reader.releaseLock();
  }
}
