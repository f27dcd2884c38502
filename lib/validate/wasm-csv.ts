/**
 * The CSV reader's plain-record path as one WebAssembly function, emitted byte by byte here (no
 * toolchain, no binary in the repository). It parses a run of newline-terminated records into
 * column-major slots: numbers, integers and the generators' timestamps as float64 values exactly as
 * scan-csv.ts's fast grammars give them, text fields as codes from per-column tables of labels it has
 * been taught (a label not there yet goes back as start, length and FNV-1a hash, for the reader's
 * dictionary to code and the kernel to learn). It stops before the first
 * record it cannot vouch for (a carriage return, a missing or extra field, a number outside the fast
 * grammar, anything else) and the JavaScript reader judges that record; so for every record it
 * accepts, its values are the ones the JavaScript fast path gives, bit for bit.
 *
 * Why WebAssembly: the module is compiled before it runs, so a 10 MB file is not read by the
 * interpreter while the JIT warms up, and the byte loops run without bounds checks.
 */
import { F64, I32, I64, f64Bytes, sleb, uleb, wasmApi, wasmModuleBytes, type WasmMemory, type WasmModule } from "../util/wasm.js";

/** Column kinds as the kernel knows them (the order of scan-csv.ts's Kind). */
export const WASM_KIND = { float: 0, int: 1, bool: 2, time: 3, text: 4 } as const;

/** Why the kernel stopped. */
export const WASM_STOP = { end: 0, anomaly: 1, capacity: 2 } as const;

/** Slots per column of the kernel's table of known text labels (at most half are filled). */
const DICT_SLOTS = 4096;

/** Bytes per column for the label bytes the table points at. */
const DICT_ARENA_BYTES = 1 << 16;

/** Text code the kernel writes for a label its table does not hold: the reader's dictionary decides. */
const UNRESOLVED = -2;

const COMMA = 44;
const NEWLINE = 10;

/** A tiny structured assembler: named blocks and loops, so branch depths are computed, not counted. */
class Asm {
  readonly code: number[] = [];
  private readonly labels: string[] = [];

  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  get(local: number): this {
    return this.op(0x20, ...uleb(local));
  }
  set(local: number): this {
    return this.op(0x21, ...uleb(local));
  }
  tee(local: number): this {
    return this.op(0x22, ...uleb(local));
  }
  i32(v: number): this {
    return this.op(0x41, ...sleb(v | 0));
  }
  f64(v: number): this {
    return this.op(0x44, ...f64Bytes(v));
  }
  /** i32.load8_u at the address on the stack plus offset. */
  byte(offset = 0): this {
    return this.op(0x2d, 0, ...uleb(offset));
  }
  /** The byte at local + offset. */
  byteAt(local: number, offset = 0): this {
    return this.get(local).byte(offset);
  }
  loadI32(offset = 0): this {
    return this.op(0x28, 2, ...uleb(offset));
  }
  storeI32(offset = 0): this {
    return this.op(0x36, 2, ...uleb(offset));
  }
  loadF64(offset = 0): this {
    return this.op(0x2b, 3, ...uleb(offset));
  }
  storeF64(offset = 0): this {
    return this.op(0x39, 3, ...uleb(offset));
  }
  block(label: string, body: () => void): this {
    this.op(0x02, 0x40);
    this.labels.push(label);
    body();
    this.labels.pop();
    return this.op(0x0b);
  }
  loop(label: string, body: () => void): this {
    this.op(0x03, 0x40);
    this.labels.push(label);
    body();
    this.labels.pop();
    return this.op(0x0b);
  }
  if(then: () => void, otherwise?: () => void): this {
    this.op(0x04, 0x40);
    this.labels.push("");
    then();
    if (otherwise) {
      this.op(0x05);
      otherwise();
    }
    this.labels.pop();
    return this.op(0x0b);
  }
  private depth(label: string): number {
    const i = this.labels.lastIndexOf(label);
    if (i < 0) throw new Error(`wasm-csv: no label ${label}`);
    return this.labels.length - 1 - i;
  }
  br(label: string): this {
    return this.op(0x0c, ...uleb(this.depth(label)));
  }
  brIf(label: string): this {
    return this.op(0x0d, ...uleb(this.depth(label)));
  }
}

