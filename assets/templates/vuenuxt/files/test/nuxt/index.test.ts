import { mountSuspended, registerEndpoint } from "@nuxt/test-utils/runtime";
import { describe, expect, it } from "vitest";

import IndexPage from "~/pages/index.vue";

registerEndpoint("/api/health", () => ({ status: "ok", version: "0.1.0" }));

describe("the home page", () => {
  it("names the app and says what it is for", async () => {
    const config = useAppConfig();
    const page = await mountSuspended(IndexPage);
    expect(page.get("h1").text()).toBe(config.appName);
    expect(page.get(".idea").element.textContent).toBe(config.appIdea);
  });

  it("reports the API as online", async () => {
    const page = await mountSuspended(IndexPage);
    expect(page.get(".status").text()).toContain("online");
  });
});
