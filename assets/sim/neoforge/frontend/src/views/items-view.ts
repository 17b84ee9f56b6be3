// The signed-in user's items: a page of the list with loading and error states, a form to
// add one, a checkbox to mark one done, a button to delete one, and paging.
import { LitElement, css, html, type TemplateResult } from "lit";
import { customElement, state } from "lit/decorators.js";

import { ApiError, createItem, deleteItem, errorMessage, listItems, updateItem, type Item, type ItemPage } from "../api";
import type { ViewInfo } from "../app-root";
import { session } from "../session";

export const view: ViewInfo = { path: "/items", title: "Items", tag: "items-view" };

/** Items per page. */
export const PAGE_SIZE = 10;

export const TITLE_MAX_LENGTH = 200;

@customElement("items-view")
export class ItemsView extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    form {
      display: flex;
      flex-wrap: wrap;
      gap: 0.5rem;
      margin-bottom: 1rem;
    }
    input[name="title"] {
      flex: 1 1 12rem;
    }
    input[name="description"] {
      flex: 2 1 16rem;
    }
    input,
    button {
      font: inherit;
      padding: 0.35rem 0.5rem;
    }
    ul {
      list-style: none;
      padding: 0;
      margin: 0;
    }
    li {
      display: flex;
      align-items: center;
      gap: 0.75rem;
      padding: 0.5rem 0;
      border-bottom: 1px solid #d9e2ec;
    }
    li .text {
      flex: 1;
    }
    li.done .title {
      text-decoration: line-through;
      color: #627d98;
    }
    .description {
      display: block;
      color: #627d98;
      font-size: 0.9rem;
    }
    .error {
      color: #b42318;
    }
    .pager {
      display: flex;
      align-items: center;
      gap: 1rem;
      margin-top: 1rem;
    }
  `;

  @state() private page: ItemPage | null = null;
  @state() private loading = false;
  @state() private error: string | null = null;
  @state() private formError: string | null = null;
  @state() private saving = false;
  @state() private offset = 0;

  private readonly onSessionChange = () => {
    if (session.signedIn) {
      void this.load();
    } else {
      this.page = null;
      this.offset = 0;
      this.requestUpdate();
    }
  };

  override connectedCallback(): void {
    super.connectedCallback();
    session.addEventListener("change", this.onSessionChange);
    if (session.signedIn) {
      void this.load();
    }
  }

  override disconnectedCallback(): void {
    session.removeEventListener("change", this.onSessionChange);
    super.disconnectedCallback();
  }

  /** Loads the page at `offset` (the current one by default). */
  async load(offset = this.offset): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const page = await listItems({ limit: PAGE_SIZE, offset });
      if (page.items.length === 0 && page.total > 0 && offset > 0) {
        // The last item of the last page went: show the page before it.
        return await this.load(Math.max(0, offset - PAGE_SIZE));
      }
      this.page = page;
      this.offset = offset;
    } catch (error) {
      this.fail(error, (message) => (this.error = `Could not load your items: ${message}`));
    } finally {
      this.loading = false;
    }
  }

  /** Shows an error; a refused token (401) signs the user out instead. */
  private fail(error: unknown, show: (message: string) => void): void {
    if (error instanceof ApiError && error.status === 401) {
      session.signOut();
      return;
    }
    show(errorMessage(error));
  }

  private async add(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const title = String(data.get("title") ?? "").trim();
    const description = String(data.get("description") ?? "").trim();
    if (!title) {
      this.formError = "Give the item a title.";
      return;
    }
    this.saving = true;
    this.formError = null;
    try {
      await createItem({ title, description });
      form.reset();
      const total = (this.page?.total ?? 0) + 1;
      // Show the page the new item is on (items are listed oldest first).
      await this.load(Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE);
    } catch (error) {
      this.fail(error, (message) => (this.formError = message));
    } finally {
      this.saving = false;
    }
  }

  private async toggle(item: Item): Promise<void> {
    try {
      const updated = await updateItem(item.id, { done: !item.done });
      if (this.page) {
        this.page = { ...this.page, items: this.page.items.map((i) => (i.id === updated.id ? updated : i)) };
      }
    } catch (error) {
      this.fail(error, (message) => (this.error = `Could not update “${item.title}”: ${message}`));
    }
  }

  private async deleteOne(item: Item): Promise<void> {
    try {
      await deleteItem(item.id);
      await this.load();
    } catch (error) {
      this.fail(error, (message) => (this.error = `Could not delete “${item.title}”: ${message}`));
    }
  }

  private renderItem(item: Item): TemplateResult {
    return html`
      <li class=${item.done ? "done" : ""} data-id=${item.id}>
        <input
          type="checkbox"
          .checked=${item.done}
          @change=${() => this.toggle(item)}
          aria-label="Mark “${item.title}” as ${item.done ? "not done" : "done"}"
        />
        <span class="text">
          <span class="title">${item.title}</span>
          ${item.description ? html`<span class="description">${item.description}</span>` : null}
        </span>
        <button type="button" class="delete" @click=${() => this.deleteOne(item)}>Delete</button>
      </li>
    `;
  }

  private renderList(): TemplateResult {
    if (this.loading && !this.page) {
      return html`<p class="loading" role="status">Loading your items…</p>`;
    }
    if (!this.page) {
      return html``;
    }
    const { items, total, offset } = this.page;
    if (total === 0) {
      return html`<p class="empty">No items yet: add your first one above.</p>`;
    }
    const last = Math.min(offset + items.length, total);
    return html`
      <ul>
        ${items.map((item) => this.renderItem(item))}
      </ul>
      <div class="pager">
        <button type="button" class="previous" ?disabled=${offset === 0 || this.loading} @click=${() => this.load(offset - PAGE_SIZE)}>
          Previous
        </button>
        <span class="range">${offset + 1}–${last} of ${total}</span>
        <button type="button" class="next" ?disabled=${last >= total || this.loading} @click=${() => this.load(offset + PAGE_SIZE)}>
          Next
        </button>
      </div>
    `;
  }

  override render(): TemplateResult {
    if (!session.signedIn) {
      return html`
        <h2>Items</h2>
        <p class="signed-out"><a href="#/login">Sign in</a> to see your items.</p>
      `;
    }
    return html`
      <h2>Items</h2>
      <form @submit=${this.add} novalidate>
        <input name="title" placeholder="Title" aria-label="Title" maxlength=${TITLE_MAX_LENGTH} required />
        <input name="description" placeholder="Description (optional)" aria-label="Description" />
        <button type="submit" ?disabled=${this.saving}>${this.saving ? "Adding…" : "Add item"}</button>
      </form>
      ${this.formError ? html`<p class="error form-error" role="alert">${this.formError}</p>` : null}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : null} ${this.renderList()}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "items-view": ItemsView;
  }
}
