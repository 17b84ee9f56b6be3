// The application shell: header with navigation, API status and the signed-in user; the
// views in src/views/ routed by location hash (#/items).
import { LitElement, css, html, nothing, type TemplateResult } from "lit";
import { customElement, state } from "lit/decorators.js";

import { getHealth } from "./api";
import { session } from "./session";

export const APP_NAME: string = "__APP_NAME__";
export const APP_IDEA: string = "__APP_IDEA__";

/** What a feature view in src/views/ exports as `view`. */
export interface ViewInfo {
  /** The route, matched against the location hash: "/items" is shown at #/items. */
  path: string;
  /** The label in the navigation. */
  title: string;
  /** The custom element the view module defines. */
  tag: string;
}

const modules = import.meta.glob<{ view?: ViewInfo }>(["./views/*.ts", "!./views/*.test.ts"], {
  eager: true,
});

/** The feature views found in src/views/, in path order. */
export const views: ViewInfo[] = Object.values(modules)
  .flatMap((module) => (module.view ? [module.view] : []))
  .sort((a, b) => a.path.localeCompare(b.path));

type ApiStatus = "checking" | "online" | "offline";

function currentRoute(): string {
  return window.location.hash.replace(/^#/, "") || "/";
}

@customElement("app-root")
export class AppRoot extends LitElement {
  static override styles = css`
    :host {
      display: flex;
      flex-direction: column;
      min-height: 100vh;
      font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
      color: #1f2933;
      background: #f7f9fb;
    }
    header {
      display: flex;
      align-items: center;
      gap: 1.5rem;
      padding: 0.75rem 1.5rem;
      background: #102a43;
      color: #fff;
    }
    h1 {
      margin: 0;
      font-size: 1.25rem;
    }
    nav {
      display: flex;
      gap: 1rem;
      flex: 1;
    }
    nav a {
      color: #bcccdc;
      text-decoration: none;
    }
    nav a[aria-current="page"] {
      color: #fff;
      font-weight: 600;
    }
    .status {
      font-size: 0.85rem;
    }
    .status.online {
      color: #8ded8e;
    }
    .status.offline {
      color: #ffb3b3;
    }
    .user {
      display: flex;
      align-items: center;
      gap: 0.5rem;
      font-size: 0.85rem;
    }
    .user button {
      font: inherit;
      color: #fff;
      background: transparent;
      border: 1px solid #829ab1;
      border-radius: 4px;
      padding: 0.15rem 0.5rem;
      cursor: pointer;
    }
    main {
      flex: 1;
      padding: 2rem 1.5rem;
      max-width: 960px;
      width: 100%;
      margin: 0 auto;
      box-sizing: border-box;
    }
  `;

  @state() private route = currentRoute();
  @state() private apiStatus: ApiStatus = "checking";

  private readonly onHashChange = () => {
    this.route = currentRoute();
  };

  private readonly onSessionChange = () => {
    this.requestUpdate();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener("hashchange", this.onHashChange);
    session.addEventListener("change", this.onSessionChange);
    void this.checkApi();
    void session.restore();
  }

  override disconnectedCallback(): void {
    window.removeEventListener("hashchange", this.onHashChange);
    session.removeEventListener("change", this.onSessionChange);
    super.disconnectedCallback();
  }

  private async checkApi(): Promise<void> {
    try {
      const health = await getHealth();
      this.apiStatus = health.status === "ok" ? "online" : "offline";
    } catch {
      this.apiStatus = "offline";
    }
  }

  private signOut(): void {
    session.signOut();
    window.location.hash = "#/login";
  }

  /** One element per view, kept so that a view keeps its state across navigation. */
  private readonly viewElements = new Map<string, Element>();

  private renderView(): TemplateResult | Element {
    const current = views.find((view) => view.path === this.route);
    if (current) {
      let element = this.viewElements.get(current.tag);
      if (!element) {
        element = document.createElement(current.tag);
        this.viewElements.set(current.tag, element);
      }
      return element;
    }
    return html`
      <section class="welcome">
        <h2>Welcome</h2>
        <p>${APP_IDEA}</p>
        <p>${session.user ? html`<a href="#/items">Go to your items</a>` : html`<a href="#/login">Sign in</a> to start.`}</p>
      </section>
    `;
  }

  private renderUser(): TemplateResult | typeof nothing {
    const user = session.user;
    if (!user) {
      return nothing;
    }
    return html`
      <span class="user">
        <span class="email">${user.full_name ?? user.email}</span>
        <button type="button" @click=${this.signOut}>Sign out</button>
      </span>
    `;
  }

  override render(): TemplateResult {
    return html`
      <header>
        <h1>${APP_NAME}</h1>
        <nav aria-label="Main">
          ${views.map(
            (view) => html`
              <a href="#${view.path}" aria-current=${view.path === this.route ? "page" : "false"}>${view.title}</a>
            `,
          )}
        </nav>
        ${this.renderUser()}
        <span class="status ${this.apiStatus}" role="status">API: ${this.apiStatus}</span>
      </header>
      <main>${this.renderView()}</main>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "app-root": AppRoot;
  }
}
