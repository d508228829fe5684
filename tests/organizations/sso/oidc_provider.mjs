// A real OpenID Connect provider for the SSO tests: panva's oidc-provider on loopback, with a sign-in page
// that takes an address (login_hint prefilled) and grants the client's scopes. Test use only.
// Usage: node oidc_provider.mjs <port> <config.json>; prints "ready" when listening.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const issuer = `http://localhost:${port}`;

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
  })),
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'department', 'employee_code'],
  },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: id, email_verified: true, ...(config.accounts[id] || {}) }),
  }),
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['test-only-cookie-key'] },
  // The tests hold the signing key too, to make tokens no honest provider issues (expired ones).
  ...(config.jwks ? { jwks: config.jwks } : {}),
});

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  const match = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return provider.callback()(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (!match[2]) {
      const hint = details.params.login_hint || '';
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      return res.end(`<!doctype html><html lang="en"><title>Test IdP</title><h1>Test OIDC IdP</h1>
<form method="post" action="/interaction/${details.uid}/login"><label>Email <input name="email" value="${escape(hint)}"></label>
<button type="submit" id="idp-sign-in">Sign in</button></form>`);
    }
    let body = '';
    for await (const chunk of req) body += chunk;
    const email = new URLSearchParams(body).get('email');
    const grant = new provider.Grant({ accountId: email, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId: email }, consent: { grantId } }, {
      mergeWithLastSubmission: false,
    });
  } catch (error) {
    res.statusCode = 400;
    res.end(String(error));
  }
});
server.listen(Number(port), '127.0.0.1', () => console.log('ready'));
