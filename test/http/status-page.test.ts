import { expect } from 'chai'
import express from 'express'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { createCache, MemoryStore, type Cache } from '../../src/index.js'
import { statusRouter, type StatusDocument } from '../../middleware/index.js'
import { findChromium } from '../support/chromium.js'

/** The machine has no network: without these, Chromium hangs on connections of its own. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const OUTPUT = 'test-output'

/** A figure as the page shows it, back to a number: "1,234" → 1234, "50.0%" → 0.5, "0.41 ms". */
function figure(text: string): number {
  const clean = text.replace(/,/g, '').trim()
  if (clean.endsWith('%')) return Number(clean.slice(0, -1)) / 100
  if (clean.endsWith(' ms')) return Number(clean.slice(0, -3))
  if (clean.endsWith(' s')) return Number(clean.slice(0, -2)) * 1_000
  return Number(clean)
}

/**
 * Half the display resolution of a latency the page shows: 3 decimals under 1 ms, 1 decimal
 * under 100 ms, whole ms under 1 s, then seconds with 2 decimals (a slow machine gets there).
 */
function shownTolerance(ms: number): number {
  return ms < 1 ? 0.0005 : ms < 100 ? 0.05 : ms < 1_000 ? 0.5 : 5
}

/** The part of a DOM element the page function below uses (the tests compile without DOM types). */
interface QueryRoot {
  querySelectorAll(selector: string): { length: number }
}

/**
 * Run a page function; if the page's own refresh replaced the document while it ran (Chromium:
 * "Execution context was destroyed"), run it again in the new document, a few times at most.
 */
async function inOneDocument<T>(page: Page, read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read()
    } catch (error) {
      if (attempt >= 5 || !/context was destroyed|navigat/i.test(String(error))) throw error
      await page.waitForLoadState('load')
    }
  }
}

async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).textContent()) ?? ''
}

describe('Status page in headless Chromium', function () {
  this.timeout(60_000)
  let context: BrowserContext
  let profile: string
  let cache: Cache
  let server: Server
  let base: string

  before(async () => {
    // The system's Chromium, else the one inside an npm package: never a skip.
    const browser = await findChromium()
    profile = mkdtempSync(join(tmpdir(), 'herdlock-chromium-profile-'))
    context = await chromium.launchPersistentContext(profile, {
      executablePath: browser.executablePath,
      env: browser.env,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1100, height: 800 },
    })
  })
  after(async () => {
    await context?.close()
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true })
  })

  beforeEach(async () => {
    cache = createCache({ store: new MemoryStore() })
    const app = express().use('/cache/status', statusRouter(cache, { refresh: '1s' }))
    server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cache/status`
  })
  afterEach(async () => {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
    await cache.close()
  })

  const json = async (): Promise<StatusDocument> =>
    (await (
      await fetch(base, { headers: { accept: 'application/json' } })
    ).json()) as StatusDocument

  it('shows the figures of the JSON document, fetches nothing else, and refreshes itself', async () => {
    for (let i = 0; i < 30; i++) await cache.set(`u${i}`, { i }, { namespace: 'users' })
    for (let i = 0; i < 40; i++) await cache.get(`u${i}`, { namespace: 'users' })
    for (let i = 0; i < 3; i++)
      await cache.cacheFn('table', () => [1, 2, 3], { namespace: 'tables' })
    const page = await context.newPage()
    const requests: string[] = []
    page.on('request', (r) => requests.push(r.url()))
    await page.goto(base)
    const doc = await json()

    expect(await text(page, '[data-field="status"]')).to.equal(doc.status)
    const total = (field: string) => text(page, `[data-scope="total"] [data-field="${field}"]`)
    expect(figure(await total('hits'))).to.equal(doc.stats.hits)
    expect(figure(await total('misses'))).to.equal(doc.stats.misses)
    expect(figure(await total('hitRatio'))).to.be.closeTo(doc.stats.hitRatio, 0.0005)
    const p95 = doc.stats.latency.hit.p95!
    expect(figure(await total('hitP95'))).to.be.closeTo(p95, shownTolerance(p95))
    for (const [name, s] of Object.entries(doc.stats.namespaces)) {
      const cell = (field: string) =>
        text(page, `tr[data-namespace="${name}"] [data-field="${field}"]`)
      expect(figure(await cell('hits')), `${name} hits`).to.equal(s.hits)
      expect(figure(await cell('misses')), `${name} misses`).to.equal(s.misses)
      expect(figure(await cell('hitRatio')), `${name} ratio`).to.be.closeTo(s.hitRatio, 0.0005)
      for (const q of ['p50', 'p95', 'p99'] as const) {
        const shown = figure(await cell(`hit${q.toUpperCase()}`))
        const actual = s.latency.hit[q]!
        expect(shown, `${name} hit ${q}`).to.be.closeTo(actual, shownTolerance(actual))
      }
    }
    expect(doc.stats.namespaces['users']).to.include({ hits: 30, misses: 10 })
    // The page reloads itself every second: count the rows inside one document (a bare count()
    // that lands between two documents sees none).
    const rows = await inOneDocument(page, () =>
      page
        .locator('tbody:has(tr[data-namespace])')
        .evaluate((body: QueryRoot) => body.querySelectorAll('tr[data-namespace]').length),
    )
    expect(rows).to.equal(2)
    expect(await text(page, 'tr[data-component="store (memory)"]')).to.include('up')

    mkdirSync(OUTPUT, { recursive: true })
    await page.screenshot({ path: join(OUTPUT, 'status-page.png'), fullPage: true })

    // More traffic, then the page's own refresh (1 s) shows it.
    for (let i = 0; i < 5; i++) await cache.get('u0', { namespace: 'users' })
    await page.waitForEvent('load', { timeout: 5_000 })
    const after = await json()
    expect(figure(await total('hits'))).to.equal(after.stats.hits)
    expect(after.stats.hits).to.equal(doc.stats.hits + 5)
    await page.close()
    expect(new Set(requests)).to.deep.equal(new Set([base]))
  })

  it('shows a down cache and why', async () => {
    await cache.close()
    const page = await context.newPage()
    await page.goto(base)
    expect(await text(page, '[data-field="status"]')).to.equal('down')
    expect(await text(page, '.problems')).to.include('cache: closed')
    expect(await page.title()).to.equal('Cache status: down')
    await page.close()
  })
})
