// Sign in with e-mail and password.

import { announce, field, h, replace } from "../dom.js";

export async function render(ctx) {
  if (ctx.session.user) {
    ctx.afterSignIn();
    return "Sign in";
  }
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true, autocapitalize: "off", spellcheck: "false" });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "form-error", role: "alert", id: "login-error" });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "panel", novalidate: true, "aria-describedby": "login-error" },
    field("E-mail", email),
    field("Password", password),
    error,
    h("div", { class: "actions" }, submit));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!email.value.trim() || !password.value) {
      error.textContent = "Enter your e-mail and password.";
      (email.value.trim() ? password : email).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      const user = await ctx.session.signIn(email.value.trim(), password.value);
      announce(`Signed in as ${user.email}`);
      ctx.afterSignIn();
    } catch (err) {
      error.textContent = err.status === 401 ? "Wrong e-mail or password." : err.message;
      password.value = "";
      password.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });

  replace(ctx.container,
    h("div", { class: "narrow" },
      h("h1", {}, "Sign in to qmsgap"),
      h("p", { class: "meta" }, "QMS document gap analysis against ASQMS. Your administrator gives you an account."),
      form));
  return "Sign in";
}
