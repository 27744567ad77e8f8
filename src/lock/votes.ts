/**
 * Counting a quorum's votes as they arrive. Redlock asks every node and needs a majority; it
 * does not need every answer. The count is decided as soon as the outcome cannot change: a
 * majority for, or too many against for a majority ever to form. A hung node then costs
 * nothing while the others answer (defect 12 of issue 12: a contended caller used to wait for
 * the hung node's deadline).
 */

/**
 * How a count ended: `won` (a majority for), `lost` (a majority against), `failed` (too many
 * nodes failed for a majority to form either way), `split` (every node answered or failed,
 * none of the above).
 */
export type VoteOutcome = 'won' | 'lost' | 'failed' | 'split'

/** The count when it was decided. */
export interface Tally {
  readonly outcome: VoteOutcome
  /** Indexes of the nodes that voted for. */
  readonly for: readonly number[]
  /** Each node's reply, by index, when it answered before the decision. */
  readonly replies: readonly unknown[]
  /** Nodes that answered against. */
  readonly against: number
  /** Nodes that failed (errors, timeouts, open breakers). */
  readonly failed: number
}

/**
 * Ask `count` nodes (in parallel) and resolve once the outcome is decided: `won` with `quorum`
 * votes for; `lost` when more than `count - quorum` voted against; `failed` when more than
 * `count - quorum` failed; else `split` once every node answered or failed. Late answers are
 * ignored.
 */
export function countVotes(
  count: number,
  quorum: number,
  ask: (node: number) => Promise<unknown>,
  isFor: (reply: unknown) => boolean,
): Promise<Tally> {
  return new Promise((resolve) => {
    const votesFor: number[] = []
    const replies: unknown[] = []
    let against = 0
    let failed = 0
    let pending = count
    let decided = false
    const decide = (): void => {
      if (decided) return
      let outcome: VoteOutcome | undefined
      if (votesFor.length >= quorum) outcome = 'won'
      else if (against > count - quorum) outcome = 'lost'
      else if (failed > count - quorum) outcome = 'failed'
      else if (pending === 0) outcome = 'split'
      if (outcome === undefined) return
      decided = true
      resolve({ outcome, for: [...votesFor], replies: [...replies], against, failed })
    }
    for (let node = 0; node < count; node++) {
      ask(node).then(
        (reply) => {
          pending--
          replies[node] = reply
          if (isFor(reply)) votesFor.push(node)
          else against++
          decide()
        },
        () => {
          pending--
          failed++
          decide()
        },
      )
    }
  })
}
