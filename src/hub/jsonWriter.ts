// JSON written as UTF-8 straight into one growing buffer (monitor frames): short ASCII pieces (separators, keys) are
// stored byte by byte in JS without a call into native code; longer or non-ASCII text goes through Buffer.write; bytes
// already encoded are copied.

/** Below this length a string is copied in JS; longer ones are handed to Buffer.write (one native call). */
const SHORT = 48;

export class JsonWriter {
  buf: Buffer;
  used = 0;

  constructor(initialBytes: number) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Room for n more bytes. */
  reserve(n: number): void {
    if (this.buf.length - this.used >= n) return;
    const grown = Buffer.allocUnsafe(Math.max(this.used + n, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
  }

  /** Text that is already JSON (or part of it), as UTF-8. */
  text(s: string): void {
    const n = s.length;
    if (n <= SHORT) {
      this.reserve(n);
      const b = this.buf;
      let u = this.used;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) return this.utf8(s);
        b[u++] = c;
      }
      this.used = u;
      return;
    }
    this.utf8(s);
  }

  /** Bytes that are already UTF-8 JSON, [start, end) of them. */
  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    this.reserve(n);
    if (Buffer.isBuffer(src)) src.copy(this.buf, this.used, start, end); // no view object made per copy
    else this.buf.set(start === 0 && end === src.length ? src : src.subarray(start, end), this.used);
    this.used += n;
  }

  /** What was written, as a buffer of its own; the writer starts again (and gives back memory beyond keepBytes). */
  take(keepBytes: number): Buffer {
    const out = Buffer.allocUnsafe(this.used);
    this.buf.copy(out, 0, 0, this.used);
    this.used = 0;
    if (this.buf.length > keepBytes) this.buf = Buffer.allocUnsafe(keepBytes);
    return out;
  }

  private utf8(s: string): void {
    this.reserve(s.length * 3); // UTF-8 needs at most 3 bytes per UTF-16 unit
    this.used += this.buf.write(s, this.used, 'utf8');
  }
}
