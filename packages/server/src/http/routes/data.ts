import { DataDetail, DataDetailList, DataFindQuery, KnitIdParams, PrettyQuery, TagChange } from "@knitfab/api";
import {
  INPUT_LIMITS,
  InputError,
  NotFoundError,
  checkCount,
  checkText,
  badRequest,
  interpretDataTagQuery,
  isSystemKey,
  tagFromJson,
  type Tag,
} from "@knitfab/domain";
import { changeDataTags, dataDetailJson, findKnitIds, loadData, readOnOneConnection } from "@knitfab/db";
import type { AppOptions } from "../app-options.js";
import { jsonResponses, type ApiApp } from "../route-schemas.js";
import { asList, commaList, parseQueryTags, parseTimeWindow } from "./query.js";
import { JSON_BODY } from "../request-body.js";
import { downloadRoute, uploadRoute } from "./data-transfer-routes.js";

/** Ids per `knitId=` list: 300 UUIDs are 11 kB, inside the 16 kB of headers Node reads. */
const MAX_KNIT_IDS = 300;

export async function dataRoutes(app: ApiApp, options: AppOptions): Promise<void> {
  const { database } = options;

  app.get(
    "/api/data/",
    { schema: { tags: ["data"], summary: "Find data by tags and time", querystring: DataFindQuery, response: jsonResponses(DataDetailList) } },
    async (request) => {
      const query = request.query;
      const tags = parseQueryTags(asList(query.tag));
      const window = parseTimeWindow(query.since, query.duration);
      const interpreted = interpretDataTagQuery(tags);
      if (interpreted.kind === "empty") return [];
      const knitIds = query.knitId === undefined ? undefined : commaList(query.knitId);
      if (knitIds !== undefined) checkCount("knit ids in \"knitId\"", knitIds, MAX_KNIT_IDS);
      const found = await readOnOneConnection(database.db, async (q) => loadData(q, await findKnitIds(q, { ...interpreted, ...window, ...(knitIds && { knitIds }) })));
      return found.map(dataDetailJson);
    },
  );

  uploadRoute(app, "/api/data/", "data", options);
  downloadRoute(app, "/api/data/:knitId/", "data", options);

  app.put(
    "/api/data/:knitId/",
    {
      schema: {
        tags: ["data"],
        summary: "Change the tags of data",
        params: KnitIdParams,
        querystring: PrettyQuery,
        body: TagChange,
        response: jsonResponses(DataDetail),
      },
      // The reference reads the body as JSON whatever the Content-Type says (`curl -X PUT -d` sends a
      // form type): a PUT cannot come from another origin without a preflight, so that stays safe.
      config: { invalidBody: { reason: "format error" }, body: { ...JSON_BODY, whateverTheType: true } },
    },
    async (request) => {
      const { knitId } = request.params;
      const body = request.body;
      const parse = (field: string, values: unknown[] | null | undefined): Tag[] => {
        try {
          return checkCount(`tags in "${field}"`, values ?? [], INPUT_LIMITS.tagsPerList).map(tagFromJson);
        } catch (error) {
          throw new InputError("format error", { cause: error });
        }
      };
      const add = parse("add", body.add);
      const remove = parse("remove", body.remove);
      const removeKey = checkCount('keys in "remove_key"', body.remove_key ?? [], INPUT_LIMITS.tagsPerList).map((key) =>
        checkText("a key in remove_key", key.trim(), INPUT_LIMITS.tagKeyBytes),
      );
      const system = [...add.map((tag) => tag.key), ...remove.map((tag) => tag.key), ...removeKey].find(isSystemKey);
      if (system) throw new InputError("format error", { advice: `system tag "${system}" cannot be changed`, cause: new Error(`key "${system}" is reserved`) });
      if (removeKey.some((key) => key === "")) throw badRequest("remove_key must not contain an empty key");
      await changeDataTags(database, knitId, { add, remove, removeKey });
      const [data] = await loadData(database.db, [knitId]);
      if (!data) throw new NotFoundError();
      return dataDetailJson(data);
    },
  );
}
