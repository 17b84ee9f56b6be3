import { mountSuspended } from "@nuxt/test-utils/runtime";
import { describe, expect, it } from "vitest";

import ItemForm from "~/components/ItemForm.vue";

describe("the item form", () => {
  it("emits the trimmed input when the form is submitted", async () => {
    const form = await mountSuspended(ItemForm, { props: { submitLabel: "Add item" } });
    await form.get('input[name="title"]').setValue("  Send invoice  ");
    await form.get('textarea[name="description"]').setValue("To ACME, net 30");
    await form.get('input[name="done"]').setValue(true);
    await form.get("form").trigger("submit");
    expect(form.emitted("submit")).toEqual([[{ title: "Send invoice", description: "To ACME, net 30", done: true }]]);
    expect(form.find('[role="alert"]').exists()).toBe(false);
  });

  it("shows the validation error and emits nothing without a title", async () => {
    const form = await mountSuspended(ItemForm);
    await form.get("form").trigger("submit");
    expect(form.get('[role="alert"]').text()).toBe("Title is required");
    expect(form.emitted("submit")).toBeUndefined();
  });

  it("starts from the initial values and labels its button", async () => {
    const form = await mountSuspended(ItemForm, {
      props: { initial: { title: "Quarterly taxes", description: "Q3", done: true }, submitLabel: "Save changes" },
    });
    expect((form.get('input[name="title"]').element as HTMLInputElement).value).toBe("Quarterly taxes");
    expect((form.get('textarea[name="description"]').element as HTMLTextAreaElement).value).toBe("Q3");
    expect((form.get('input[name="done"]').element as HTMLInputElement).checked).toBe(true);
    expect(form.get("button").text()).toBe("Save changes");
  });

  it("disables its button while busy", async () => {
    const form = await mountSuspended(ItemForm, { props: { busy: true } });
    expect(form.get("button").attributes("disabled")).toBeDefined();
    expect(form.get("button").text()).toBe("Saving…");
  });
});
