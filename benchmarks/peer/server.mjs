// PostGraphile v5 over the benchmark database, as the peer of `make bench`.
//
// Started by benchmarks/peer/server.py with the Node 22 of its npm folder. PEER_WORKERS
// processes (node:cluster, each accepting on the shared socket itself, as gunicorn's workers
// do) serve POST /graphql on PEER_PORT. Before a request reaches PostGraphile, its API key is
// looked up with the statement the service runs (config/auth.py): the key, its user and the
// user's permission names in one SELECT, then the same checks (hash, revoked, expired, active
// user) and the same `last_used_at` refresh at most once a minute. Without a valid key: 401.
// The operation's permission (PEER_PERMISSIONS, by operation name) is checked like the
// service's field permission.
//
// Each answer carries X-Bench-Queries and X-Bench-Sql-Ms, the SQL statements the process sent
// while serving it (the lookup included) and the time they took, as the service's middleware
// counts them (statements.mjs): only when no other request was in flight in the process.
//
// Environment: PEER_DATABASE (JSON: node-postgres pool config, or {"connectionString": …}),
// PEER_PORT, PEER_WORKERS, PEER_PERMISSIONS (JSON {operationName: "app.codename" | null}).

import cluster from "node:cluster";
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

import pg from "pg";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { TYPES, sqlValueWithCodec } from "postgraphile/@dataplan/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { sql } from "postgraphile/pg-sql2";
import { addPgTableCondition } from "postgraphile/utils";

import { countStatements } from "./statements.mjs";

const PORT = Number(process.env.PEER_PORT);
const WORKERS = Number(process.env.PEER_WORKERS || 2);
const PERMISSIONS = JSON.parse(process.env.PEER_PERMISSIONS || "{}");
const KEY_SCHEME = "dk";
const KEY_PREFIX_LENGTH = 10;
const LAST_USED_RESOLUTION_MS = 60_000;

// What the service runs to authenticate a key (config.auth.KeyLookup: the key, its user and the
// user's permission names, by the key's prefix), prepared once per connection as the service
// prepares it (config.prepared).
const KEY_LOOKUP = `
SELECT "chat_apikey"."id" AS "id", "chat_apikey"."user_id" AS "user_id", "chat_apikey"."name" AS "name", "chat_apikey"."prefix" AS "prefix", "chat_apikey"."key_hash" AS "key_hash", "chat_apikey"."created_at" AS "created_at", "chat_apikey"."expires_at" AS "expires_at", "chat_apikey"."revoked_at" AS "revoked_at", "chat_apikey"."last_used_at" AS "last_used_at", "chat_apikey"."user_id" AS "user__id",
  "auth_user"."password" AS "user__password", "auth_user"."last_login" AS "user__last_login", "auth_user"."is_superuser" AS "user__is_superuser", "auth_user"."username" AS "user__username", "auth_user"."first_name" AS "user__first_name", "auth_user"."last_name" AS "user__last_name", "auth_user"."email" AS "user__email", "auth_user"."is_staff" AS "user__is_staff", "auth_user"."is_active" AS "user__is_active", "auth_user"."date_joined" AS "user__date_joined",
  ARRAY(SELECT DISTINCT (COALESCE(U7."app_label", '') || COALESCE((COALESCE('.', '') || COALESCE(U0."codename", '')), '')) AS "perm_name"
        FROM "auth_permission" U0
        LEFT OUTER JOIN "auth_user_user_permissions" U1 ON (U0."id" = U1."permission_id")
        LEFT OUTER JOIN "auth_group_permissions" U3 ON (U0."id" = U3."permission_id")
        LEFT OUTER JOIN "auth_group" U4 ON (U3."group_id" = U4."id")
        LEFT OUTER JOIN "auth_user_groups" U5 ON (U4."id" = U5."group_id")
        INNER JOIN "django_content_type" U7 ON (U0."content_type_id" = U7."id")
        WHERE (U1."user_id" = ("chat_apikey"."user_id") OR U5."user_id" = ("chat_apikey"."user_id"))) AS "user_permission_names"
FROM "chat_apikey" INNER JOIN "auth_user" ON ("chat_apikey"."user_id" = "auth_user"."id")
WHERE "chat_apikey"."prefix" = $1
ORDER BY 6 DESC
LIMIT 1`;
const KEY_TOUCH = `UPDATE "chat_apikey" SET "last_used_at" = $1 WHERE "chat_apikey"."id" = $2`;

const countedStatements = countStatements(pg.Client);

function keyFrom(req) {
  const header = req.headers.authorization || "";
  const space = header.indexOf(" ");
  if (space > 0 && header.slice(0, space).toLowerCase() === "bearer") {
    const credentials = header.slice(space + 1).trim();
    if (credentials) return credentials;
  }
  return (req.headers["x-api-key"] || "").trim() || null;
}

function prefixOf(raw) {
  const [scheme, prefix, ...secret] = raw.split("_");
  if (scheme !== KEY_SCHEME || !prefix || prefix.length !== KEY_PREFIX_LENGTH) return null;
  return secret.join("_") ? prefix : null;
}

