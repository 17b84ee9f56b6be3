import { afterEach, describe, expect, it, vi } from "vitest";

import { APP_NAME, type AppRoot } from "./app-root";

function mockHealth(ok: boolean): void {
  vi.stubGlobal(
    "fetch",
    vi.fn(async () =>
      ok
        ? new Response(JSON.stringify({ status: "ok" }), {
            status: 200,
            headers: { "Content-Type": "application/json" },
          })
        : Promise.reject(new TypeError("network down")),
    ),
  );
}

async function mount(): Promise<AppRoot> {
  const element = document.createElement("app-root");
  document.body.append(element);
  await element.updateComplete;
  return element;
}

describe("app-root", () => {
  afterEach(() => {
    document.body.replaceChildren();
    vi.unstubAllGlobals();
  });

  it("shows the application name", async () => {
    mockHealth(true);
    const element = await mount();
    expect(element.shadowRoot?.querySelector("h1")?.textContent).toBe(APP_NAME);
  });

  it("reports the API as online when /health answers ok", async () => {
    mockHealth(true);
    const element = await mount();
    await vi.waitFor(() => {
      expect(element.shadowRoot?.querySelector(".status")?.textContent).toContain("online");
    });
  });

  it("reports the API as offline when the backend cannot be reached", async () => {
    mockHealth(false);
    const element = await mount();
    await vi.waitFor(() => {
      expect(element.shadowRoot?.querySelector(".status")?.textContent).toContain("offline");
    });
  });
});
