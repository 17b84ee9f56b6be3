// The sign-in state: the access token (kept in localStorage across reloads) and the
// signed-in user. Elements listen for "change" events to render again.
import { ApiError, getMe, logIn, setAuthToken, signUp, type User } from "./api";

const TOKEN_KEY = "auth.token";

function readStoredToken(): string | null {
  try {
    return window.localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function storeToken(token: string | null): void {
  try {
    if (token) {
      window.localStorage.setItem(TOKEN_KEY, token);
    } else {
      window.localStorage.removeItem(TOKEN_KEY);
    }
  } catch {
    // Storage is unavailable (private mode): the session lasts until the page closes.
  }
}

export class Session extends EventTarget {
  private currentUser: User | null = null;
  private token: string | null = null;

  /** The signed-in user, or null. */
  get user(): User | null {
    return this.currentUser;
  }

  get signedIn(): boolean {
    return this.currentUser !== null;
  }

  /** Signs in with email and password; throws ApiError (401 for wrong credentials). */
  async signIn(email: string, password: string): Promise<User> {
    const { access_token } = await logIn(email.trim(), password);
    this.setToken(access_token);
    try {
      return this.setUser(await getMe());
    } catch (error) {
      this.signOut();
      throw error;
    }
  }

  /** Creates an account, then signs in with it; throws ApiError (409 if the email is taken). */
  async signUp(email: string, password: string, fullName?: string): Promise<User> {
    await signUp(email.trim(), password, fullName);
    return this.signIn(email, password);
  }

  /** Picks up a token stored by an earlier visit; a token the API refuses is forgotten. */
  async restore(): Promise<User | null> {
    const stored = readStoredToken();
    if (!stored || this.signedIn) {
      return this.currentUser;
    }
    this.token = stored;
    setAuthToken(stored);
    try {
      return this.setUser(await getMe());
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.signOut();
      }
      return null;
    }
  }

  /** Forgets the token and the user. */
  signOut(): void {
    const changed = this.token !== null || this.currentUser !== null;
    this.token = null;
    this.currentUser = null;
    setAuthToken(null);
    storeToken(null);
    if (changed) {
      this.dispatchEvent(new Event("change"));
    }
  }

  private setToken(token: string): void {
    this.token = token;
    setAuthToken(token);
    storeToken(token);
  }

  private setUser(user: User): User {
    this.currentUser = user;
    this.dispatchEvent(new Event("change"));
    return user;
  }
}

/** The app's one session. */
export const session = new Session();
