import { AnnotationChange, PlanDetail, PlanDetailList, PlanFindQuery, PlanIdParams, PlanSpec, PrettyQuery, ResourceLimitChange, SetServiceAccount } from "@knitfab/api";
import {
  INPUT_LIMITS,
  NotFoundError,
  checkCount,
  checkText,
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
  planDetailJson,
  readOnOneConnection,
  setPlanServiceAccount,
  type PlanQuery,
} from "@knitfab/db";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppOptions } from "../app-options.js";
import { addWarning } from "../warning.js";
import { jsonResponses, type ApiApp } from "../route-schemas.js";
import { asList, parseQueryTags } from "./query.js";
import { JSON_BODY } from "../request-body.js";

/** The reference's advice lines for bodies it cannot bind (its reason line is "bad request"). */
const JSON_ADVICE = "can not understand the requested json";
const REQUEST_ADVICE = "can not understand the request";
const QUERY_ADVICE = "query specification is incorrect";

export async function planRoutes(app: ApiApp, { database, unhonouredPlanSettings = () => [] }: AppOptions): Promise<void> {
  const detail = async (planId: string) => {
    const [plan] = await loadPlans(database.db, [planId]);
    if (!plan) throw new NotFoundError();
    return planDetailJson(plan);
  };
  /** what every route on one plan takes and answers */
  const onePlan = { params: PlanIdParams, querystring: PrettyQuery, response: jsonResponses(PlanDetail) };

  app.get("/api/plans/", { schema: { tags: ["plans"], summary: "Find plans", querystring: PlanFindQuery, response: jsonResponses(PlanDetailList) } }, async (request) => {
    const query = request.query;
    const planQuery: PlanQuery = {};
    if (query.active !== undefined) {
      if (query.active !== "true" && query.active !== "false") {
        throw badRequest(QUERY_ADVICE, new Error(`active should be "true" or "false" (got "${query.active}")`));
      }
      planQuery.active = query.active === "true";
    }
    if (query.image !== undefined) {
      checkText('"image"', query.image, INPUT_LIMITS.imageRepositoryBytes + INPUT_LIMITS.imageTagBytes + 1);
      planQuery.image = parseImageQuery(query.image);
    }
    const inTags = parseQueryTags(asList(query.in_tag), `${QUERY_ADVICE}\nin_tag should be formatted as KEY:VALUE`);
    const outTags = parseQueryTags(asList(query.out_tag), `${QUERY_ADVICE}\nout_tag should be formatted as KEY:VALUE`);
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
    const plans = await readOnOneConnection(database.db, async (q) => loadPlans(q, await findPlanIds(q, planQuery)));
    return plans.map(planDetailJson);
  });

  app.post(
    "/api/plans/",
    {
      schema: { tags: ["plans"], summary: "Register (apply) a plan", querystring: PrettyQuery, body: PlanSpec, response: jsonResponses(PlanDetail) },
      config: {
        invalidBody: { reason: "bad request", advice: JSON_ADVICE },
        // the reference takes exactly "application/json", without parameters, and says so first
        body: {
          types: ["application/json"],
          exact: true,
          wrongType: {
            reason: "bad request",
            advice: 'unexpected content type. it shoule be application/json\nsend the plan as JSON with the header "Content-Type: application/json" (no parameters)',
          },
        },
      },
    },
    async (request, reply) => {
      const spec = validatePlanSpec(planSpecFromJson(request.body));
      const planId = await registerPlan(database, spec);
      warnUnhonoured(request, reply, planId, unhonouredPlanSettings(spec));
      return detail(planId);
    },
  );

  app.get("/api/plans/:planId/", { schema: { tags: ["plans"], summary: "Show a plan", ...onePlan } }, async (request) => {
    return detail(request.params.planId);
  });

  for (const [method, active] of [["PUT", true], ["DELETE", false]] as const) {
    app.route({
      method,
      url: "/api/plans/:planId/active",
      schema: { tags: ["plans"], summary: active ? "Activate a plan" : "Deactivate a plan", ...onePlan },
      handler: async (request) => {
        const { planId } = request.params;
        await setPlanActive(database, planId, active);
        return detail(planId);
      },
    });
  }

  app.put(
    "/api/plans/:planId/resources",
    {
      schema: { tags: ["plans"], summary: "Set or unset resource limits (set first, then unset)", ...onePlan, body: ResourceLimitChange },
      config: { invalidBody: { reason: "bad request", advice: JSON_ADVICE }, body: JSON_BODY },
    },
    async (request) => {
      const { planId } = request.params;
      const body = request.body;
      const set: Record<string, string> = {};
      for (const type of [...Object.keys(body.set ?? {}), ...(body.unset ?? [])]) checkText("resource type", type, INPUT_LIMITS.resourceTypeBytes);
      for (const [type, value] of Object.entries(body.set ?? {})) {
        try {
          set[type] = canonicalQuantity(value);
        } catch (error) {
          throw badRequest(`${JSON_ADVICE}\nresource "${type}": "${value}" is not a quantity like 500m, 2 or 1Gi`, error);
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
      schema: { tags: ["plans"], summary: "Change annotations", ...onePlan, body: AnnotationChange },
      config: { invalidBody: { reason: "bad request", advice: REQUEST_ADVICE }, body: JSON_BODY },
    },
    async (request) => {
      const { planId } = request.params;
      const body = request.body;
      const parse = (field: string, values: string[] | null | undefined) => {
        try {
          return checkCount(`annotations in "${field}"`, values ?? [], INPUT_LIMITS.annotationsPerList).map(parseAnnotation);
        } catch (error) {
          throw badRequest(REQUEST_ADVICE, error);
        }
      };
      const add = parse("add", body.add);
      const remove = parse("remove", body.remove);
      const removeKey = checkCount('keys in "remove_key"', body.remove_key ?? [], INPUT_LIMITS.annotationsPerList).map((key) =>
        checkText("a key in remove_key", key.trim(), INPUT_LIMITS.annotationKeyBytes),
      );
      await changePlanAnnotations(database, planId, { add, remove, removeKey });
      return detail(planId);
    },
  );

  app.put(
    "/api/plans/:planId/serviceaccount",
    {
      schema: { tags: ["plans"], summary: "Set the service account", ...onePlan, body: SetServiceAccount },
      config: { invalidBody: { reason: "bad request", advice: REQUEST_ADVICE }, body: JSON_BODY },
    },
    async (request, reply) => {
      const { planId } = request.params;
      const name = request.body.service_account;
      // an empty body is no change, as with echo's binder
      if (name !== undefined) {
        const serviceAccount = checkText("service_account", name, INPUT_LIMITS.serviceAccountBytes);
        await setPlanServiceAccount(database, planId, serviceAccount);
        warnUnhonoured(request, reply, planId, unhonouredPlanSettings({ serviceAccount, onNode: [] }));
      }
      return detail(planId);
    },
  );

  app.delete("/api/plans/:planId/serviceaccount", { schema: { tags: ["plans"], summary: "Unset the service account", ...onePlan } }, async (request) => {
    const { planId } = request.params;
    await setPlanServiceAccount(database, planId, null);
    return detail(planId);
  });
}

/**
 * `image=repo[:tag]`: the part after the last "/" is split at its first ":" (a registry port stays
 * in the repository). An empty tag (`repo:`, what the reference CLI sends for `--image repo`)
 * matches every version; an empty repository is an error, as in the reference.
 */
function parseImageQuery(image: string): NonNullable<PlanQuery["image"]> {
  const slash = image.lastIndexOf("/");
  const colon = image.indexOf(":", slash + 1);
  const repository = colon < 0 ? image : image.slice(0, colon);
  const tag = colon < 0 ? "" : image.slice(colon + 1);
  if (repository === "") throw badRequest(QUERY_ADVICE, new Error(`image "${image}" has no repository; write image=repository[:tag]`));
  return tag === "" ? { repository } : { repository, tag };
}

/** Says what the plan asks that this runtime does not do: a Warning header (the body keeps the reference's shape) and a log line. */
function warnUnhonoured(request: FastifyRequest, reply: FastifyReply, planId: string, notes: readonly string[]): void {
  for (const note of notes) {
    addWarning(reply, note);
    request.log.warn(`plan ${planId}: ${note}`);
  }
}
