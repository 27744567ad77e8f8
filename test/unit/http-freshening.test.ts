import { expect } from 'chai'
import {
  conditionalHeaders,
  freshenedHeaders,
  validatorsOf,
} from '../../middleware/http/freshening.js'

/** RFC 9111 4.3: the validators a revalidation sends, the fields a 304 refreshes. */
describe('revalidation rules (RFC 9111 4.3)', () => {
  it('sends the origin validators it has, as If-None-Match and If-Modified-Since', () => {
    const lm = 'Wed, 01 Jan 2020 00:00:00 GMT'
    expect(validatorsOf({ 'content-type': 'text/plain' })).to.equal(undefined)
    expect(validatorsOf({ etag: '' })).to.equal(undefined)
    const both = validatorsOf({ etag: 'W/"a"', 'last-modified': lm })
    expect(both).to.deep.equal({ etag: 'W/"a"', lastModified: lm })
    expect(conditionalHeaders(both!)).to.deep.equal({
      'if-none-match': 'W/"a"',
      'if-modified-since': lm,
    })
    expect(conditionalHeaders({ lastModified: lm })).to.deep.equal({ 'if-modified-since': lm })
  })

  it('replaces the stored fields a 304 carries, except those describing the body, its ETag and Set-Cookie', () => {
    const stored = {
      'content-type': 'text/plain',
      'content-length': '5',
      'content-encoding': 'gzip',
      etag: '"abcdef"',
      'x-kept': 'stored',
      'cache-control': 'max-age=1',
      vary: ['accept', 'origin'],
    }
    const notModified = {
      'content-type': 'text/plain;charset=utf-8',
      'content-length': '0',
      'content-encoding': 'br',
      'content-range': 'bytes 0-1/2',
      'content-md5': 'x',
      etag: '"ghijkl"',
      'set-cookie': ['a=c'],
      'cache-control': 'max-age=3600',
      'x-new': 'new',
    }
    expect(freshenedHeaders(stored, notModified)).to.deep.equal({
      'content-type': 'text/plain;charset=utf-8',
      'content-length': '5',
      'content-encoding': 'gzip',
      etag: '"abcdef"',
      'x-kept': 'stored',
      'cache-control': 'max-age=3600',
      vary: ['accept', 'origin'],
      'x-new': 'new',
    })
  })

  it('never shares arrays with its inputs', () => {
    const stored = { vary: ['a'] }
    const merged = freshenedHeaders(stored, {})
    ;(merged['vary'] as string[]).push('b')
    expect(stored.vary).to.deep.equal(['a'])
  })
})
