// Minimal node-oidc-provider for authgate's benchmark (bench/peer.py starts it).
// One confidential client; client_credentials issues RS256 JWT access tokens for the
// resource "urn:bench:jwt" (a signature, nothing stored) and opaque tokens for
// "urn:bench:opaque" (stored in the in-memory adapter), which introspection looks up:
// node-oidc-provider refuses to introspect structured (JWT) tokens.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 3901);
const clientId = process.env.CLIENT_ID || 'bench-client';
const clientSecret = process.env.CLIENT_SECRET || 'bench-secret-bench-secret-bench-secret';

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'api',
  }],
  scopes: ['api'],
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
provider.on('server_error', (ctx, err) => console.error('server_error', err));

provider.listen(port, '127.0.0.1', () => {
  console.log(`peer listening on 127.0.0.1:${port}`);
});