// Opcodes used below (WebAssembly MVP).
const I32_EQZ = 0x45;
const I32_EQ = 0x46;
const I32_NE = 0x47;
const I32_LT_S = 0x48;
const I32_GT_S = 0x4a;
const I32_GT_U = 0x4b;
const I32_LE_S = 0x4c;
const I32_LE_U = 0x4d;
const I32_GE_S = 0x4e;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_MUL = 0x6c;
const I32_DIV_S = 0x6d;
const I32_REM_S = 0x6f;
const I32_AND = 0x71;
const I32_OR = 0x72;
const I32_XOR = 0x73;
const I32_SHL = 0x74;
const F64_EQ = 0x61;
const F64_LT = 0x63;
const F64_GT = 0x64;
const F64_NEG = 0x9a;
const F64_ADD = 0xa0;
const F64_MUL = 0xa2;
const F64_DIV = 0xa3;
const F64_CONVERT_I32_S = 0xb7;
const F64_CONVERT_I64_S = 0xb9;
const I64_CONST = 0x42;
const I64_ADD = 0x7c;
const I64_MUL = 0x7e;
const I64_EXTEND_I32_U = 0xad;
const SELECT = 0x1b;
const RETURN = 0x0f;

/**
 * scan(inp, len, ncol, kinds, out, cap, hashes, codes, dict, tables, state, list) -> records parsed.
 * inp..inp+len: bytes whose last byte is a newline (plus 32 readable bytes after). kinds: i32 per
 * column. cap <= WASM_CSV_BATCH. out: float64 slots, column k's record r at
 * out + (k*WASM_CSV_BATCH + r)*8. Text: the i32 code at codes + (k*WASM_CSV_BATCH + r)*4 (-1 empty,
 * UNRESOLVED when the label is not in the column's table, whose address is the i32 at dict + k*4
 * (DICT_SLOTS entries of 16 bytes: hash, code (-1: empty), address of the bytes, length); then the slot in
 * out holds i32 start relative to inp and i32 length, hashes + (k*WASM_CSV_BATCH + r)*4 the FNV-1a
 * hash, and (k, r) is appended to list, counted in state[2]). tables: 23 float64 powers of ten, then
 * at +192 twelve i32 days per month. state: receives the offset where parsing stopped, the WASM_STOP
 * reason and the unresolved count.
 */
