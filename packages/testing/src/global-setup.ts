// Global setup for vitest: nothing shared yet; per-file helpers start their own databases.
export default function setup(): void {}
