#!/usr/bin/env node
// Fails (exit 1, naming the cycles found: one at least whenever there is one) when the workspace packages under packages/ depend on one
// another in a cycle, devDependencies included: a package's tests that need a package depending back
// on it are a cycle too (the build order, and what a change can break, stop being one-way).
// Usage: node scripts/check-workspace-cycles.mjs [repository root]; its test keeps it so.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const DEPENDENCY_FIELDS = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"];

/** Every package under `root`/packages, by name, with the workspace packages it depends on (any field). */
export function workspaceGraph(root) {
  const folder = join(root, "packages");
  const manifests = readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(folder, entry.name, "package.json")))
    .map((entry) => JSON.parse(readFileSync(join(folder, entry.name, "package.json"), "utf8")));
  const names = new Set(manifests.map((manifest) => manifest.name));
  const graph = new Map();
  for (const manifest of manifests) {
    const needs = new Set(DEPENDENCY_FIELDS.flatMap((field) => Object.keys(manifest[field] ?? {})).filter((name) => names.has(name)));
    graph.set(manifest.name, [...needs].sort());
  }
  return graph;
}

/**
 * Cycles of a dependency graph (one per back edge of a depth-first walk, so at least one whenever the
 * graph has any), each as the packages along it with the first one repeated at the end.
 */
export function findCycles(graph) {
  const cycles = [];
  const done = new Set();
  const path = [];
  const visit = (name) => {
    path.push(name);
    for (const next of graph.get(name) ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) cycles.push([...path.slice(at), next]);
      else if (!done.has(next)) visit(next);
    }
    path.pop();
    done.add(name);
  };
  for (const name of [...graph.keys()].sort()) if (!done.has(name)) visit(name);
  return cycles;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(process.argv[2] ?? fileURLToPath(new URL("..", import.meta.url)));
  const cycles = findCycles(workspaceGraph(root));
  for (const cycle of cycles) console.error(`dependency cycle between workspace packages: ${cycle.join(" → ")}`);
  if (cycles.length > 0) process.exit(1);
  console.log("workspace packages: no dependency cycle");
}
