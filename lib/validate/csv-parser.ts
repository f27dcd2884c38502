/**
 * A minimal streaming RFC 4180 record parser: comma separated, double-quoted fields with "" escapes,
 * quoted fields may span lines, LF or CRLF line ends. It never throws on malformed input; it reports
 * each record with the physical line it starts on and whether it was terminated, so the caller can
 * quarantine bad lines instead of losing them. (A well-kept parser such as csv-parse would do; it is not
 * a dependency of the project, so this file stays small and self-contained.)
 */

/** One parsed record. */
export interface CsvRecord {
  fields: string[];
  /** 1-based physical line where the record starts. */
  line: number;
  /** False for a last record with no line terminator (possibly truncated). */
  terminated: boolean;
  /** Set when the record is malformed (unterminated quote, stray quote). */
  error?: string;
}

/** Incremental CSV record parser: push text as it arrives, then call end(). */
export class CsvRecordParser {
  private buf = "";
  private line = 1;

  /** Parse as many complete records as `text` (appended to what is pending) allows. */
  push(text: string, onRecord: (record: CsvRecord) => void): void {
    this.buf = this.buf.length === 0 ? text : this.buf + text;
    this.drain(onRecord, false);
  }

  /** Flush the pending tail as a final (unterminated) record. */
  end(onRecord: (record: CsvRecord) => void): void {
    this.drain(onRecord, true);
    this.buf = "";
  }

  private drain(onRecord: (record: CsvRecord) => void, final: boolean): void {
    const buf = this.buf;
    let pos = 0;
    let nextQuote = buf.indexOf('"');
    while (pos < buf.length) {
      const nl = buf.indexOf("\n", pos);
      if (nextQuote !== -1 && nextQuote < pos) nextQuote = buf.indexOf('"', pos);
      if (nextQuote === -1 || (nl !== -1 && nextQuote > nl)) {
        // Fast path: no quote in this line.
        if (nl === -1) {
          if (!final) break;
          const text = buf.slice(pos);
          onRecord({ fields: text.split(","), line: this.line, terminated: false });
          pos = buf.length;
          break;
        }
        let end = nl;
        if (end > pos && buf.charCodeAt(end - 1) === 13) end--;
        onRecord({ fields: buf.slice(pos, end).split(","), line: this.line, terminated: true });
        this.line++;
        pos = nl + 1;
        continue;
      }
      const parsed = this.quoted(buf, pos, final);
      if (parsed === null) break;
      onRecord(parsed.record);
      this.line += parsed.lines;
      pos = parsed.next;
      nextQuote = buf.indexOf('"', pos);
    }
    this.buf = buf.slice(pos);
  }

  /**
   * Parse the one record that starts at `start` of `text` with the quote-aware rules (lines are
   * numbered from `line`); null when the record may continue past the end of `text` and `final` is false.
   */
  static recordAt(text: string, start: number, line: number, final: boolean): { record: CsvRecord; next: number; lines: number } | null {
    const p = new CsvRecordParser();
    p.line = line;
    return p.quoted(text, start, final);
  }

  /** Character-level parse of one record containing quotes; null when it needs more text. */
  private quoted(buf: string, start: number, final: boolean): { record: CsvRecord; next: number; lines: number } | null {
    const fields: string[] = [];
    let field = "";
    let i = start;
    let lines = 0;
    let error: string | undefined;
    for (;;) {
      if (i >= buf.length) {
        if (!final) return null;
        fields.push(field);
        return { record: { fields, line: this.line, terminated: false, error }, next: i, lines };
      }
      const ch = buf.charCodeAt(i);
      if (ch === 34 && field.length === 0 && (i === start || buf.charCodeAt(i - 1) === 44)) {
        // Quoted field: read to the closing quote.
        let j = i + 1;
        let text = "";
        for (;;) {
          const q = buf.indexOf('"', j);
          if (q === -1) {
            if (!final) return null;
            text += buf.slice(j);
            for (let k = j; k < buf.length; k++) if (buf.charCodeAt(k) === 10) lines++;
            fields.push(text);
            return { record: { fields, line: this.line, terminated: false, error: "unterminated quoted field" }, next: buf.length, lines };
          }
          for (let k = j; k < q; k++) if (buf.charCodeAt(k) === 10) lines++;
          text += buf.slice(j, q);
          if (q + 1 < buf.length && buf.charCodeAt(q + 1) === 34) {
            text += '"';
            j = q + 2;
            continue;
          }
          if (q + 1 >= buf.length && !final) return null;
          i = q + 1;
          break;
        }
        field = text;
        const after = i < buf.length ? buf.charCodeAt(i) : -1;
        if (after !== 44 && after !== 10 && after !== 13 && after !== -1) {
          error ??= `text after closing quote in field ${fields.length + 1}`;
        }
        continue;
      }
      if (ch === 44) {
        fields.push(field);
        field = "";
        i++;
        continue;
      }
      if (ch === 10 || (ch === 13 && i + 1 < buf.length && buf.charCodeAt(i + 1) === 10)) {
        fields.push(field);
        const next = ch === 13 ? i + 2 : i + 1;
        return { record: { fields, line: this.line, terminated: true, error }, next, lines: lines + 1 };
      }
      if (ch === 13 && i + 1 >= buf.length && !final) return null;
      if (ch === 34) error ??= `stray quote in field ${fields.length + 1}`;
      field += buf[i];
      i++;
    }
  }
}

/** Parse a whole CSV text into records (for small inputs and tests). */
export function parseCsvText(text: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  const p = new CsvRecordParser();
  p.push(text, (r) => out.push(r));
  p.end((r) => out.push(r));
  return out;
}
