import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CsvRecordParser, parseCsvText, type CsvRecord } from "../../lib/validate/csv-parser.js";
import { csvEscape } from "../../lib/simulate/format.js";

const fields = (text: string): string[][] => parseCsvText(text).map((r) => r.fields);

describe("RFC 4180 parsing", () => {
  it("handles quotes, escaped quotes, embedded commas and newlines, CRLF", () => {
    expect(fields('a,b\r\n"x,1","say ""hi"""\r\n"multi\nline",z\n')).toEqual([
      ["a", "b"],
      ["x,1", 'say "hi"'],
      ["multi\nline", "z"],
    ]);
  });

  it("numbers records by the physical line they start on", () => {
    const recs = parseCsvText('h1,h2\n"a\nb",c\nd,e\n');
    expect(recs.map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it("reports an unterminated last line and an unterminated quote without throwing", () => {
    const recs = parseCsvText('a,b\n1,2\n3,"unclosed');
    expect(recs[2]).toMatchObject({ line: 3, terminated: false, error: "unterminated quoted field" });
    const cut = parseCsvText("a,b\n1,2\n3");
    expect(cut[2]).toMatchObject({ fields: ["3"], terminated: false });
    expect(cut[2].error).toBeUndefined();
  });

  it("flags stray quotes and text after a closing quote", () => {
    expect(parseCsvText('a,b"c\n')[0].error).toMatch(/stray quote/);
    expect(parseCsvText('"a"b,c\n')[0].error).toMatch(/after closing quote/);
  });

  it("gives the same records however the text is split into pushes (property)", () => {
    const cell = fc.string({ unit: fc.constantFrom("a", "b", ",", '"', "\n", "\r\n", " ", "1") });
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (rows, cuts) => {
        const text = rows.map((r) => r.map(csvEscape).join(",")).join("\n") + "\n";
        const whole = parseCsvText(text);
        expect(whole.map((r) => r.fields)).toEqual(rows);
        const p = new CsvRecordParser();
        const got: CsvRecord[] = [];
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        let prev = 0;
        for (const c of points) {
          p.push(text.slice(prev, c), (r) => got.push(r));
          prev = c;
        }
        p.push(text.slice(prev), (r) => got.push(r));
        p.end((r) => got.push(r));
        expect(got).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });
});
