import { describe, expect, it, vi } from "vitest";
import { ApiError, buildQuery, decodeSampled, readCapped, TrackingApi } from "./client";

function mockFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  return vi.fn(async (_url: string, _init?: RequestInit) => new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers }));
}

describe("API client", () => {
  it("builds URLs relative to the base (static prefix) and sends JSON", async () => {
    const f = mockFetch(200, { runs: [] });
    const api = new TrackingApi(f, () => "http://h:1/prefix/#/runs?e=1");
    await api.searchRuns({ experiment_ids: ["1"], max_results: 1000 });
    const [url, init] = f.mock.calls[0]!;
    expect(url).toBe("http://h:1/prefix/ajax-api/2.0/mlflow/runs/search");
    expect(init?.method).toBe("POST");
    expect(JSON.parse(String(init?.body))).toEqual({ experiment_ids: ["1"], max_results: 1000 });
    expect(api.artifactUrl("r1", "a b/c.png")).toBe("http://h:1/prefix/get-artifact?run_id=r1&path=a+b%2Fc.png");
  });

  it("repeats list parameters and sends step ranges only as a pair", async () => {
    const f = mockFetch(200, {});
    const api = new TrackingApi(f, () => "http://h/");
    await api.historyInterval({ run_ids: ["a", "b"], metric_key: "loss", max_results: 1000, start_step: 1.2, end_step: 9.5 });
    expect(f.mock.calls[0]![0]).toBe("http://h/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=a&run_ids=b&metric_key=loss&max_results=1000&start_step=1&end_step=10");
    expect(buildQuery({ a: undefined, b: "x" })).toBe("?b=x");
  });

  it("raises ApiError with the server's code and message", async () => {
    const api = new TrackingApi(mockFetch(400, { error_code: "INVALID_PARAMETER_VALUE", message: "bad filter" }), () => "http://h/");
    const err = await api.searchRuns({ experiment_ids: ["1"], max_results: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).code).toBe("INVALID_PARAMETER_VALUE");
    expect((err as ApiError).message).toBe("bad filter");
  });

  it("handles non-JSON errors and empty bodies", async () => {
    const api = new TrackingApi(mockFetch(502, "<html>bad gateway</html>"), () => "http://h/");
    await expect(api.getRun("x")).rejects.toMatchObject({ status: 502, code: "HTTP_502" });
    const ok = new TrackingApi(mockFetch(200, ""), () => "http://h/");
    await expect(ok.deleteTag("r", "k")).resolves.toBeUndefined();
  });

  it("reads at most the cap and asks for a Range", async () => {
    const f = mockFetch(200, "x".repeat(5000));
    const api = new TrackingApi(f, () => "http://h/");
    const r = await api.fetchArtifact("r", "big.txt", 1000);
    expect(r.bytes.length).toBe(1000);
    expect(r.truncated).toBe(true);
    expect((f.mock.calls[0]![1]?.headers as Record<string, string>).Range).toBe("bytes=0-1000");
    const small = await new TrackingApi(mockFetch(200, "abc"), () => "http://h/").fetchArtifact("r", "s.txt", 1000);
    expect(small.truncated).toBe(false);
    expect(new TextDecoder().decode(small.bytes)).toBe("abc");
  });

  it("readCapped stops a stream early", async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled++;
        c.enqueue(new Uint8Array(100).fill(65));
        if (pulled > 1000) c.close();
      },
    });
    const { bytes, more } = await readCapped(new Response(stream), 250);
    expect(bytes.length).toBe(250);
    expect(more).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
});

describe("decodeSampled", () => {
  it("restores NaN and ±Infinity listed by index in non_finite", () => {
    const s = decodeSampled({
      run_id: "r", key: "loss", total: 3, bucket_width: 1, step: [0, 1, 2], first_step: [0, 1, 2], timestamp: [1, 2, 3],
      value: [1, 0, 0], min: [1, 0, 0], max: [1, 0, 0], count: [1, 1, 1], nan_count: [0, 1, 0],
      non_finite: { value: { NaN: [1], "-Infinity": [2] }, min: { NaN: [1], "-Infinity": [2] }, max: { NaN: [1], Infinity: [2] } },
    });
    expect(s.value).toEqual([1, NaN, -Infinity]);
    expect(s.max).toEqual([1, NaN, Infinity]);
    expect("non_finite" in s).toBe(false);
  });
});
