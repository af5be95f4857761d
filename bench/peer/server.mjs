// Minimal node-oidc-provider for authgate's benchmark (bench/peer.py starts it).
// One confidential client; client_credentials issues RS256 JWT access tokens for the
// resource "urn:bench:jwt" (a signature, nothing stored) and opaque tokens for
// "urn:bench:opaque" (stored in the in-memory adapter), which introspection looks up:
// node-oidc-provider refuses to introspect structured (JWT) tokens.
// The refresh_token grant rotates every token (rotateRefreshToken: true) and answers with an RS256
// JWT access token for "urn:bench:jwt": find, spend, store the successor, sign -- what authgate's
// rotating refresh does. Its refresh tokens come from POST /bench/refresh-tokens?count=N (one grant
// each, as a code exchange with offline_access would leave them), since an authorization code flow
// needs a browser session the benchmark does not drive.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 3901);
const clientId = process.env.CLIENT_ID || 'bench-client';
const clientSecret = process.env.CLIENT_SECRET || 'bench-secret-bench-secret-bench-secret';

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials', 'refresh_token'],
    redirect_uris: [],
    response_types: [],
    scope: 'api',
  }],
  scopes: ['api', 'offline_access'], // offline_access: what enables the refresh_token grant
  rotateRefreshToken: true,
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:bench:jwt',
      getResourceServerInfo: (ctx, resource) => ({
        scope: 'api',
        audience: resource,
        accessTokenTTL: 3600,
        accessTokenFormat: resource === 'urn:bench:opaque' ? 'opaque' : 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
// Seeds refresh tokens for the benchmark's rotating refresh phase (loopback only, like the server).
provider.use(async (ctx, next) => {
  if (ctx.method !== 'POST' || ctx.path !== '/bench/refresh-tokens') {
    await next();
    return;
  }
  const count = Math.min(Number(ctx.query.count || 1), 1000);
  const client = await provider.Client.find(clientId);
  const tokens = [];
  for (let i = 0; i < count; i += 1) {
    const accountId = `bench-user-${i}`;
    const grant = new provider.Grant({ accountId, clientId });
    grant.addResourceScope('urn:bench:jwt', 'api');
    const grantId = await grant.save();
    const token = new provider.RefreshToken({
      accountId, client, grantId, gty: 'authorization_code', scope: 'api', resource: 'urn:bench:jwt',
    });
    tokens.push(await token.save());
  }
  ctx.body = { refresh_tokens: tokens };
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

provider.listen(port, '127.0.0.1', () => {
  console.log(`peer listening on 127.0.0.1:${port}`);
});