function scanBody(): number[] {
  const [inp, len, ncol, kinds, out, cap, hashes, codes, dict, tables, state, list] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  let next = 12;
  const L = (): number => next++;
  const pos = L();
  const p = L();
  const q = L();
  const r = L();
  const k = L();
  const kind = L();
  const c = L();
  const h = L();
  const slot = L();
  const d = L();
  const digits = L();
  const frac = L();
  const e = L();
  const exp = L();
  const ed = L();
  const neg = L();
  const reason = L();
  const j = L();
  const plen = L();
  const pstart = L();
  const y = L();
  const mo = L();
  const dd = L();
  const hh = L();
  const mi = L();
  const ss = L();
  const ms = L();
  const yy = L();
  const era = L();
  const yoe = L();
  const days = L();
  const tbl = L();
  const numI32 = next - 12;
  const m = next++;
  const v = next++;
  // The mantissa's digits accumulate in an i64 (a short dependency chain); it is exact wherever the
  // kernel keeps the value (at most 15 digits), and converts to the same double JavaScript builds.
  const mant = next++;
  const a = new Asm();

  /** Stop before the current record: why, and leave the record loop. */
  const stop = (why: number): void => {
    a.i32(why).set(reason).br("stop");
  };
  /** Push (local - 48) <=u 9: the byte in `local` is a digit. */
  const isDigit = (local: number): void => {
    a.get(local).i32(48).op(I32_SUB).i32(9).op(I32_LE_U);
  };
  /** Push whether the byte in c ends a field (comma or newline). */
  const endsField = (): void => {
    a.get(c).i32(COMMA).op(I32_EQ).get(c).i32(NEWLINE).op(I32_EQ).op(I32_OR);
  };
  /** Two digits at p + offset into `into`, or stop (anomaly) when either is not a digit. */
  const twoDigits = (offset: number, into: number): void => {
    a.byteAt(p, offset).set(c);
    isDigit(c);
    a.byteAt(p, offset + 1).set(d);
    isDigit(d);
    a.op(I32_AND, I32_EQZ).if(() => stop(WASM_STOP.anomaly));
    a.get(c).i32(48).op(I32_SUB).i32(10).op(I32_MUL).get(d).i32(48).op(I32_SUB).op(I32_ADD).set(into);
  };
  /** Stop (anomaly) unless the byte at p + offset is `expected`. */
  const expectByte = (offset: number, expected: number): void => {
    a.byteAt(p, offset).i32(expected).op(I32_NE).if(() => stop(WASM_STOP.anomaly));
  };
  /** Stop (anomaly) when the i32 condition on the stack holds. */
  const anomalyIf = (): void => {
    a.if(() => stop(WASM_STOP.anomaly));
  };
  /** An optional sign at q: `negative` = 1 after a minus, 0 otherwise; q moves past it. */
  const sign = (negative: number): void => {
    a.i32(0).set(negative);
    a.byteAt(q).tee(c).i32(45).op(I32_EQ).if(
      () => {
        a.i32(1).set(negative).get(q).i32(1).op(I32_ADD).set(q);
      },
      () => {
        a.get(c).i32(43).op(I32_EQ).if(() => {
          a.get(q).i32(1).op(I32_ADD).set(q);
        });
      },
    );
  };
  /** Address of column k's slot of record r: out + (k*cap + r)*8, into `slot`. */
  const slotAddress = (): void => {
    a.get(k).i32(WASM_CSV_BATCH).op(I32_MUL).get(r).op(I32_ADD).i32(3).op(I32_SHL).get(out).op(I32_ADD).set(slot);
  };

  const number = (): void => {
    // Sign, then digits with at most one point (m holds every digit, frac where the point was).
    a.get(p).set(q);
    sign(neg);
    a.op(I64_CONST, 0).set(mant).i32(0).set(digits).i32(-1).set(frac);
    a.block("digitsDone", () => {
      a.loop("digits", () => {
        a.byteAt(q).tee(c);
        a.i32(48).op(I32_SUB).tee(d).i32(9).op(I32_LE_U).if(
          () => {
            a.get(mant).op(I64_CONST, 10).op(I64_MUL).get(d).op(I64_EXTEND_I32_U).op(I64_ADD).set(mant);
            a.get(digits).i32(1).op(I32_ADD).set(digits);
            a.get(q).i32(1).op(I32_ADD).set(q);
            a.br("digits");
          },
          () => {
            a.get(c).i32(46).op(I32_EQ).get(frac).i32(0).op(I32_LT_S).op(I32_AND).if(() => {
              a.get(digits).set(frac);
              a.get(q).i32(1).op(I32_ADD).set(q);
              a.br("digits");
            });
          },
        );
      });
    });
    a.get(digits).op(I32_EQZ);
    anomalyIf();
    // e = frac < 0 ? 0 : frac - digits
    a.i32(0).get(frac).get(digits).op(I32_SUB).get(frac).i32(0).op(I32_LT_S).op(SELECT).set(e);
    endsField();
    a.op(I32_EQZ).if(() => {
      // An exponent: e or E, an optional sign, at least one digit, then the end of the field.
      a.get(c).i32(101).op(I32_NE).get(c).i32(69).op(I32_NE).op(I32_AND);
      anomalyIf();
      a.get(q).i32(1).op(I32_ADD).set(q);
      sign(j);
      a.i32(0).set(exp).i32(0).set(ed);
      a.block("expDone", () => {
        a.loop("exp", () => {
          a.byteAt(q).i32(48).op(I32_SUB).tee(d).i32(9).op(I32_GT_U).brIf("expDone");
          a.get(exp).i32(100000).op(I32_LT_S).if(() => {
            a.get(exp).i32(10).op(I32_MUL).get(d).op(I32_ADD).set(exp);
          });
          a.get(ed).i32(1).op(I32_ADD).set(ed);
          a.get(q).i32(1).op(I32_ADD).set(q);
          a.br("exp");
        });
      });
      a.get(ed).op(I32_EQZ);
      anomalyIf();
      a.byteAt(q).set(c);
      endsField();
      a.op(I32_EQZ);
      anomalyIf();
      // e += eneg ? -exp : exp
      a.get(e).i32(0).get(exp).op(I32_SUB).get(exp).get(j).op(SELECT).op(I32_ADD).set(e);
    });
    // Clinger's fast path only: more digits or a larger exponent go to the JavaScript reader.
    a.get(digits).i32(15).op(I32_GT_S).get(e).i32(-22).op(I32_LT_S).op(I32_OR).get(e).i32(22).op(I32_GT_S).op(I32_OR);
    anomalyIf();
    a.get(mant).op(F64_CONVERT_I64_S).set(m);
    a.get(m).f64(0).op(F64_EQ).if(
      () => {
        a.f64(0).set(v);
      },
      () => {
        a.get(e).i32(0).op(I32_GE_S).if(
          () => {
            a.get(m).get(e).i32(3).op(I32_SHL).get(tables).op(I32_ADD).loadF64().op(F64_MUL).set(v);
          },
          () => {
            a.get(m).i32(0).get(e).op(I32_SUB).i32(3).op(I32_SHL).get(tables).op(I32_ADD).loadF64().op(F64_DIV).set(v);
          },
        );
      },
    );
    a.get(neg).if(() => {
      a.get(v).op(F64_NEG).set(v);
    });
    a.get(slot).get(v).storeF64();
    a.get(q).set(p);
  };

  const integer = (): void => {
    a.get(p).set(q);
    sign(neg);
    a.f64(0).set(v).i32(0).set(digits);
    a.block("intDone", () => {
      a.loop("int", () => {
        a.byteAt(q).i32(48).op(I32_SUB).tee(d).i32(9).op(I32_GT_U).brIf("intDone");
        a.get(v).f64(10).op(F64_MUL).get(d).op(F64_CONVERT_I32_S).op(F64_ADD).set(v);
        a.get(digits).i32(1).op(I32_ADD).set(digits);
        a.get(q).i32(1).op(I32_ADD).set(q);
        a.br("int");
      });
    });
    a.get(digits).op(I32_EQZ).get(digits).i32(10).op(I32_GT_S).op(I32_OR);
    anomalyIf();
    a.byteAt(q).set(c);
    endsField();
    a.op(I32_EQZ);
    anomalyIf();
    a.get(neg).if(() => {
      a.get(v).op(F64_NEG).set(v);
    });
    a.get(v).f64(-2147483648).op(F64_LT).get(v).f64(2147483647).op(F64_GT).op(I32_OR);
    anomalyIf();
    a.get(slot).get(v).storeF64();
    a.get(q).set(p);
  };

  const timestamp = (): void => {
    // Exactly 2026-01-01T00:00:00.000Z, then the end of the field.
    for (const [offset, ch] of [
      [4, 45],
      [7, 45],
      [10, 84],
      [13, 58],
      [16, 58],
      [19, 46],
      [23, 90],
    ] as const)
      expectByte(offset, ch);
    twoDigits(0, y);
    twoDigits(2, yy);
    twoDigits(5, mo);
    twoDigits(8, dd);
    twoDigits(11, hh);
    twoDigits(14, mi);
    twoDigits(17, ss);
    twoDigits(20, ms);
    a.byteAt(p, 22).i32(48).op(I32_SUB).tee(d).i32(9).op(I32_GT_U);
    anomalyIf();
    a.byteAt(p, 24).set(c);
    endsField();
    a.op(I32_EQZ);
    anomalyIf();
    a.get(y).i32(100).op(I32_MUL).get(yy).op(I32_ADD).set(y);
    a.get(ms).i32(10).op(I32_MUL).get(d).op(I32_ADD).set(ms);
    // Ranges: month 1-12, day >= 1, hour <= 23, minute and second <= 59.
    a.get(mo).i32(1).op(I32_LT_S).get(mo).i32(12).op(I32_GT_S).op(I32_OR).get(dd).i32(1).op(I32_LT_S).op(I32_OR);
    a.get(hh).i32(23).op(I32_GT_S).op(I32_OR).get(mi).i32(59).op(I32_GT_S).op(I32_OR).get(ss).i32(59).op(I32_GT_S).op(I32_OR);
    anomalyIf();
    // Day within the month (February 29 in leap years: divisible by 4, and not by 100 unless by 400).
    a.get(dd);
    a.get(mo).i32(1).op(I32_SUB).i32(2).op(I32_SHL).get(tables).op(I32_ADD).loadI32(192);
    a.get(mo).i32(2).op(I32_EQ);
    a.get(y).i32(4).op(I32_REM_S).op(I32_EQZ).op(I32_AND);
    a.get(y).i32(100).op(I32_REM_S).i32(0).op(I32_NE).get(y).i32(400).op(I32_REM_S).op(I32_EQZ).op(I32_OR).op(I32_AND);
    a.op(I32_ADD).op(I32_GT_S);
    anomalyIf();
    // daysFromCivil: yy = y - (mo <= 2); era = floor(yy / 400); yoe = yy - 400 era; ...
    a.get(y).get(mo).i32(2).op(I32_LE_S).op(I32_SUB).set(yy);
    a.get(yy).get(yy).i32(399).op(I32_SUB).get(yy).i32(0).op(I32_GE_S).op(SELECT).i32(400).op(I32_DIV_S).set(era);
    a.get(yy).get(era).i32(400).op(I32_MUL).op(I32_SUB).set(yoe);
    // doy = (153 (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + dd - 1, into j
    a.get(mo).i32(-3).i32(9).get(mo).i32(2).op(I32_GT_S).op(SELECT).op(I32_ADD).i32(153).op(I32_MUL).i32(2).op(I32_ADD).i32(5).op(I32_DIV_S);
    a.get(dd).op(I32_ADD).i32(1).op(I32_SUB).set(j);
    // doe = yoe*365 + yoe/4 - yoe/100 + doy; days = era*146097 + doe - 719468
    a.get(yoe).i32(365).op(I32_MUL).get(yoe).i32(4).op(I32_DIV_S).op(I32_ADD).get(yoe).i32(100).op(I32_DIV_S).op(I32_SUB).get(j).op(I32_ADD);
    a.get(era).i32(146097).op(I32_MUL).op(I32_ADD).i32(719468).op(I32_SUB).set(days);
    a.get(days).op(F64_CONVERT_I32_S).f64(86_400_000).op(F64_MUL);
    a.get(hh).i32(3_600_000).op(I32_MUL).get(mi).i32(60_000).op(I32_MUL).op(I32_ADD).get(ss).i32(1000).op(I32_MUL).op(I32_ADD).get(ms).op(I32_ADD);
    a.op(F64_CONVERT_I32_S).op(F64_ADD).set(v);
    a.get(slot).get(v).storeF64();
    a.get(p).i32(24).op(I32_ADD).set(p);
  };

  const text = (): void => {
    // To the next comma or newline, hashing (FNV-1a, as scan-csv.ts); a carriage return stops.
    a.get(p).set(q).i32(0x811c9dc5).set(h);
    a.block("textDone", () => {
      a.loop("text", () => {
        a.byteAt(q).tee(c).i32(COMMA).op(I32_EQ).brIf("textDone");
        a.get(c).i32(NEWLINE).op(I32_EQ).brIf("textDone");
        a.get(c).i32(13).op(I32_EQ);
        anomalyIf();
        a.get(h).get(c).op(I32_XOR).i32(0x01000193).op(I32_MUL).set(h);
        a.get(q).i32(1).op(I32_ADD).set(q);
        a.br("text");
      });
    });
    a.get(q).get(p).op(I32_SUB).set(plen);
    // The code from this column's table of known labels (open addressing on the hash; entries of
    // 16 bytes: hash, code, address of the label's bytes, length; code -1 marks an empty slot).
    a.i32(-1).set(j);
    a.get(plen).if(() => {
      a.i32(UNRESOLVED).set(j);
      a.get(k).i32(2).op(I32_SHL).get(dict).op(I32_ADD).loadI32().set(tbl);
      a.get(h).i32(DICT_SLOTS - 1).op(I32_AND).set(e);
      a.block("probeDone", () => {
        a.loop("probe", () => {
          a.get(tbl).get(e).i32(4).op(I32_SHL).op(I32_ADD).tee(d);
          a.loadI32(4).i32(-1).op(I32_EQ).brIf("probeDone");
          a.get(d).loadI32().get(h).op(I32_EQ).get(d).loadI32(12).get(plen).op(I32_EQ).op(I32_AND).if(() => {
            a.get(d).loadI32(8).set(pstart);
            a.block("cmpDone", () => {
              a.i32(0).set(exp);
              a.loop("cmp", () => {
                a.get(exp).get(plen).op(I32_GE_S).if(() => {
                  // Every byte equal: this entry's code.
                  a.get(d).loadI32(4).set(j).br("probeDone");
                });
                a.get(pstart).get(exp).op(I32_ADD).byte().get(p).get(exp).op(I32_ADD).byte().op(I32_NE).brIf("cmpDone");
                a.get(exp).i32(1).op(I32_ADD).set(exp);
                a.br("cmp");
              });
            });
          });
          a.get(e).i32(1).op(I32_ADD).i32(DICT_SLOTS - 1).op(I32_AND).set(e);
          a.br("probe");
        });
      });
    });
    a.get(k).i32(WASM_CSV_BATCH).op(I32_MUL).get(r).op(I32_ADD).i32(2).op(I32_SHL).tee(d).get(codes).op(I32_ADD).get(j).storeI32();
    a.get(j).i32(UNRESOLVED).op(I32_EQ).if(() => {
      // Unknown here: the reader's dictionary decides; the field's place, length and hash go with it.
      a.get(d).get(hashes).op(I32_ADD).get(h).storeI32();
      a.get(slot).get(p).get(inp).op(I32_SUB).storeI32();
      a.get(slot).get(plen).storeI32(4);
      a.get(state).loadI32(8).tee(e).i32(3).op(I32_SHL).get(list).op(I32_ADD).tee(d).get(k).storeI32();
      a.get(d).get(r).storeI32(4);
      a.get(state).get(e).i32(1).op(I32_ADD).storeI32(8);
    });
    a.get(q).set(p);
  };

  a.get(inp).set(pos).i32(0).set(r).i32(WASM_STOP.end).set(reason);
  a.get(state).i32(0).storeI32(8);
  a.get(len).get(inp).op(I32_ADD).set(len); // len becomes the end address
  a.block("stop", () => {
    a.loop("record", () => {
      a.get(pos).get(len).op(I32_GE_S).if(() => stop(WASM_STOP.end));
      a.get(r).get(cap).op(I32_GE_S).if(() => stop(WASM_STOP.capacity));
      // A blank line goes to the JavaScript reader (which quarantines it).
      a.byteAt(pos).i32(NEWLINE).op(I32_EQ);
      anomalyIf();
      a.get(pos).set(p).i32(0).set(k);
      a.loop("field", () => {
        a.get(k).if(() => {
          a.byteAt(p).i32(COMMA).op(I32_NE);
          anomalyIf();
          a.get(p).i32(1).op(I32_ADD).set(p);
        });
        a.get(k).i32(2).op(I32_SHL).get(kinds).op(I32_ADD).loadI32().set(kind);
        slotAddress();
        a.get(kind).i32(WASM_KIND.text).op(I32_EQ).if(
          () => text(),
          () => {
            a.byteAt(p).set(c);
            endsField();
            a.if(
              () => {
                // An empty field: null.
                a.get(slot).f64(NaN).storeF64();
              },
              () => {
                a.get(kind).i32(WASM_KIND.float).op(I32_EQ).if(
                  () => number(),
                  () => {
                    a.get(kind).i32(WASM_KIND.int).op(I32_EQ).if(
                      () => integer(),
                      () => {
                        a.get(kind).i32(WASM_KIND.time).op(I32_EQ).if(
                          () => timestamp(),
                          () => stop(WASM_STOP.anomaly),
                        );
                      },
                    );
                  },
                );
              },
            );
          },
        );
        a.get(k).i32(1).op(I32_ADD).tee(k).get(ncol).op(I32_LT_S).brIf("field");
      });
      // The record must end right after its last field.
      a.byteAt(p).i32(NEWLINE).op(I32_NE);
      anomalyIf();
      a.get(r).i32(1).op(I32_ADD).set(r);
      a.get(p).i32(1).op(I32_ADD).set(pos);
      a.br("record");
    });
  });
  a.get(state).get(pos).get(inp).op(I32_SUB).storeI32();
  a.get(state).get(reason).storeI32(4);
  a.get(r).op(RETURN);
  a.op(0x0b);
  const locals = [...uleb(3), ...uleb(numI32), I32, ...uleb(2), F64, ...uleb(1), I64];
  return [...locals, ...a.code];
}

