import { expect } from 'chai'
import { setTimeout as delay } from 'node:timers/promises'
import { record } from '../support/events.js'
import { LocalCluster } from '../support/local-cluster.js'
import { uniquePrefix } from '../support/redis.js'
import { ClusterInstances } from './instances.js'

/**
 * A master that stays down (no replica to take over) while the shard subscriber retries it every
 * 100 ms: the cache reports the failure, not one `error` event per connection attempt.
 */
describe('Redis Cluster: shard subscriber errors while a master is down', function () {
  this.timeout(60_000)
  let cluster: LocalCluster
  const opened = new ClusterInstances()

  before(async () => {
    cluster = await LocalCluster.start({ masters: 3, replicas: 0, requireFullCoverage: false })
  })
  after(async () => {
    await opened.close()
    await cluster.stop()
  })

  it('reports a dead master a few times, not ten times a second', async () => {
    const cache = await opened.open(cluster, { prefix: uniquePrefix('storm'), l1: {} })
    await cache.ready()
    const errors = record(cache, 'error')
    await cluster.nodes[0]!.server.stop()
    await delay(3_000)
    const messages = errors.map((e) => e.error.message)
    // One for the dropped connection, one for the master that cannot be reached again.
    expect(errors.length, messages.join('\n')).to.be.at.most(3)
    expect((await cache.health()).subscriber.up).to.equal(false)
  })
})
