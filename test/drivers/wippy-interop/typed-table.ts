/**
 * An AMQP field-table reader that keeps each value's wire type, for tests
 * that must see what went over the wire, not what amqplib makes of it
 * (amqplib reads every integer width, and doubles, as a plain JS number).
 *
 * Numbers come back in amqplib's own typed notation, `{ '!': type, value }`,
 * with the type named as amqplib names it when writing: `int8`, `uint8`,
 * `int16`, `uint16`, `int32`, `uint32`, `int64`, `float`, `double`,
 * `timestamp`. Strings, booleans, bytes, void, arrays and nested tables
 * come back as amqplib gives them, so a client using this reader still
 * works (amqplib's handshake reads strings and booleans from tables).
 */

/** A number read from a table, with its AMQP type. */
export interface WireNumber {
  readonly '!': 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float' | 'double' | 'timestamp';
  readonly value: number;
}

/** Whether `v` is a {@link WireNumber}. */
export function isWireNumber(v: unknown): v is WireNumber {
  return typeof v === 'object' && v !== null && '!' in v && typeof (v as { value?: unknown }).value === 'number';
}

/** Reads the fields of a table (the bytes after its 4-byte length). */
export function decodeTypedFields(slice: Buffer): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  let offset = 0;
  while (offset < slice.length) {
    const len = slice.readUInt8(offset);
    offset++;
    const key = slice.toString('utf8', offset, offset + len);
    offset += len;
    const [value, next] = readValue(slice, offset);
    fields[key] = value;
    offset = next;
  }
  return fields;
}

function readValue(b: Buffer, at: number): [unknown, number] {
  const tag = String.fromCharCode(b[at]!);
  const o = at + 1;
  const n = (type: WireNumber['!'], value: number, size: number): [unknown, number] => [{ '!': type, value }, o + size];
  switch (tag) {
    case 't':
      return [b[o] !== 0, o + 1];
    case 'b':
      return n('int8', b.readInt8(o), 1);
    case 'B':
      return n('uint8', b.readUInt8(o), 1);
    case 's':
      return n('int16', b.readInt16BE(o), 2);
    case 'u':
      return n('uint16', b.readUInt16BE(o), 2);
    case 'I':
      return n('int32', b.readInt32BE(o), 4);
    case 'i':
      return n('uint32', b.readUInt32BE(o), 4);
    case 'l':
      return n('int64', Number(b.readBigInt64BE(o)), 8);
    case 'f':
      return n('float', b.readFloatBE(o), 4);
    case 'd':
      return n('double', b.readDoubleBE(o), 8);
    case 'T':
      return n('timestamp', Number(b.readBigUInt64BE(o)), 8);
    case 'D':
      return [{ '!': 'decimal', value: { places: b[o]!, digits: b.readUInt32BE(o + 1) } }, o + 5];
    case 'S': {
      const len = b.readUInt32BE(o);
      return [b.toString('utf8', o + 4, o + 4 + len), o + 4 + len];
    }
    case 'x': {
      const len = b.readUInt32BE(o);
      return [b.subarray(o + 4, o + 4 + len), o + 4 + len];
    }
    case 'V':
      return [null, o];
    case 'F': {
      const len = b.readUInt32BE(o);
      return [decodeTypedFields(b.subarray(o + 4, o + 4 + len)), o + 4 + len];
    }
    case 'A': {
      const len = b.readUInt32BE(o);
      const end = o + 4 + len;
      const items: unknown[] = [];
      let p = o + 4;
      while (p < end) {
        const [v, next] = readValue(b, p);
        items.push(v);
        p = next;
      }
      return [items, end];
    }
    default:
      throw new TypeError(`unknown field type tag "${tag}"`);
  }
}
