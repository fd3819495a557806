// Tests the daemon's HTTP surface without a port: each route, readiness rules, metric names.
import { describe, expect, it } from "vitest";
import {
  INITIAL_READINESS,
  checkReadiness,
  createHttpHandler,
  createMetrics,
  recordConfig,
  recordOutcome,
  type ReadinessState,
  type ReconcileOutcome,
} from "../../../src/daemon/index.js";

function handlerFor(state: () => ReadinessState, metrics = createMetrics({ defaultMetrics: false })) {
  return createHttpHandler({ readiness: () => checkReadiness(state()), metrics: () => metrics.render() });
}

const get = (url: string) => ({ method: "GET", url });

describe("/healthz", () => {
  it("is 200 whatever the readiness", async () => {
    const r = await handlerFor(() => INITIAL_READINESS)(get("/healthz"));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: "ok" });
    expect(r.headers["content-type"]).toBe("application/json; charset=utf-8");
  });
});

describe("/readyz", () => {
  const after = (...outcomes: ReconcileOutcome[]): ReadinessState => outcomes.reduce(recordOutcome, INITIAL_READINESS);
  const readyz = async (state: ReadinessState) => {
    const r = await handlerFor(() => state)(get("/readyz"));
    return { status: r.status, body: JSON.parse(r.body) as unknown };
  };

  it("is 503 before any reconcile has finished", async () => {
    expect(await readyz(INITIAL_READINESS)).toEqual({ status: 503, body: { ready: false, reason: "no reconcile has finished yet" } });
  });

  it("is 200 after a success, a no-op or a dry run", async () => {
    for (const result of ["success", "noop", "dry-run"] as const) {
      expect(await readyz(after({ result }))).toEqual({ status: 200, body: { ready: true } });
    }
  });

  it("is 503 with the reason when the last reconcile failed, even after earlier successes", async () => {
    expect(await readyz(after({ result: "success" }, { result: "error", detail: "ListSIPDispatchRule: unavailable" }))).toEqual({
      status: 503,
      body: { ready: false, reason: "last reconcile failed: ListSIPDispatchRule: unavailable" },
    });
    expect(await readyz(after({ result: "success" }, { result: "refused", detail: "plan deletes 7 rules, limit is 5" }))).toEqual({
      status: 503,
      body: { ready: false, reason: "last reconcile refused by a safety limit: plan deletes 7 rules, limit is 5" },
    });
    expect(await readyz(after({ result: "invalid-config", detail: "dispatch-rules.yaml:3:5 unknown key" }))).toEqual({
      status: 503,
      body: { ready: false, reason: "config invalid: dispatch-rules.yaml:3:5 unknown key" },
    });
    expect(await readyz(after({ result: "error" }))).toEqual({ status: 503, body: { ready: false, reason: "last reconcile failed" } });
  });

  it("becomes ready again after a failure is followed by a success", async () => {
    expect((await readyz(after({ result: "error" }, { result: "noop" }))).status).toBe(200);
  });

  it("stays ready on an invalid edit while the last good file is in force, and says so", async () => {
    const state = recordConfig(after({ result: "success" }), "dispatch-rules.yaml:4:3 rules[0].name is required");
    expect(await readyz(state)).toEqual({
      status: 200,
      body: { ready: true, config: { valid: false, problem: "dispatch-rules.yaml:4:3 rules[0].name is required" } },
    });
    expect(await readyz(recordConfig(state, null))).toEqual({ status: 200, body: { ready: true } });
  });

  it("records outcomes without mutating the previous state", () => {
    const before = INITIAL_READINESS;
    const next = recordOutcome(before, { result: "success" });
    expect(before).toEqual({ succeededOnce: false, last: null, configProblem: null, fighting: [] });
    expect(next).toEqual({ succeededOnce: true, last: { result: "success" }, configProblem: null, fighting: [] });
    expect(recordOutcome(next, { result: "error" }).succeededOnce).toBe(true);
  });
});

