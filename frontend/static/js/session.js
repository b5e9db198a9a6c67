// The signed-in user and what the role may do (the server enforces the same matrix,
// docs/api.md "Roles"; the app only hides or disables what would be refused).

import { api, getToken, setToken } from "./api.js";

const MATRIX = {
  upload: ["admin", "consultant", "supplier"],
  delete_document: ["admin", "consultant", "supplier"],
  analyze: ["admin", "consultant", "supplier"],
  review: ["admin", "consultant"],
  comment: ["admin", "consultant", "supplier", "auditor"],
  create_workspace: ["admin", "consultant"],
  edit_workspace: ["admin", "consultant"],
  delete_workspace: ["admin"],
  manage_members: ["admin"],
};

export const session = {
  user: null,

  can(action) {
    return Boolean(this.user && (MATRIX[action] || []).includes(this.user.role));
  },

  async restore() {
    if (!getToken()) return null;
    try {
      this.user = await api.get("/auth/me");
    } catch {
      setToken(null);
      this.user = null;
    }
    return this.user;
  },

  async signIn(email, password) {
    const answer = await api.post("/auth/login", { email, password });
    setToken(answer.access_token);
    this.user = answer.user;
    return this.user;
  },

  async signOut() {
    try {
      if (getToken()) await api.post("/auth/logout");
    } catch {
      // the token may be expired already: forgetting it is what matters
    }
    setToken(null);
    this.user = null;
  },

  expire() {
    setToken(null);
    this.user = null;
  },
};
