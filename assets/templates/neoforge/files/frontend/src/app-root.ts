import { LitElement, css, html, type TemplateResult } from "lit";
import { customElement, state } from "lit/decorators.js";

import { getHealth } from "./api";

export const APP_NAME: string = {{ name | tojson }};
export const APP_IDEA: string = {{ idea | tojson }};

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

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener("hashchange", this.onHashChange);
    void this.checkApi();
  }

  override disconnectedCallback(): void {
    window.removeEventListener("hashchange", this.onHashChange);
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
      </section>
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
