import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';

/** A signing key of the fake project: what Supabase holds (private) and publishes (the JWK). */
export interface FakeSigningKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  privateKey: KeyLike;
  publicJwk: JWK;
}

export interface MintOptions {
  /** Claims to add or override (set one to undefined to leave it out). */
  claims?: Record<string, unknown>;
  /** Header fields to override (kid, alg). */
  header?: Record<string, unknown>;
}

/**
 * A local stand-in for a Supabase project's auth server, as far as this API sees it: the JWKS at
 * /auth/v1/.well-known/jwks.json on a loopback port (SUPABASE_URL = this.url). Keys can be added
 * and removed (rotation), the server stopped (down) or made to hang, and every JWKS request is
 * counted. `mint` signs access tokens shaped like Supabase's with jose.
 */
export class FakeSupabase {
  readonly keys: FakeSigningKey[] = [];
  jwksRequests = 0;
  /** When true the JWKS request is accepted and never answered. */
  hang = false;
  private server?: http.Server;
  private readonly hanging = new Set<http.ServerResponse>();

  private constructor(readonly port: number) {}

  static async start(port: number): Promise<FakeSupabase> {
    const fake = new FakeSupabase(port);
    await fake.listen();
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get issuer(): string {
    return `${this.url}/auth/v1`;
  }

  async listen(): Promise<void> {
    const server = http.createServer((req, res) => {
      if (req.url !== '/auth/v1/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      this.jwksRequests += 1;
      if (this.hang) {
        this.hanging.add(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Stops answering: connections are refused until listen() again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A new key published in the JWKS (a rotation's new key, or the first one). */
  async addKey(alg: 'ES256' | 'RS256' = 'ES256', publish = true): Promise<FakeSigningKey> {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const kid = randomUUID();
    const key: FakeSigningKey = { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
    if (publish) this.keys.push(key);
    return key;
  }

  removeKey(kid: string): void {
    const i = this.keys.findIndex((k) => k.kid === kid);
    if (i >= 0) this.keys.splice(i, 1);
  }

  /** The claims Supabase puts in a signed-in user's access token, valid for an hour. */
  claimsFor(sub: string, extra: Record<string, unknown> = {}): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: this.issuer,
      aud: 'authenticated',
      sub,
      role: 'authenticated',
      email: `${sub.slice(0, 8)}@example.test`,
      iat: now,
      exp: now + 3600,
      session_id: randomUUID(),
      aal: 'aal1',
      app_metadata: { provider: 'email', providers: ['email'] },
      user_metadata: {},
      ...extra,
    };
  }

  /** An access token for `sub` signed with `key` (asymmetric) or an HS256 secret. */
  async mint(sub: string, key: FakeSigningKey | { secret: string }, opts: MintOptions = {}): Promise<string> {
    const claims = Object.fromEntries(Object.entries(this.claimsFor(sub, opts.claims)).filter(([, v]) => v !== undefined)) as JWTPayload;
    if ('secret' in key) {
      return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...opts.header } as { alg: string }).sign(new TextEncoder().encode(key.secret));
    }
    return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...opts.header } as { alg: string }).sign(key.privateKey);
  }
}

/** base64url of a JSON value, to hand-build forged tokens (alg "none", tampered payloads). */
export const b64json = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
