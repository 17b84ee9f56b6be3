import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import ItemForm from "@/components/item-form";
import { ApiError } from "@/lib/api";

function field(name: string): HTMLInputElement {
  const element = document.querySelector<HTMLInputElement>(`[name="${name}"]`);
  if (!element) {
    throw new Error(`no field named ${name}`);
  }
  return element;
}

describe("the item form", () => {
  afterEach(cleanup);

  it("hands the trimmed input to onSubmit", async () => {
    const onSubmit = vi.fn();
    render(<ItemForm submitLabel="Add item" onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText("Title"), { target: { value: "  Send invoice  " } });
    fireEvent.change(screen.getByLabelText("Description"), { target: { value: "To ACME" } });
    fireEvent.click(screen.getByLabelText("Done"));
    fireEvent.click(screen.getByRole("button", { name: "Add item" }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledTimes(1));
    expect(onSubmit).toHaveBeenCalledWith({ title: "Send invoice", description: "To ACME", done: true });
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("shows the validation error and does not submit without a title", async () => {
    const onSubmit = vi.fn();
    render(<ItemForm onSubmit={onSubmit} />);
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Title is required");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("starts from the initial values", () => {
    render(
      <ItemForm initial={{ title: "Quarterly taxes", description: "Q3", done: true }} onSubmit={() => undefined} />,
    );
    expect(field("title").value).toBe("Quarterly taxes");
    expect(field("description").value).toBe("Q3");
    expect(field("done").checked).toBe(true);
  });

  it("shows the error the save throws, and keeps the input", async () => {
    const onSubmit = vi.fn(async () => {
      throw new ApiError(400, "Title must be at most 120 characters");
    });
    render(<ItemForm onSubmit={onSubmit} resetOnSuccess />);
    fireEvent.change(screen.getByLabelText("Title"), { target: { value: "Too long, says the server" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Title must be at most 120 characters");
    expect(field("title").value).toBe("Too long, says the server");
  });

  it("empties itself after a successful create", async () => {
    render(<ItemForm onSubmit={async () => undefined} resetOnSuccess />);
    fireEvent.change(screen.getByLabelText("Title"), { target: { value: "Chase payment" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(field("title").value).toBe(""));
  });
});
