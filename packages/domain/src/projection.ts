// Projection's rule (spec/model.md §7): a run for every combination of nominated Data. The
// specification the set-based SQL of packages/db/src/projection/project.ts is checked against
// (packages/db/src/nominations/matching-spec.test.ts).
/** Every combination taking one element from each set, lazily, in lexicographic order of positions. */
export function* cartesianProductIterator<T>(sets: readonly (readonly T[])[]): Generator<T[]> {
  if (sets.some((set) => set.length === 0)) return;
  const positions = sets.map(() => 0);
  for (;;) {
    yield positions.map((p, i) => (sets[i] as readonly T[])[p] as T);
    // advance like an odometer, last set fastest
    let i = sets.length - 1;
    while (i >= 0) {
      const next = (positions[i] as number) + 1;
      if (next < (sets[i] as readonly T[]).length) {
        positions[i] = next;
        break;
      }
      positions[i] = 0;
      i -= 1;
    }
    if (i < 0) return;
  }
}

/** Every combination taking one element from each set. No sets ⇒ one empty combination; an empty set ⇒ none. */
export function cartesianProduct<T>(sets: readonly (readonly T[])[]): T[][] {
  return [...cartesianProductIterator(sets)];
}
