import { expect } from 'chai'
import { InvalidKeyError, InvalidOptionError } from '../../src/errors.js'
import { Keyspace, MAX_ENCODED_KEY_LENGTH } from '../../src/entries/keyspace.js'
import { globToRegExp } from '../../src/store/glob.js'

/** The hash tag Redis Cluster would use for a key name. */
function hashTag(name: string): string {
  const start = name.indexOf('{')
  const end = name.indexOf('}', start + 1)
  return start >= 0 && end > start + 1 ? name.slice(start + 1, end) : name
}

describe('Keyspace', () => {
  const keys = new Keyspace('app')

  it('lays out value, fence and lock keys under one hash tag', () => {
    const entry = keys.entry('users', 'user:1')
    expect(entry.value).to.equal('app:v:{users:user:1}')
    expect(entry.fence).to.equal('app:f:{users:user:1}')
    expect(entry.lock).to.equal('app:l:{users:user:1}')
    expect(hashTag(entry.fence)).to.equal(hashTag(entry.value))
    expect(hashTag(entry.lock)).to.equal(hashTag(entry.value))
  })

  it('gives a key the same names every time, also after its memo was dropped', () => {
    const fresh = new Keyspace('memo')
    const first = fresh.entry('ns', 'hot')
    expect(fresh.entry('ns', 'hot')).to.equal(first)
    expect(fresh.entry('other', 'hot').value).to.equal('memo:v:{other:hot}')
    // Far more distinct keys than the memo holds: it is dropped and rebuilt, names never change.
    for (let i = 0; i < 5_000; i++)
      expect(fresh.entry('ns', `k${i}`).value).to.equal(`memo:v:{ns:k${i}}`)
    expect(fresh.entry('ns', 'hot')).to.deep.equal(first)
    expect(() => fresh.entry('ns', '')).to.throw(InvalidKeyError)
    expect(() => fresh.entry('ns', '')).to.throw(InvalidKeyError)
  })

  it('keeps one hash tag even when the key holds braces', () => {
    for (const key of ['}', '{', '{}', 'a}b{c', '}{x']) {
      const entry = keys.entry('n{s}', key)
      expect(hashTag(entry.value)).to.equal(hashTag(entry.fence))
      expect(hashTag(entry.value)).to.not.include('{')
      expect(entry.value.endsWith('}')).to.equal(true)
    }
  })

  it('never maps two different (namespace, key) pairs to one key', () => {
    const pairs: [string, string][] = [
      ['users', 'x'],
      ['usersX', ''],
      ['users:x', 'y'],
      ['users', 'x:y'],
      ['a:b', 'c'],
      ['a', 'b:c'],
      ['a%3Ab', 'c'],
      ['a', '%'],
      ['a', '%25'],
      ['a', '}'],
      ['a', '%7D'],
      ['a}', 'b'],
      ['a', '}b'],
      ['ns', 'k'.repeat(MAX_ENCODED_KEY_LENGTH + 1)],
      ['ns', `%H${'0'.repeat(64)}`],
    ]
    const seen = new Map<string, string>()
    for (const [ns, key] of pairs) {
      if (key === '') continue
      const name = keys.entry(ns, key).value
      expect(seen.has(name), `${ns}/${key} collides with ${seen.get(name)}`).to.equal(false)
      seen.set(name, `${ns}/${key}`)
    }
  })

  it('hashes over-long keys to a bounded length', () => {
    const long = 'x'.repeat(10_000)
    const name = keys.entry('ns', long).value
    expect(name.length).to.be.lessThan(120)
    expect(keys.entry('ns', long).value).to.equal(name)
    expect(keys.entry('ns', `${long}y`).value).to.not.equal(name)
  })

  it('matches a namespace and nothing beside it', () => {
    const pattern = globToRegExp(keys.namespacePattern('users'))
    expect(pattern.test(keys.entry('users', 'a').value)).to.equal(true)
    expect(pattern.test(keys.entry('users', 'a').fence)).to.equal(true)
    expect(pattern.test(keys.entry('users', 'a').lock)).to.equal(false)
    expect(pattern.test(keys.entry('usersX', 'a').value)).to.equal(false)
    expect(pattern.test(keys.entry('users:x', 'a').value)).to.equal(false)
    expect(pattern.test(keys.entry('user', 's:a').value)).to.equal(false)
    expect(pattern.test(new Keyspace('appX').entry('users', 'a').value)).to.equal(false)
  })

  it('treats glob characters of user input literally, except * and ?', () => {
    const pattern = globToRegExp(keys.keyPattern('ns', 'user:[1]*'))
    expect(pattern.test(keys.entry('ns', 'user:[1]42').value)).to.equal(true)
    expect(pattern.test(keys.entry('ns', 'user:1').value)).to.equal(false)
    const literal = globToRegExp(keys.keyPattern('n*', 'a\\b?'))
    expect(literal.test(keys.entry('n*', 'a\\bc').value)).to.equal(true)
    expect(literal.test(keys.entry('nX', 'a\\bc').value)).to.equal(false)
  })

  it('maps value and fence names back to their entry', () => {
    const entry = keys.entry('ns', 'k')
    expect(keys.entryOf(entry.value)).to.deep.equal(entry)
    expect(keys.entryOf(entry.fence)).to.deep.equal(entry)
    expect(keys.entryOf(entry.lock)).to.equal(undefined)
    expect(keys.entryOf('other:v:{ns:k}')).to.equal(undefined)
    expect(keys.namespaceOf(entry.value)).to.equal('ns')
    expect(keys.namespaceOf(keys.entry('a:b', 'k').value)).to.equal('a:b')
  })

  it('rejects unusable keys, namespaces, tags and prefixes with clear errors', () => {
    expect(() => keys.entry('ns', '')).to.throw(InvalidKeyError, 'non-empty string')
    expect(() => keys.entry('ns', 42 as unknown as string)).to.throw(InvalidKeyError)
    expect(() => keys.entry('', 'k')).to.throw(InvalidKeyError, 'namespace')
    expect(() => keys.entry('n'.repeat(129), 'k')).to.throw(InvalidKeyError, 'at most 128')
    expect(() => keys.tagSet('')).to.throw(InvalidKeyError, 'tags')
    expect(() => keys.keyPattern('ns', '')).to.throw(InvalidKeyError, 'pattern')
    expect(() => new Keyspace('a{b')).to.throw(InvalidOptionError, 'braces')
    expect(() => new Keyspace('')).to.throw(InvalidOptionError)
  })
})
