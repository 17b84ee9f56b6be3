// Sign in, or create an account and sign in with it; shows who is signed in otherwise.
import { LitElement, css, html, type TemplateResult } from "lit";
import { customElement, state } from "lit/decorators.js";

import { errorMessage } from "../api";
import type { ViewInfo } from "../app-root";
import { session } from "../session";

export const view: ViewInfo = { path: "/login", title: "Sign in", tag: "login-view" };

/** Where a successful sign-in goes. */
export const AFTER_SIGN_IN = "#/items";

export const PASSWORD_MIN_LENGTH = 8;

type Mode = "sign-in" | "sign-up";

@customElement("login-view")
export class LoginView extends LitElement {
  static override styles = css`
    :host {
      display: block;
      max-width: 24rem;
    }
    form {
      display: flex;
      flex-direction: column;
      gap: 0.75rem;
    }
    label {
      display: flex;
      flex-direction: column;
      gap: 0.25rem;
    }
    input {
      font: inherit;
      padding: 0.4rem 0.5rem;
    }
    .error {
      color: #b42318;
      margin: 0;
    }
    .switch {
      background: none;
      border: none;
      padding: 0;
      color: #2563eb;
      cursor: pointer;
      font: inherit;
      text-decoration: underline;
    }
  `;

  @state() private mode: Mode = "sign-in";
  @state() private busy = false;
  @state() private error: string | null = null;

  private readonly onSessionChange = () => {
    this.requestUpdate();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    session.addEventListener("change", this.onSessionChange);
  }

  override disconnectedCallback(): void {
    session.removeEventListener("change", this.onSessionChange);
    super.disconnectedCallback();
  }

  private switchMode(): void {
    this.mode = this.mode === "sign-in" ? "sign-up" : "sign-in";
    this.error = null;
  }

  private async submit(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    const email = String(data.get("email") ?? "").trim();
    const password = String(data.get("password") ?? "");
    const fullName = String(data.get("full_name") ?? "");
    if (!email || !password) {
      this.error = "Enter your email and password.";
      return;
    }
    if (this.mode === "sign-up" && password.length < PASSWORD_MIN_LENGTH) {
      this.error = `Choose a password of at least ${PASSWORD_MIN_LENGTH} characters.`;
      return;
    }
    this.busy = true;
    this.error = null;
    try {
      if (this.mode === "sign-up") {
        await session.signUp(email, password, fullName);
      } else {
        await session.signIn(email, password);
      }
      window.location.hash = AFTER_SIGN_IN;
    } catch (error) {
      this.error = errorMessage(error);
    } finally {
      this.busy = false;
    }
  }

  override render(): TemplateResult {
    const user = session.user;
    if (user) {
      return html`
        <h2>Signed in</h2>
        <p class="signed-in">You are signed in as <strong>${user.email}</strong>.</p>
        <p><a href=${AFTER_SIGN_IN}>Go to your items</a></p>
        <button type="button" @click=${() => session.signOut()}>Sign out</button>
      `;
    }
    const signingUp = this.mode === "sign-up";
    return html`
      <h2>${signingUp ? "Create an account" : "Sign in"}</h2>
      <form @submit=${this.submit} novalidate>
        <label>
          Email
          <input name="email" type="email" autocomplete="email" required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete=${signingUp ? "new-password" : "current-password"}
            minlength=${signingUp ? PASSWORD_MIN_LENGTH : 1}
            required
          />
        </label>
        ${signingUp
          ? html`<label>
              Name (optional)
              <input name="full_name" type="text" autocomplete="name" />
            </label>`
          : null}
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : null}
        <button type="submit" ?disabled=${this.busy}>
          ${this.busy ? "Please wait…" : signingUp ? "Create account" : "Sign in"}
        </button>
      </form>
      <p>
        ${signingUp ? "Already have an account?" : "New here?"}
        <button type="button" class="switch" @click=${this.switchMode}>
          ${signingUp ? "Sign in" : "Create an account"}
        </button>
      </p>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "login-view": LoginView;
  }
}
