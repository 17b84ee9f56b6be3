import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import Home from "@/app/page";
import { APP_IDEA, APP_NAME } from "@/lib/config";

describe("the home page", () => {
  afterEach(cleanup);

  it("names the app and says what it is for", () => {
    const { container } = render(<Home />);
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe(APP_NAME);
    expect(container.querySelector("p")?.textContent).toBe(APP_IDEA);
  });
});