describe("/metrics", () => {
  it("serves every daemon metric in Prometheus text after recording", async () => {
    const metrics = createMetrics();
    metrics.recordReconcile("success", 0.42);
    metrics.recordReconcile("error", 1.5);
    metrics.recordApiCall("ListSIPDispatchRule", "200");
    metrics.recordApiCall("CreateSIPDispatchRule", "503");
    metrics.setRules({ managed: 3, unmanaged: 2, drifted: 1 });
    metrics.setConfigValid(true);
    metrics.markSuccess(1_767_225_600);
    const r = await handlerFor(() => INITIAL_READINESS, metrics)(get("/metrics"));
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    const lines = r.body.split("\n");
    for (const expected of [
      'sip_dispatch_sync_reconciles_total{result="success"} 1',
      'sip_dispatch_sync_reconciles_total{result="error"} 1',
      'sip_dispatch_sync_reconciles_total{result="refused"} 0',
      'sip_dispatch_sync_reconciles_total{result="invalid-config"} 0',
      "sip_dispatch_sync_reconcile_duration_seconds_count 2",
      'sip_dispatch_sync_reconcile_duration_seconds_bucket{le="0.5"} 1',
      'sip_dispatch_sync_api_requests_total{method="ListSIPDispatchRule",code="200"} 1',
      'sip_dispatch_sync_api_requests_total{method="CreateSIPDispatchRule",code="503"} 1',
      'sip_dispatch_sync_rules{state="managed"} 3',
      'sip_dispatch_sync_rules{state="unmanaged"} 2',
      'sip_dispatch_sync_rules{state="drifted"} 1',
      "sip_dispatch_sync_config_valid 1",
      "sip_dispatch_sync_last_success_timestamp_seconds 1767225600",
    ]) {
      expect(lines).toContain(expected);
    }
    // Node default metrics are on the daemon's own registry.
    expect(r.body).toMatch(/^process_cpu_user_seconds_total /m);
    expect(r.body).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it("keeps registries apart, so two daemons (or tests) never share counters", async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.recordReconcile("noop", 0.1);
    a.setConfigValid(false);
    expect((await a.render()).body).toContain('sip_dispatch_sync_reconciles_total{result="noop"} 1');
    expect((await b.render()).body).toContain('sip_dispatch_sync_reconciles_total{result="noop"} 0');
    expect((await a.render()).body).toContain("sip_dispatch_sync_config_valid 0");
  });
});

describe("routing", () => {
  it("answers 404 for unknown paths and 405 for other methods", async () => {
    const h = handlerFor(() => INITIAL_READINESS);
    const notFound = await h(get("/nope"));
    expect(notFound.status).toBe(404);
    for (const method of ["POST", "PUT", "DELETE", "OPTIONS"]) {
      const r = await h({ method, url: "/healthz" });
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe("GET, HEAD");
    }
  });

  it("answers HEAD on every endpoint as it answers GET (probes that send HEAD)", async () => {
    const h = handlerFor(() => INITIAL_READINESS);
    for (const url of ["/healthz", "/readyz", "/metrics"]) {
      const [head, getr] = [await h({ method: "HEAD", url }), await h(get(url))];
      expect(head.status).toBe(getr.status);
      expect(head.headers["content-type"]).toBe(getr.headers["content-type"]);
    }
  });

  it("ignores the query string", async () => {
    const r = await handlerFor(() => INITIAL_READINESS)(get("/healthz?verbose=1"));
    expect(r.status).toBe(200);
  });

  it("turns a failing reader into a 500 instead of throwing", async () => {
    const h = createHttpHandler({
      readiness: () => {
        throw new Error("bug");
      },
      metrics: async () => {
        throw new Error("bug");
      },
    });
    expect((await h(get("/readyz"))).status).toBe(500);
    expect((await h(get("/metrics"))).status).toBe(500);
    expect((await h(get("/healthz"))).status).toBe(200);
  });
});