/** Bytes of the module (exported function "scan"). */
export function csvModuleBytes(): Uint8Array {
  return wasmModuleBytes([{ name: "scan", params: new Array(12).fill(I32), result: I32, body: scanBody() }], { shared: false, minimumPages: 1 });
}

type ScanFn = (inp: number, len: number, ncol: number, kinds: number, out: number, cap: number, hashes: number, codes: number, dict: number, tables: number, state: number, list: number) => number;

let compiled: WasmModule | null | undefined;

/** The compiled module, or null where WebAssembly is unavailable or the module fails to compile. */
function module(): WasmModule | null {
  if (compiled === undefined) {
    try {
      compiled = wasmApi ? new wasmApi.Module(csvModuleBytes()) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

const POW10 = Array.from({ length: 23 }, (_, i) => i).map((i) => {
  let x = 1;
  for (let j = 0; j < i; j++) x *= 10;
  return x;
});
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether the kernel compiles here (tests assert it does under Node, so a broken module cannot hide behind the fallback). */
export function wasmCsvAvailable(): boolean {
  return module() !== null;
}

/** Bytes of input the kernel takes per call. */
export const WASM_CSV_WINDOW = 1 << 16;

/** Records per call (the output slots per column). */
export const WASM_CSV_BATCH = 4096;

/**
 * One reader's kernel instance: its own memory laid out for `ncol` columns of the given kinds.
 * `run` copies a byte range ending in a newline into the input window and parses it.
 */
export class WasmCsvKernel {
  private readonly memory: WasmMemory;
  private readonly fn: ScanFn;
  private readonly inp: number;
  private readonly out: number;
  private readonly hashes: number;
  private readonly codes: number;
  private readonly dict: number;
  /** Per column: the address of its label table and of its arena (-1 for columns that are not text). */
  private readonly tableOf: Int32Array;
  private readonly arenaOf: Int32Array;
  private readonly list: number;
  private readonly tables: number;
  private readonly kinds: number;
  private readonly state: number;
  readonly ncol: number;
  private readonly bytes: Uint8Array;
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;
  /** Per column: labels in its table, arena bytes used, and which codes it already holds. */
  private readonly filled: Int32Array;
  private readonly arenaUsed: Int32Array;
  private readonly held: Set<number>[];

  private constructor(mod: WasmModule, kinds: Int32Array) {
    const ncol = kinds.length;
    this.ncol = ncol;
    const align = (x: number): number => (x + 63) & ~63;
    this.tables = 0;
    this.state = 256;
    this.kinds = 320;
    // Label tables and arenas only for the text columns.
    const text = Array.from(kinds).flatMap((kind, k) => (kind === WASM_KIND.text ? [k] : []));
    this.dict = align(this.kinds + 4 * ncol);
    this.hashes = align(this.dict + 4 * ncol);
    this.codes = align(this.hashes + 4 * ncol * WASM_CSV_BATCH);
    this.list = align(this.codes + 4 * ncol * WASM_CSV_BATCH);
    const tables = align(this.list + 8 * ncol * WASM_CSV_BATCH);
    this.tableOf = new Int32Array(ncol).fill(-1);
    this.arenaOf = new Int32Array(ncol).fill(-1);
    text.forEach((k, i) => {
      this.tableOf[k] = tables + i * 16 * DICT_SLOTS;
      this.arenaOf[k] = tables + text.length * 16 * DICT_SLOTS + i * DICT_ARENA_BYTES;
    });
    this.out = align(tables + text.length * (16 * DICT_SLOTS + DICT_ARENA_BYTES));
    this.inp = align(this.out + 8 * ncol * WASM_CSV_BATCH);
    // 64 readable bytes after the window: the timestamp check looks up to 24 bytes ahead.
    const total = this.inp + WASM_CSV_WINDOW + 64;
    this.memory = new wasmApi!.Memory({ initial: Math.ceil(total / 65536) });
    const instance = new wasmApi!.Instance(mod, { env: { memory: this.memory } });
    this.fn = instance.exports.scan as ScanFn;
    this.bytes = new Uint8Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
    this.f64.set(POW10, this.tables / 8);
    this.i32.set(DAYS_IN_MONTH, (this.tables + 192) / 4);
    this.i32.set(kinds, this.kinds / 4);
    this.i32.set(this.tableOf, this.dict / 4);
    for (const k of text) this.i32.fill(-1, this.tableOf[k] / 4, (this.tableOf[k] + 16 * DICT_SLOTS) / 4);
    this.filled = new Int32Array(ncol);
    this.arenaUsed = new Int32Array(ncol);
    this.held = Array.from({ length: ncol }, () => new Set<number>());
  }

  /** A kernel for these column kinds, or null (no WebAssembly, or a kind it does not parse: bool). */
  static create(kinds: Int32Array): WasmCsvKernel | null {
    if (kinds.length === 0 || kinds.some((k) => k !== WASM_KIND.float && k !== WASM_KIND.int && k !== WASM_KIND.time && k !== WASM_KIND.text)) return null;
    const mod = module();
    if (mod === null) return null;
    try {
      return new WasmCsvKernel(mod, kinds);
    } catch {
      return null;
    }
  }

  /** Records parsed from src[start, end) (end - start <= WASM_CSV_WINDOW, src[end - 1] a newline), at most `cap`. */
  run(src: Uint8Array, start: number, end: number, cap: number): { records: number; stoppedAt: number; reason: number; unresolved: number } {
    this.bytes.set(src.subarray(start, end), this.inp);
    this.bytes.fill(0, this.inp + (end - start), this.inp + (end - start) + 64);
    const records = this.fn(this.inp, end - start, this.ncol, this.kinds, this.out, Math.min(cap, WASM_CSV_BATCH), this.hashes, this.codes, this.dict, this.tables, this.state, this.list);
    const s = this.state / 4;
    return { records, stoppedAt: start + this.i32[s], reason: this.i32[s + 1], unresolved: this.i32[s + 2] };
  }

  /** Column k's values of the last run's first `records` records (a view into the kernel's memory). */
  values(k: number, records: number): Float64Array {
    const at = this.out / 8 + k * WASM_CSV_BATCH;
    return this.f64.subarray(at, at + records);
  }

  /** Column k's text codes of the last run (-1 empty, UNRESOLVED: see `unresolvedAt`). */
  textCodes(k: number, records: number): Int32Array {
    const at = this.codes / 4 + k * WASM_CSV_BATCH;
    return this.i32.subarray(at, at + records);
  }

  /** The i-th unresolved text field of the last run: column, record, start (relative to the run's start), length, hash. */
  unresolvedAt(i: number): { column: number; record: number; start: number; length: number; hash: number } {
    const e = this.list / 4 + 2 * i;
    const column = this.i32[e];
    const record = this.i32[e + 1];
    const slot = this.out / 4 + 2 * (column * WASM_CSV_BATCH + record);
    return { column, record, start: this.i32[slot], length: this.i32[slot + 1], hash: this.i32[this.hashes / 4 + column * WASM_CSV_BATCH + record] };
  }

  /**
   * Teach column k's table that `bytes` (hashed as `hash`) is label `code`, so later records resolve
   * it in the kernel; a full table or arena just keeps resolving through the caller.
   */
  learn(k: number, code: number, bytes: Uint8Array, hash: number): void {
    const held = this.held[k];
    if (held.has(code) || this.filled[k] * 2 >= DICT_SLOTS || this.arenaUsed[k] + bytes.length > DICT_ARENA_BYTES) return;
    const address = this.arenaOf[k] + this.arenaUsed[k];
    this.bytes.set(bytes, address);
    this.arenaUsed[k] += bytes.length;
    let slot = hash & (DICT_SLOTS - 1);
    const base = this.tableOf[k] / 4;
    while (this.i32[base + slot * 4 + 1] !== -1) slot = (slot + 1) & (DICT_SLOTS - 1);
    const e = base + slot * 4;
    this.i32[e] = hash;
    this.i32[e + 2] = address;
    this.i32[e + 3] = bytes.length;
    this.i32[e + 1] = code;
    this.filled[k]++;
    held.add(code);
  }
}
