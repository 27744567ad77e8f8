import { expect } from 'chai'
import { decodeEnvelope, encodeEnvelope, peekEnvelope } from '../../src/codec/envelope.js'
import { typedJsonSerializer as serializer } from '../../src/codec/default-serializer.js'
import { EntryCodec } from '../../src/entries/entry-codec.js'
import { CorruptEntryError, SerializationError } from '../../src/errors.js'

const roundTrip = (value: unknown): unknown =>
  serializer.deserialize(Buffer.from(serializer.serialize(value)))

describe('typed JSON serializer', () => {
  it('round-trips plain JSON values through bare JSON', () => {
    for (const value of [
      null,
      true,
      false,
      0,
      1.5,
      -3,
      'text',
      '',
      [],
      {},
      [1, 'a', null],
      { a: { b: [1, 2] } },
    ]) {
      const bytes = Buffer.from(serializer.serialize(value))
      expect(bytes[0]).to.equal(0x4a)
      expect(roundTrip(value)).to.deep.equal(value)
    }
  })

  it('round-trips every non-JSON type exactly', () => {
    const date = new Date('2024-05-06T07:08:09.010Z')
    expect(roundTrip(undefined)).to.equal(undefined)
    expect(roundTrip(Number.NaN)).to.be.NaN
    expect(roundTrip(Number.POSITIVE_INFINITY)).to.equal(Number.POSITIVE_INFINITY)
    expect(roundTrip(Number.NEGATIVE_INFINITY)).to.equal(Number.NEGATIVE_INFINITY)
    expect(Object.is(roundTrip(-0), -0)).to.equal(true)
    expect(roundTrip(12345678901234567890123n)).to.equal(12345678901234567890123n)
    expect(roundTrip(-5n)).to.equal(-5n)
    const revivedDate = roundTrip(date) as Date
    expect(revivedDate).to.be.instanceOf(Date)
    expect(revivedDate.getTime()).to.equal(date.getTime())
    expect(Number.isNaN((roundTrip(new Date(Number.NaN)) as Date).getTime())).to.equal(true)
    expect(
      roundTrip(
        new Map<unknown, unknown>([
          ['a', 1],
          [2, 'b'],
        ]),
      ),
    ).to.deep.equal(
      new Map<unknown, unknown>([
        ['a', 1],
        [2, 'b'],
      ]),
    )
    expect(roundTrip(new Set([1, 'x', null]))).to.deep.equal(new Set([1, 'x', null]))
  })

  it('keeps binary data as raw bytes, Buffer as Buffer and Uint8Array as Uint8Array', () => {
    const bytes = Buffer.from([0, 255, 254, 128, 10, 13, 0x22])
    const out = roundTrip({ bytes, view: new Uint8Array([1, 2, 3]) }) as {
      bytes: Buffer
      view: Uint8Array
    }
    expect(Buffer.isBuffer(out.bytes)).to.equal(true)
    expect(out.bytes.equals(bytes)).to.equal(true)
    expect(Buffer.isBuffer(out.view)).to.equal(false)
    expect(out.view).to.be.instanceOf(Uint8Array)
    expect([...out.view]).to.deep.equal([1, 2, 3])
    const big = Buffer.alloc(10_000, 7)
    const encoded = Buffer.from(serializer.serialize(big))
    expect(encoded.length).to.be.lessThan(10_100) // raw, not base64 or number arrays
  })

  it('round-trips nested mixtures and keeps undefined properties and array slots', () => {
    const value = {
      list: [undefined, 1, new Map([['d', new Date(0)]]), new Set([new Uint8Array([9])])],
      when: new Date(1_000),
      nested: { missing: undefined, big: 2n ** 70n, nan: Number.NaN },
      deep: [[[{ x: Number.NEGATIVE_INFINITY }]]],
    }
    const out = roundTrip(value) as typeof value
    expect(out).to.deep.equal(value)
    expect(Object.keys(out.nested)).to.deep.equal(['missing', 'big', 'nan'])
    expect(out.list.length).to.equal(4)
    expect(0 in out.list).to.equal(true)
  })

  it('never confuses user data with its own tags', () => {
    const tricky = [
      { $t: 'd', v: '2020-01-01T00:00:00.000Z' },
      { $t: 'u' },
      { $$t: 'x', $t: 'b', o: 0, n: 1 },
      { $$$t: 1 },
    ]
    expect(roundTrip(tricky)).to.deep.equal(tricky)
    expect(roundTrip({ when: new Date(5), data: tricky })).to.deep.equal({
      when: new Date(5),
      data: tricky,
    })
    expect(roundTrip(new Map([['k', { $t: 'm', v: [] }]]))).to.deep.equal(
      new Map([['k', { $t: 'm', v: [] }]]),
    )
  })

  it('is safe against prototype pollution', () => {
    const payload = Buffer.concat([
      Buffer.from('J'),
      Buffer.from('{"__proto__":{"polluted":true},"a":1}'),
    ])
    const out = serializer.deserialize(payload) as Record<string, unknown>
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined)
    expect(Object.getPrototypeOf(out)).to.equal(Object.prototype)
    expect(Object.hasOwn(out, '__proto__')).to.equal(true)
    const withTags = roundTrip(
      JSON.parse('{"__proto__":{"polluted":true},"d":null,"$t":1}'),
    ) as Record<string, unknown>
    expect(({} as Record<string, unknown>)['polluted']).to.equal(undefined)
    expect(Object.getPrototypeOf(withTags)).to.equal(Object.prototype)
    const tagged = roundTrip(JSON.parse('{"__proto__":{"x":1},"when":null}')) as Record<
      string,
      unknown
    >
    expect(Object.getPrototypeOf(tagged)).to.equal(Object.prototype)
    const taggedDate = roundTrip({
      ...JSON.parse('{"__proto__":{"y":2}}'),
      when: new Date(1),
    }) as Record<string, unknown>
    expect(Object.getPrototypeOf(taggedDate)).to.equal(Object.prototype)
    expect(({} as Record<string, unknown>)['y']).to.equal(undefined)
  })

  it('uses toJSON like JSON does, and rejects what it cannot represent', () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON(): string {
        return `${this.cents / 100} EUR`
      }
    }
    expect(roundTrip({ price: new Money(250) })).to.deep.equal({ price: '2.5 EUR' })
    expect(() => serializer.serialize(() => 1)).to.throw(SerializationError)
    expect(() => serializer.serialize({ f: () => 1 })).to.throw(SerializationError, 'property "f"')
    expect(() => serializer.serialize(Symbol('s'))).to.throw(SerializationError)
    expect(() => serializer.serialize(new Float64Array(2))).to.throw(
      SerializationError,
      'Float64Array',
    )
    const cycle: Record<string, unknown> = {}
    cycle['self'] = cycle
    expect(() => serializer.serialize(cycle)).to.throw(SerializationError, 'circular')
    const shared = { s: 1 }
    expect(roundTrip([shared, shared])).to.deep.equal([{ s: 1 }, { s: 1 }])
  })

  it('rejects corrupt payloads with a typed error', () => {
    const good = Buffer.from(serializer.serialize({ when: new Date(1), bytes: Buffer.from('abc') }))
    const corruptions = [
      Buffer.alloc(0),
      Buffer.from('Z{}'),
      Buffer.from('J{"a":'),
      good.subarray(0, 8),
      Buffer.concat([Buffer.from('T'), Buffer.from([0, 0, 0, 200]), Buffer.from('{}')]),
      Buffer.concat([
        Buffer.from('T'),
        Buffer.from([0, 0, 0, 25]),
        Buffer.from('{"$t":"b","o":0,"n":99}'),
      ]),
      Buffer.concat([Buffer.from('T'), Buffer.from([0, 0, 0, 12]), Buffer.from('{"$t":"zz"}')]),
      Buffer.concat([
        Buffer.from('T'),
        Buffer.from([0, 0, 0, 18]),
        Buffer.from('{"$t":"i","v":"x"}'),
      ]),
    ]
    for (const bytes of corruptions) {
      expect(() => serializer.deserialize(bytes), bytes.toString()).to.throw(CorruptEntryError)
    }
  })
})

