/**
 * The soak's data model: a bounded key set over three namespaces (one with
 * stale-while-revalidate), fixed tags per key, and the invalidation targets the traffic draws
 * from. `coveredKeys` says which keys a target reaches; the checker relies on it.
 */

/** A namespace of the key set and the cacheFn options its calls use. */
export interface NamespaceModel {
  readonly name: string
  readonly ttlMs: number
  readonly swrMs: number
}

export const NAMESPACES: readonly NamespaceModel[] = Object.freeze([
  { name: 'alpha', ttlMs: 2_000, swrMs: 0 },
  { name: 'beta', ttlMs: 1_500, swrMs: 1_500 },
  { name: 'gamma', ttlMs: 3_000, swrMs: 0 },
])

export const KEYS_PER_NAMESPACE = 6
export const TAG_COUNT = 3

/** What one soak invalidation removes. */
export type SoakTarget =
  | { readonly kind: 'key'; readonly namespace: string; readonly key: string }
  | { readonly kind: 'namespace'; readonly namespace: string }
  | { readonly kind: 'pattern'; readonly namespace: string; readonly pattern: string }
  | { readonly kind: 'tags'; readonly tags: readonly string[] }

/** Patterns the traffic uses: each reaches part of a namespace. */
export const PATTERNS: readonly string[] = ['even-*', 'odd-?', '*-1', 'even-?']

/** The key names of a namespace: even-0, odd-1, even-2, ... */
export function keyNames(): string[] {
  return Array.from(
    { length: KEYS_PER_NAMESPACE },
    (_, i) => `${i % 2 === 0 ? 'even' : 'odd'}-${i}`,
  )
}

/** Tags carried by a key name (by its index). */
export function tagsOf(key: string): string[] {
  const index = Number(key.slice(key.indexOf('-') + 1))
  return [`tag-${index % TAG_COUNT}`]
}

/** The id the history uses for a key: `namespace/key`. */
export function keyId(namespace: string, key: string): string {
  return `${namespace}/${key}`
}

/** Every key id of the model. */
export function allKeyIds(): string[] {
  return NAMESPACES.flatMap((ns) => keyNames().map((key) => keyId(ns.name, key)))
}

/** The key ids a target invalidates. */
export function coveredKeys(target: SoakTarget): string[] {
  switch (target.kind) {
    case 'key':
      return [keyId(target.namespace, target.key)]
    case 'namespace':
      return keyNames().map((key) => keyId(target.namespace, key))
    case 'pattern':
      return keyNames()
        .filter((key) => globMatch(target.pattern, key))
        .map((key) => keyId(target.namespace, key))
    case 'tags':
      return NAMESPACES.flatMap((ns) =>
        keyNames()
          .filter((key) => tagsOf(key).some((tag) => target.tags.includes(tag)))
          .map((key) => keyId(ns.name, key)),
      )
  }
}

/** A short description of a target, for the history and the report. */
export function describeTarget(target: SoakTarget): string {
  switch (target.kind) {
    case 'key':
      return `key ${keyId(target.namespace, target.key)}`
    case 'namespace':
      return `namespace ${target.namespace}`
    case 'pattern':
      return `pattern ${target.namespace}/${target.pattern}`
    case 'tags':
      return `tags ${target.tags.join(',')}`
  }
}

/** Glob with `*` (any run) and `?` (one character), as `invalidate({ pattern })` documents. */
export function globMatch(glob: string, text: string): boolean {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${source}$`, 's').test(text)
}
