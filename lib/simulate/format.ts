/**
 * CSV and JSONL bytes for column chunks. Values are printed straight into a reusable byte buffer
 * (digits by integer arithmetic, timestamps by civil-calendar arithmetic), because building one string
 * per value made the garbage collector the bottleneck at tens of millions of values. The output is
 * identical to printing each value with String(v) / Date#toISOString, so the same chunk always gives
 * the same bytes.
 */
import type { AnyChunk, ColumnArray, ColumnSpec, TableSchema } from "./table.js";

/** Quote a CSV field when RFC 4180 requires it. */
export function csvEscape(text: string): string {
  if (/[",\r\n]/.test(text)) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

const NEWLINE = 10;
const QUOTE = 34;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const encoder = new TextEncoder();

/** A growable byte buffer with number printers. */
class ByteSink {
  buf = new Uint8Array(1 << 16);
  pos = 0;
  private readonly scratch = new Uint8Array(24);

  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  ascii(text: string): void {
    this.ensure(text.length);
    for (let i = 0; i < text.length; i++) this.buf[this.pos++] = text.charCodeAt(i);
  }

  /** Print a non-negative integer below 2^53. */
  uint(a: number): void {
    if (a < 10) {
      this.buf[this.pos++] = ZERO + a;
      return;
    }
    const s = this.scratch;
    let n = 0;
    while (a > 0) {
      const q = Math.floor(a / 10);
      s[n++] = ZERO + (a - q * 10);
      a = q;
    }
    while (n > 0) this.buf[this.pos++] = s[--n];
  }

  /** Print an integer left-padded with zeros to `width` digits. */
  padded(a: number, width: number): void {
    for (let p = width - 1; p >= 0; p--) {
      const q = Math.floor(a / 10);
      this.buf[this.pos + p] = ZERO + (a - q * 10);
      a = q;
    }
    this.pos += width;
  }

  int(v: number): void {
    if (v < 0) {
      this.buf[this.pos++] = MINUS;
      this.uint(-v);
    } else this.uint(v);
  }

  /** Print v as String(v) would, fast when v is an exact multiple of 10^-decimals. */
  quantized(v: number, decimals: number, scale: number): void {
    const m = Math.round(v * scale);
    // String(v) switches to exponent notation below 1e-6, so those take the slow path too.
    if (m / scale !== v || m > 9e15 || m < -9e15 || (v !== 0 && v < 1e-6 && v > -1e-6)) {
      this.ascii(String(v));
      return;
    }
    let a = m;
    if (m < 0) {
      this.buf[this.pos++] = MINUS;
      a = -m;
    }
    const ip = Math.floor(a / scale);
    let fp = a - ip * scale;
    this.uint(ip);
    if (fp === 0) return;
    let digits = decimals;
    while (fp % 10 === 0) {
      fp /= 10;
      digits--;
    }
    this.buf[this.pos++] = DOT;
    this.padded(fp, digits);
  }

  /** Print epoch milliseconds as Date#toISOString would (years 0000-9999). */
  isoTimestamp(ms: number): void {
    if (!(ms >= -62167219200000 && ms <= 253402300799999)) {
      this.ascii(new Date(ms).toISOString());
      return;
    }
    const days = Math.floor(ms / 86_400_000);
    let rem = ms - days * 86_400_000;
    // Days to civil date (H. Hinnant's algorithm), valid for the proleptic Gregorian calendar.
    const z = days + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    const hour = Math.floor(rem / 3_600_000);
    rem -= hour * 3_600_000;
    const minute = Math.floor(rem / 60_000);
    rem -= minute * 60_000;
    const second = Math.floor(rem / 1000);
    const milli = rem - second * 1000;
    const b = this.buf;
    this.padded(year, 4);
    b[this.pos++] = MINUS;
    this.padded(month, 2);
    b[this.pos++] = MINUS;
    this.padded(day, 2);
    b[this.pos++] = 84; // T
    this.padded(hour, 2);
    b[this.pos++] = 58; // :
    this.padded(minute, 2);
    b[this.pos++] = 58;
    this.padded(second, 2);
    b[this.pos++] = DOT;
    this.padded(milli, 3);
    b[this.pos++] = 90; // Z
  }
}

type Printer = (sink: ByteSink, col: ColumnArray, i: number) => void;

function floatPrinter(spec: ColumnSpec, nullText: string): Printer {
  const nullBytes = encoder.encode(nullText);
  const d = spec.decimals;
  if (d !== undefined && Number.isInteger(d) && d >= 0 && d <= 8) {
    const scale = 10 ** d;
    return (s, col, i) => {
      const v = col[i];
      if (Number.isFinite(v)) s.quantized(v, d, scale);
      else s.bytes(nullBytes);
    };
  }
  return (s, col, i) => {
    const v = col[i];
    if (Number.isFinite(v)) s.ascii(String(v));
    else s.bytes(nullBytes);
  };
}

function printer(spec: ColumnSpec, json: boolean): Printer {
  switch (spec.type) {
    case "float64":
      return floatPrinter(spec, json ? "null" : "");
    case "int32":
      return (s, col, i) => s.int(col[i]);
    case "bool": {
      const t = encoder.encode("true");
      const f = encoder.encode("false");
      return (s, col, i) => s.bytes(col[i] === 1 ? t : f);
    }
    case "category": {
      const labels = spec.categories!.map((c) => encoder.encode(json ? JSON.stringify(c) : csvEscape(c)));
      return (s, col, i) => s.bytes(labels[col[i]]);
    }
    case "timestamp": {
      const nullBytes = encoder.encode(json ? "null" : "");
      return (s, col, i) => {
        const v = col[i];
        if (!Number.isFinite(v)) {
          s.bytes(nullBytes);
          return;
        }
        if (json) s.buf[s.pos++] = QUOTE;
        s.isoTimestamp(v);
        if (json) s.buf[s.pos++] = QUOTE;
      };
    }
  }
}

function maxWidth(spec: ColumnSpec): number {
  if (spec.type === "category") return Math.max(...spec.categories!.map((c) => encoder.encode(JSON.stringify(c)).length + 2));
  if (spec.type === "timestamp") return 40;
  return 32;
}

/** Turns chunks of one schema into bytes; the returned view is valid until the next call. */
export interface ChunkTextFormatter {
  /** Header bytes (the CSV header line; empty for JSONL). */
  header(): Uint8Array;
  /** The bytes of every row of a chunk, each line ending in "\n". */
  format(chunk: AnyChunk): Uint8Array;
}

function columnsOf(schema: TableSchema, chunk: AnyChunk): ColumnArray[] {
  return schema.columns.map((c) => {
    const col = chunk.columns[c.name];
    if (col === undefined) throw new Error(`chunk of ${schema.name} lacks column "${c.name}"`);
    if (col.length < chunk.length) throw new Error(`chunk of ${schema.name}: column "${c.name}" is shorter than the chunk`);
    return col;
  });
}

function makeFormatter(schema: TableSchema, json: boolean): ChunkTextFormatter {
  const printers = schema.columns.map((c) => printer(c, json));
  const prefixes = schema.columns.map((c, i) => encoder.encode(json ? (i === 0 ? "{" : ",") + JSON.stringify(c.name) + ":" : i === 0 ? "" : ","));
  let rowBytes = 2;
  schema.columns.forEach((c, i) => (rowBytes += maxWidth(c) + prefixes[i].length));
  const sink = new ByteSink();
  const n = printers.length;
  return {
    header: () => (json ? new Uint8Array(0) : encoder.encode(schema.columns.map((c) => csvEscape(c.name)).join(",") + "\n")),
    format(chunk) {
      const cols = columnsOf(schema, chunk);
      sink.pos = 0;
      for (let i = 0; i < chunk.length; i++) {
        sink.ensure(rowBytes);
        for (let c = 0; c < n; c++) {
          const p = prefixes[c];
          if (p.length === 1) sink.buf[sink.pos++] = p[0];
          else if (p.length > 0) sink.bytes(p);
          printers[c](sink, cols[c], i);
        }
        if (json) sink.buf[sink.pos++] = 125; // }
        sink.buf[sink.pos++] = NEWLINE;
      }
      return sink.buf.subarray(0, sink.pos);
    },
  };
}

/** A CSV formatter for a schema (header line, comma separated, LF line ends, empty field = null). */
export function csvFormatterFor(schema: TableSchema): ChunkTextFormatter {
  return makeFormatter(schema, false);
}

/** A JSON-lines formatter for a schema (one object per line, keys in schema order, NaN as null). */
export function jsonlFormatterFor(schema: TableSchema): ChunkTextFormatter {
  return makeFormatter(schema, true);
}

const decoder = new TextDecoder();

/** The whole CSV text (header included) of chunks held in memory. */
export function chunksToCsv(schema: TableSchema, chunks: Iterable<AnyChunk>): string {
  const f = csvFormatterFor(schema);
  let out = decoder.decode(f.header());
  for (const ch of chunks) out += decoder.decode(f.format(ch));
  return out;
}

/** The whole JSONL text of chunks held in memory. */
export function chunksToJsonl(schema: TableSchema, chunks: Iterable<AnyChunk>): string {
  const f = jsonlFormatterFor(schema);
  let out = "";
  for (const ch of chunks) out += decoder.decode(f.format(ch));
  return out;
}
