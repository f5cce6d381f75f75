// Certificates made with `openssl` for TLS tests: a CA, a server certificate for
// 127.0.0.1 and localhost (subjectAltName), a client certificate, and a second,
// untrusted CA with its own client certificate. EC P-256 keys: quick to make.
// Files are world-readable (test keys only) so a broker running as any user can read them.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** A CA nobody trusts, and a client certificate it signed. */
  rogueCaFile: string;
  rogueClientCertFile: string;
  rogueClientKeyFile: string;
  remove(): void;
}

const openssl = (cwd: string, ...args: string[]) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

function makeCa(dir: string, name: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=warren test ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

function makeLeaf(dir: string, ca: string, name: string, cn: string, ext: string): void {
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'warren-pki-'));
  makeCa(dir, 'ca');
  makeLeaf(dir, 'ca', 'server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyAgreement\n');
  makeLeaf(dir, 'ca', 'client', 'warren', 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyAgreement\n');
  makeCa(dir, 'rogue-ca');
  makeLeaf(dir, 'rogue-ca', 'rogue-client', 'warren', 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyAgreement\n');
  chmodSync(dir, 0o755);
  for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o644);
  const f = (name: string) => join(dir, name);
  return {
    dir,
    caFile: f('ca.pem'),
    serverCertFile: f('server.pem'),
    serverKeyFile: f('server.key'),
    clientCertFile: f('client.pem'),
    clientKeyFile: f('client.key'),
    rogueCaFile: f('rogue-ca.pem'),
    rogueClientCertFile: f('rogue-client.pem'),
    rogueClientKeyFile: f('rogue-client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
