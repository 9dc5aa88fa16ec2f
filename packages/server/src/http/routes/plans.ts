import type { FastifyInstance } from "fastify";
import {
  InputError,
  NotFoundError,
  badRequest,
  canonicalQuantity,
  checkResources,
  interpretPlanTagQuery,
  parseAnnotation,
  planSpecFromJson,
  validatePlanSpec,
} from "@knitfab/domain";
import {
  changePlanAnnotations,
  changePlanResources,
  findPlanIds,
  loadPlans,
  registerPlan,
  setPlanActive,
  setPlanServiceAccount,
  type PlanQuery,
} from "@knitfab/db";
import { unhonouredPlanSettings } from "@knitfab/engine";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppOptions } from "../app.js";
import { addWarning } from "../warning.js";
import { planDetailJson } from "@knitfab/db";
import {
  AnnotationChangeBody,
  IdParams,
  PlanFindQuery,
  PlanSpecBody,
  ResourceChangeBody,
  ServiceAccountBody,
} from "../schemas.js";
import { asList, parseQueryTags } from "./query.js";

const JSON_REASON = "can not understand the requested json";

export async function planRoutes(app: FastifyInstance, { database }: AppOptions): Promise<void> {
  const detail = async (planId: string) => {
    const [plan] = await loadPlans(database.db, [planId]);
    if (!plan) throw new NotFoundError();
    return planDetailJson(plan);
  };
  const planParams = IdParams("planId");

  app.get("/api/plans/", { schema: { tags: ["plans"], summary: "Find plans", querystring: PlanFindQuery } }, async (request) => {
    const query = request.query as { active?: string; image?: string; in_tag?: string | string[]; out_tag?: string | string[] };
    const planQuery: PlanQuery = {};
    if (query.active !== undefined) {
      if (query.active !== "true" && query.active !== "false") {
        throw badRequest("query specification is incorrect", new Error(`active should be "true" or "false" (got "${query.active}")`));
      }
      planQuery.active = query.active === "true";
    }
    if (query.image !== undefined && query.image !== "") {
      // the part after the last "/" is split at its first ":" (a registry port stays in the repository)
      const slash = query.image.lastIndexOf("/");
      const colon = query.image.indexOf(":", slash + 1);
      planQuery.image =
        colon < 0 ? { repository: query.image } : { repository: query.image.slice(0, colon), tag: query.image.slice(colon + 1) };
    }
    const inTags = parseQueryTags(asList(query.in_tag));
    const outTags = parseQueryTags(asList(query.out_tag));
    if (inTags.length > 0) {
      const interpreted = interpretPlanTagQuery(inTags, "in");
      if (interpreted.kind === "empty") return [];
      planQuery.inTags = interpreted;
    }
    if (outTags.length > 0) {
      const interpreted = interpretPlanTagQuery(outTags, "out");
      if (interpreted.kind === "empty") return [];
      planQuery.outTags = interpreted.userTags;
    }
    const ids = await findPlanIds(database.db, planQuery);
    return (await loadPlans(database.db, ids)).map(planDetailJson);
  });

  app.post(
    "/api/plans/",
    {
      schema: { tags: ["plans"], summary: "Register (apply) a plan", body: PlanSpecBody },
      config: { invalidBodyReason: JSON_REASON },
      onRequest: async (request) => {
        const type = request.headers["content-type"];
        if (type?.toLowerCase() !== "application/json") {
          throw new InputError("unexpected content type. it shoule be application/json", {
            advice: 'send the plan as JSON with the header "Content-Type: application/json" (no parameters)',
          });
        }
      },
    },
    async (request, reply) => {
      const spec = validatePlanSpec(planSpecFromJson(request.body));
      const planId = await registerPlan(database, spec);
      warnUnhonoured(request, reply, planId, spec);
      return detail(planId);
    },
  );

  app.get("/api/plans/:planId/", { schema: { tags: ["plans"], summary: "Show a plan", params: planParams } }, async (request) => {
    return detail((request.params as { planId: string }).planId);
  });

  for (const [method, active] of [["PUT", true], ["DELETE", false]] as const) {
    app.route({
      method,
      url: "/api/plans/:planId/active",
      schema: { tags: ["plans"], summary: active ? "Activate a plan" : "Deactivate a plan", params: planParams },
      handler: async (request) => {
        const { planId } = request.params as { planId: string };
        await setPlanActive(database, planId, active);
        return detail(planId);
      },
    });
  }

  app.put(
    "/api/plans/:planId/resources",
    {
      schema: { tags: ["plans"], summary: "Set or unset resource limits (set first, then unset)", params: planParams, body: ResourceChangeBody },
      config: { invalidBodyReason: JSON_REASON },
    },
    async (request) => {
      const { planId } = request.params as { planId: string };
      const body = (request.body ?? {}) as ResourceChangeBody;
      const set: Record<string, string> = {};
      for (const [type, value] of Object.entries(body.set ?? {})) {
        try {
          set[type] = canonicalQuantity(value);
        } catch (error) {
          throw new InputError(JSON_REASON, { advice: `resource "${type}": "${value}" is not a quantity like 500m, 2 or 1Gi`, cause: error });
        }
      }
      // the same limits a plan is refused for at apply time (negative, overflowing): nothing changes
      checkResources(set);
      await changePlanResources(database, planId, { set, unset: body.unset ?? [] });
      return detail(planId);
    },
  );

  app.put(
    "/api/plans/:planId/annotations",
    {
      schema: { tags: ["plans"], summary: "Change annotations", params: planParams, body: AnnotationChangeBody },
      config: { invalidBodyReason: JSON_REASON },
    },
    async (request) => {
      const { planId } = request.params as { planId: string };
      const body = (request.body ?? {}) as AnnotationChangeBody;
      const parse = (values: string[] | null | undefined) => {
        try {
          return (values ?? []).map(parseAnnotation);
        } catch (error) {
          throw new InputError(JSON_REASON, { cause: error });
        }
      };
      await changePlanAnnotations(database, planId, {
        add: parse(body.add),
        remove: parse(body.remove),
        removeKey: (body.remove_key ?? []).map((key) => key.trim()),
      });
      return detail(planId);
    },
  );

  app.put(
    "/api/plans/:planId/serviceaccount",
    {
      schema: { tags: ["plans"], summary: "Set the service account", params: planParams, body: ServiceAccountBody },
      config: { invalidBodyReason: JSON_REASON },
    },
    async (request, reply) => {
      const { planId } = request.params as { planId: string };
      const serviceAccount = (request.body as ServiceAccountBody).service_account;
      await setPlanServiceAccount(database, planId, serviceAccount);
      warnUnhonoured(request, reply, planId, { serviceAccount, onNode: [] });
      return detail(planId);
    },
  );

  app.delete("/api/plans/:planId/serviceaccount", { schema: { tags: ["plans"], summary: "Unset the service account", params: planParams } }, async (request) => {
    const { planId } = request.params as { planId: string };
    await setPlanServiceAccount(database, planId, null);
    return detail(planId);
  });
}

/** Says what the plan asks that this runtime does not do: a Warning header (the body keeps the reference's shape) and a log line. */
function warnUnhonoured(request: FastifyRequest, reply: FastifyReply, planId: string, plan: Parameters<typeof unhonouredPlanSettings>[0]): void {
  for (const note of unhonouredPlanSettings(plan)) {
    addWarning(reply, note);
    request.log.warn(`plan ${planId}: ${note}`);
  }
}
