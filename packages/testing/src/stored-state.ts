import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { sql } from "kysely";
import type { Database } from "@knitfab/db";

/**
 * Tables whose rows are the server's stored state. `garbage` is left out on purpose: it is the
 * queue of content to delete, and a refused upload hands its (already removed) folder to it.
 */
const STATE_TABLES = [
  "plan",
  "plan_resource",
  "plan_on_node",
  "plan_annotation",
  "input",
  "input_tag",
  "output",
  "output_tag",
  "run",
  "run_exit",
  "data",
  "data_tag",
  "assign",
  "worker",
  "nomination",
  "data_agent",
  "signing_key",
] as const;

/**
 * A comparable picture of everything a server stored: every row of its tables and every entry
 * (name, type, size) under its data folder. Two equal pictures mean a request changed nothing.
 */
export interface StoredState {
  /** rows as JSON texts, sorted, per table */
  tables: Record<string, string[]>;
  /** `path type-or-size` of every entry in the data store's folders (content, partial uploads, seals) */
  files: string[];
}

export async function storedState(database: Database, home: string): Promise<StoredState> {
  const tables: Record<string, string[]> = {};
  for (const table of STATE_TABLES) {
    const rows = await sql<{ row: string }>`SELECT to_jsonb(t)::text AS row FROM ${sql.table(table)} t`.execute(database.db);
    tables[table] = rows.rows.map((row) => row.row).sort();
  }
  // The store's own folders appear on first use; what counts is what is inside them.
  const files: string[] = [];
  for (const folder of ["data", ".partial", ".sealed"]) {
    for (const entry of await listTree(join(home, "data", folder))) files.push(`${folder}/${entry}`);
  }
  return { tables, files };
}

async function listTree(root: string): Promise<string[]> {
  const found: string[] = [];
  const visit = async (relative: string): Promise<void> => {
    const names = await readdir(join(root, relative)).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const path = relative === "" ? name : `${relative}/${name}`;
      const stats = await lstat(join(root, path));
      found.push(`${path} ${stats.isDirectory() ? "dir" : stats.isSymbolicLink() ? "link" : stats.size}`);
      if (stats.isDirectory()) await visit(path);
    }
  };
  await visit("");
  return found;
}