// The caller ({userId, isSuperuser, permissions}) or a string saying why not.
async function authenticate(pool, raw) {
  const presented = createHash("sha256").update(raw).digest();
  const prefix = prefixOf(raw);
  const result = prefix === null ? null : await pool.query({ name: "api_key_lookup", text: KEY_LOOKUP, values: [prefix], rowMode: "array" });
  const row = result?.rows[0];
  // Columns by position: 0 key id, 4 key_hash, 6 expires_at, 7 revoked_at, 8 last_used_at,
  // 9 user id, 12 is_superuser, 18 is_active, 20 permission names.
  const stored = Buffer.from(row ? row[4] : "0".repeat(64), "hex");
  const matches = stored.length === presented.length && timingSafeEqual(stored, presented);
  if (!matches || !row) return "Invalid API key.";
  if (row[7] !== null) return "This API key has been revoked.";
  const now = new Date();
  if (row[6] !== null && row[6] <= now) return "This API key has expired.";
  if (!row[18]) return "Invalid API key.";
  if (row[8] === null || row[8] < new Date(now - LAST_USED_RESOLUTION_MS)) {
    await pool.query(KEY_TOUCH, [now, row[0]]);
  }
  return { userId: row[9], isSuperuser: row[12], permissions: new Set(row[20]) };
}

function refuse(res, status, message, code) {
  const body = JSON.stringify({ data: null, errors: [{ message, extensions: { code } }] });
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

// `tags @> $1` for learn items and a half-open time range for logs: the service's filters.
const conditions = [
  addPgTableCondition(
    { schemaName: "public", tableName: "learn_learnitem" },
    "tagsContain",
    (build) => ({
      type: build.getTypeByName("JSON"),
      description: "Items whose tags contain all of these (jsonb @>).",
      apply(condition, value) {
        if (value == null) return;
        condition.where(sql`${condition.alias}."tags" @> ${sqlValueWithCodec(value, TYPES.jsonb)}`);
      },
    }),
  ),
  addPgTableCondition(
    { schemaName: "public", tableName: "monitoring_monitoringlog" },
    "timestampFrom",
    (build) => ({
      type: build.getTypeByName("Datetime"),
      description: "Logs at or after this time.",
      apply(condition, value) {
        if (value == null) return;
        condition.where(sql`${condition.alias}."timestamp" >= ${sqlValueWithCodec(value, TYPES.timestamptz)}`);
      },
    }),
  ),
  addPgTableCondition(
    { schemaName: "public", tableName: "monitoring_monitoringlog" },
    "timestampBefore",
    (build) => ({
      type: build.getTypeByName("Datetime"),
      description: "Logs before this time.",
      apply(condition, value) {
        if (value == null) return;
        condition.where(sql`${condition.alias}."timestamp" < ${sqlValueWithCodec(value, TYPES.timestamptz)}`);
      },
    }),
  ),
];

function preset(pool) {
  return {
    extends: [PostGraphileAmberPreset],
    plugins: conditions,
    pgServices: [makePgService({ pool, schemas: ["public"] })],
    grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false },
    grafast: {
      explain: false,
      // The operation's permission, from the caller the key lookup found (no SQL).
      context(requestContext, args) {
        const caller = requestContext.node?.req?.benchCaller;
        const name = args.operationName;
        if (!caller || !name || !(name in PERMISSIONS)) {
          throw new Error(`Operation ${name ?? "(unnamed)"} is not one of the benchmark's.`);
        }
        const perm = PERMISSIONS[name];
        if (perm && !caller.isSuperuser && !caller.permissions.has(perm)) {
          throw new Error(`You don't have permission to do this (${perm}).`);
        }
        return { benchUserId: caller.userId };
      },
    },
  };
}

async function worker() {
  const pool = new pg.Pool(JSON.parse(process.env.PEER_DATABASE));
  const pgl = postgraphile(preset(pool));
  const serv = pgl.createServ(grafserv);
  const handle = serv.createHandler();
  await pgl.getSchema();
  const server = createServer((req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("ok");
      return;
    }
    countedStatements(res);
    const raw = keyFrom(req);
    if (raw === null) {
      refuse(res, 401, "An API key is required.", "UNAUTHENTICATED");
      return;
    }
    authenticate(pool, raw).then(
      (caller) => {
        if (typeof caller === "string") {
          refuse(res, 401, caller, "UNAUTHENTICATED");
          return;
        }
        req.benchCaller = caller;
        handle(req, res);
      },
      (error) => refuse(res, 503, `Key lookup failed: ${error.message}`, "DATABASE_UNAVAILABLE"),
    );
  });
  server.listen(PORT, "127.0.0.1");
}

if (cluster.isPrimary) {
  // Like gunicorn's sync workers, each worker accepts on the shared socket itself.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let listening = 0;
  cluster.on("listening", () => {
    listening += 1;
    if (listening === WORKERS) console.log(`postgraphile: ${WORKERS} workers on 127.0.0.1:${PORT}`);
  });
  let shuttingDown = false;
  const stopAll = (status) => {
    shuttingDown = true;
    for (const child of Object.values(cluster.workers)) child.process.kill("SIGTERM");
    setTimeout(() => process.exit(status), 2000).unref();
    cluster.disconnect(() => process.exit(status));
  };
  cluster.on("exit", (child, code, signal) => {
    if (!shuttingDown) {
      console.error(`postgraphile worker ${child.process.pid} exited (${signal ?? code})`);
      stopAll(1);
    }
  });
  for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => stopAll(0));
  for (let n = 0; n < WORKERS; n += 1) cluster.fork();
} else {
  worker().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
