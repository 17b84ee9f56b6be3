import { describe, expect, it } from "vitest";

import { healthStatus } from "../../server/utils/health";

describe("the health check", () => {
  it("answers ok with the version", () => {
    expect(healthStatus()).toEqual({ status: "ok", version: "0.1.0" });
  });
});
