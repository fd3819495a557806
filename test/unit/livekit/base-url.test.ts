// Tests LIVEKIT_URL -> HTTP base URL resolution (livekit-sip-api.md §1) and its usage errors.
import { describe, expect, it } from "vitest";
import { UsageError } from "../../../src/model/index.js";
import { resolveBaseUrl } from "../../../src/livekit/index.js";

describe("resolveBaseUrl", () => {
  it.each([
    ["ws://localhost:7880", "http://localhost:7880"],
    ["wss://my-project.livekit.cloud", "https://my-project.livekit.cloud"],
    ["http://127.0.0.1:7880", "http://127.0.0.1:7880"],
    ["https://lk.example.com/", "https://lk.example.com"],
    ["  WSS://LK.Example.com:443  ", "https://lk.example.com"],
    ["ws://[::1]:7880", "http://[::1]:7880"],
  ])("%s -> %s", (input, expected) => {
    expect(resolveBaseUrl(input)).toBe(expected);
  });

  it.each([
    ["", /empty/],
    ["my-project.livekit.cloud", /no scheme/],
    ["localhost:7880", /no scheme/],
    ["ftp://host", /unsupported scheme "ftp"/],
    ["https://host/lk", /path, query or fragment/],
    ["https://host/?a=1", /path, query or fragment/],
    ["https://host/#x", /path, query or fragment/],
    ["https://", /not a valid URL|no host/],
  ])("%j is a UsageError (%s) with a hint", (input, message) => {
    let err: unknown;
    try {
      resolveBaseUrl(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toMatch(message);
    expect((err as UsageError).hint).toMatch(/ws:\/\/|wss:\/\/|https?:\/\//);
  });

  it("refuses user info without echoing the password", () => {
    let err: unknown;
    try {
      resolveBaseUrl("https://key:s3cr3tpassword@host");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toContain("user info");
    expect((err as UsageError).message).not.toContain("s3cr3tpassword");
  });
});
