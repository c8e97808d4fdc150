/** Past this many stored codes, tokens or log entries, the oldest go. */
export const STORE_LIMIT = 5000

/** Stores a value, forgetting the oldest entries once the map holds more than `STORE_LIMIT`. */
export function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.set(key, value)
  // Maps iterate in insertion order, so the first key is the oldest.
  for (const oldest of map.keys()) {
    if (map.size <= STORE_LIMIT) break
    map.delete(oldest)
  }
}
