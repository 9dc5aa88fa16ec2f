import { sql } from "kysely";
import { NotFoundError } from "@knitfab/domain";
import { notify, type Database, type Queryable } from "../database.js";
import { CHANNEL } from "../channels.js";
import { onlyUuids } from "../uuid.js";

async function lockImagePlan(q: Queryable, planId: string): Promise<void> {
  const [id] = onlyUuids([planId]);
  const row = id
    ? await sql<{ plan_id: string }>`SELECT plan_id FROM plan WHERE plan_id = ${id}::uuid AND image IS NOT NULL FOR UPDATE`.execute(q)
    : { rows: [] };
  if (row.rows.length === 0) throw new NotFoundError();
}

/**
 * Activation flips the plan's deactivated runs to waiting; deactivation flips waiting runs to
 * deactivated. Later states are untouched. Pseudo plans cannot be (de)activated: 404.
 */
export async function setPlanActive(database: Database, planId: string, active: boolean): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    await lockImagePlan(trx, planId);
    await sql`UPDATE plan SET active = ${active} WHERE plan_id = ${planId}::uuid`.execute(trx);
    const [from, to] = active ? ["deactivated", "waiting"] : ["waiting", "deactivated"];
    const changed = await sql`
      UPDATE run SET status = ${to}::run_status, updated_at = date_trunc('milliseconds', now()), lifecycle_suspend_until = now()
      WHERE plan_id = ${planId}::uuid AND status = ${from}::run_status`.execute(trx);
    if (Number(changed.numAffectedRows ?? 0n) > 0) await notify(trx, CHANNEL.runStatus, to);
  });
}

/** `set` first, then `unset` (the reference's order: a type in both ends up unset). */
export async function changePlanResources(
  database: Database,
  planId: string,
  change: { set: Record<string, string>; unset: string[] },
): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    await lockAnyPlan(trx, planId);
    for (const [type, value] of Object.entries(change.set)) {
      await sql`INSERT INTO plan_resource (plan_id, type, value) VALUES (${planId}::uuid, ${type}, ${value})
                ON CONFLICT (plan_id, type) DO UPDATE SET value = excluded.value`.execute(trx);
    }
    if (change.unset.length > 0) {
      await sql`DELETE FROM plan_resource WHERE plan_id = ${planId}::uuid AND type = ANY(${change.unset}::text[])`.execute(trx);
    }
  });
}

/** remove_key, then remove, then add (duplicates ignored). */
export async function changePlanAnnotations(
  database: Database,
  planId: string,
  change: { add: { key: string; value: string }[]; remove: { key: string; value: string }[]; removeKey: string[] },
): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    await lockAnyPlan(trx, planId);
    if (change.removeKey.length > 0) {
      await sql`DELETE FROM plan_annotation WHERE plan_id = ${planId}::uuid AND key = ANY(${change.removeKey}::text[])`.execute(trx);
    }
    for (const annotation of change.remove) {
      await sql`DELETE FROM plan_annotation WHERE plan_id = ${planId}::uuid AND key = ${annotation.key} AND value = ${annotation.value}`.execute(trx);
    }
    for (const annotation of change.add) {
      await sql`INSERT INTO plan_annotation (plan_id, key, value) VALUES (${planId}::uuid, ${annotation.key}, ${annotation.value})
                ON CONFLICT DO NOTHING`.execute(trx);
    }
  });
}

export async function setPlanServiceAccount(database: Database, planId: string, serviceAccount: string | null): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    await lockAnyPlan(trx, planId);
    await sql`UPDATE plan SET service_account = ${serviceAccount} WHERE plan_id = ${planId}::uuid`.execute(trx);
  });
}

async function lockAnyPlan(q: Queryable, planId: string): Promise<void> {
  const [id] = onlyUuids([planId]);
  const row = id ? await sql<{ plan_id: string }>`SELECT plan_id FROM plan WHERE plan_id = ${id}::uuid FOR UPDATE`.execute(q) : { rows: [] };
  if (row.rows.length === 0) throw new NotFoundError();
}