describe('entry envelope', () => {
  const meta = {
    createdAt: 1_700_000_000_000,
    freshUntil: 1_700_000_030_000,
    staleUntil: 1_700_000_090_000,
    fence: 1_764_000_000_123_456,
    kind: 'value' as const,
    codec: 'tj1',
    tags: ['match:42', 'a b,c%'],
  }

  it('round-trips metadata and payload bytes', () => {
    const payload = Buffer.from([0, 1, 2, 10, 255])
    const decoded = decodeEnvelope(encodeEnvelope(meta, payload))
    const { payload: out, ...rest } = decoded
    expect(rest).to.deep.equal(meta)
    expect(out.equals(payload)).to.equal(true)
    expect(peekEnvelope(encodeEnvelope(meta, payload))).to.deep.equal({
      freshUntil: meta.freshUntil,
      kind: 'value',
    })
  })

  it('keeps the header readable without decoding the value (what Lua reads)', () => {
    const text = encodeEnvelope({ ...meta, tags: [] }, Buffer.from('J{}')).toString('latin1')
    expect(text).to.match(
      /^HL1 1700000000000 1700000030000 1700000090000 1764000000123456 v tj1 -\n/,
    )
  })

  it('rejects foreign and corrupt entries with a typed error', () => {
    const good = encodeEnvelope(meta, Buffer.from('J1'))
    const bad = [
      Buffer.from('hello'),
      Buffer.from('{"value":1}'),
      Buffer.from('HL1 1 2 3 4 v tj1 -'),
      Buffer.from('HL1 1 2 3 v tj1 -\nJ1'),
      Buffer.from('HL1 x 2 3 4 v tj1 -\nJ1'),
      Buffer.from('HL1 1 2 3 4 q tj1 -\nJ1'),
      Buffer.from('HL1 1 2 3 4 v t$1 -\nJ1'),
      Buffer.from('HL1 1 2 3 4 v tj1 %E0%A4%A\nJ1'),
      good.subarray(0, 20),
    ]
    for (const bytes of bad)
      expect(() => decodeEnvelope(bytes), bytes.toString()).to.throw(CorruptEntryError)
  })

  it('treats entries written by another serializer as corrupt (a miss), never misreads them', () => {
    const codec = new EntryCodec(serializer)
    const other = new EntryCodec({ name: 'other', serialize: () => 'x', deserialize: () => 'x' })
    const parts = other.encode('v', { ...meta, kind: 'value' })
    const bytes = Buffer.concat([parts.head, Buffer.from('1'), parts.tail])
    expect(() => codec.decode(bytes)).to.throw(CorruptEntryError, 'serializer "other"')
    expect(other.decode(bytes).value).to.equal('x')
  })

  it('wraps serializer failures in typed errors', () => {
    const broken = new EntryCodec({
      name: 'broken',
      serialize: () => {
        throw new Error('nope')
      },
      deserialize: () => {
        throw new Error('nope')
      },
    })
    expect(() => broken.encode(1, { ...meta })).to.throw(SerializationError, 'nope')
    const bytes = encodeEnvelope({ ...meta, codec: 'broken' }, Buffer.from('x'))
    expect(() => broken.decode(bytes)).to.throw(CorruptEntryError)
  })
})
