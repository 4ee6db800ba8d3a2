// The province's identity service as the tests meet it: oidc-provider (a certified OpenID Connect provider) on
// 127.0.0.1, with one confidential client (the tracker), PKCE required, and a plain login page of its own.
//
//   node provider.js <port> <settings.json>
//
// settings.json: {"client_id", "client_secret", "redirect_uris": [...], "post_logout_redirect_uris": [...],
//                 "accounts": "<path of accounts.json>"}
// accounts.json (read at every sign-in, so a test may add people while the provider runs):
//   {"<username>": {"password", "sub", "email", "email_verified", "name", "department", "groups": [...]}}
//
// Prints "ready <issuer>" once it listens. Nothing here is the tracker's: it stands for a provider it talks to.
// oidc-provider 8 (Node 18 or later; 9 wants Node 22): its in-memory store, which it warns of, is what one
// short-lived process for a test run needs.
import crypto from 'node:crypto';
import fs from 'node:fs';

import Provider from 'oidc-provider';

const [port, settingsPath] = process.argv.slice(2);
const settings = JSON.parse(fs.readFileSync(settingsPath, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

function accounts() {
  return JSON.parse(fs.readFileSync(settings.accounts, 'utf8'));
}

function bySub(sub) {
  return Object.values(accounts()).find((account) => account.sub === sub);
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// A signing key of this run only (never the library's development key).
const signingKey = {
  ...crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: crypto.randomBytes(8).toString('hex'),
  use: 'sig',
  alg: 'RS256',
};

const provider = new Provider(issuer, {
  clients: [{
    client_id: settings.client_id,
    client_secret: settings.client_secret,
    redirect_uris: settings.redirect_uris,
    post_logout_redirect_uris: settings.post_logout_redirect_uris,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  // PKCE for every client, confidential ones too (the default asks it of public clients only).
  pkce: { required: () => true },
  // The agency travels with the profile; the groups with a scope of their own, as many providers do.
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'department'],
    groups: ['groups'],
  },
  async findAccount(ctx, sub) {
    const account = bySub(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        const { password, ...claims } = account;
        return claims;
      },
    };
  },
  features: {
    devInteractions: { enabled: false }, // our own login page below
    rpInitiatedLogout: {
      enabled: true,
      // A plain page (the default one imports a web font): the form the library gives, and its two buttons.
      async logoutSource(ctx, form) {
        ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign out</title></head><body>
          <h1>Sign out of the identity service?</h1>${form}
          <button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
          <button type="submit" form="op.logoutForm">No, stay signed in</button></body></html>`;
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // The tests' clock runs in real time; short-lived tokens would only make them flaky.
  ttl: { AccessToken: 600, AuthorizationCode: 120, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
});

async function formBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

function loginPage(uid, message = '') {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Identity service</title></head><body>
    <h1>Sign in to the identity service</h1>${message ? `<p class="error">${escape(message)}</p>` : ''}
    <form method="post" action="/interaction/${escape(uid)}/login">
      <label>Username <input name="username" autofocus></label>
      <label>Password <input name="password" type="password"></label>
      <button type="submit">Sign in</button>
    </form>
    <form method="post" action="/interaction/${escape(uid)}/abort"><button type="submit">Cancel</button></form>
  </body></html>`;
}

// Consent for the one first-party client is given at once, as a province's own service would: a grant of
// exactly what the request asked for.
async function grantConsent(interaction) {
  const { prompt: { details }, params, session: { accountId } } = interaction;
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  if (details.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  return interaction.grantId ? {} : { grantId };
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([\w-]+)(?:\/(login|abort))?$/);
  if (!match) return next();
  const [, uid, action] = match;
  const interaction = await provider.interactionDetails(ctx.req, ctx.res);
  if (interaction.uid !== uid) ctx.throw(400, 'interaction mismatch');
  let result;
  if (!action && ctx.method === 'GET') {
    if (interaction.prompt.name === 'consent') {
      result = { consent: await grantConsent(interaction) };
    } else {
      ctx.type = 'html';
      ctx.body = loginPage(uid);
      return undefined;
    }
  } else if (action === 'login' && ctx.method === 'POST') {
    const { username = '', password = '' } = await formBody(ctx.req);
    const account = accounts()[username];
    if (!account || account.password !== password) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage(uid, 'Wrong username or password.');
      return undefined;
    }
    result = { login: { accountId: account.sub } };
  } else if (action === 'abort' && ctx.method === 'POST') {
    result = { error: 'access_denied', error_description: 'The person cancelled the sign-in.' };
  } else {
    ctx.throw(405);
  }
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(returnTo);
  return undefined;
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
