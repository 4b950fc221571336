/**
 * HTTPS and mutual TLS for the Node server. With TLS_CERT_FILE and TLS_KEY_FILE the server speaks
 * HTTPS only; TLS_CLIENT_CA_FILE adds mutual TLS: a client that presents no certificate, or one
 * not signed by that CA (or expired), is refused during the handshake (`requestCert` with
 * `rejectUnauthorized`; verification is never switched off). The files are read again on SIGHUP
 * and swapped in with `setSecureContext`: new handshakes use them, open connections carry on.
 */
import { readFileSync } from 'node:fs';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import type { Context } from 'hono';
import type { CertificateTenant, KeyScope } from '../config';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  clientCaFile: string | undefined;
}

/** The files' contents, read now (at start, and again on every reload). */
export function readTlsFiles(files: TlsFiles): SecureContextOptions {
  return {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    ...(files.clientCaFile !== undefined && { ca: readFileSync(files.clientCaFile) }),
  };
}

/** https.createServer options: the files, TLS 1.2 or later, and client certificates when a CA is given. */
export function tlsServerOptions(files: TlsFiles): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: true; minVersion: 'TLSv1.2' } {
  return { ...readTlsFiles(files), requestCert: files.clientCaFile !== undefined, rejectUnauthorized: true, minVersion: 'TLSv1.2' };
}

/**
 * Maps a verified client certificate's subject common name to a tenant (HASHD_TLS_CLIENT_TENANTS),
 * for requests without an API key. Reads the socket that @hono/node-server passes as
 * `c.env.incoming`; only a certificate the handshake verified (`socket.authorized`) counts.
 */
export function certificateCaller(tenants: readonly CertificateTenant[]): (c: Context) => { tenant: string; scope: KeyScope } | undefined {
  const byName = new Map(tenants.map((t) => [t.commonName, t]));
  return (c) => {
    const socket = (c.env as { incoming?: { socket?: TLSSocket } } | undefined)?.incoming?.socket;
    if (!socket || typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return undefined;
    const cn = socket.getPeerCertificate().subject?.CN;
    const name = Array.isArray(cn) ? undefined : cn;
    const entry = name === undefined ? undefined : byName.get(name);
    return entry ? { tenant: entry.tenant, scope: entry.scope } : undefined;
  };
}
