// Test PKI made fresh in each test run: keys by node:crypto, X.509
// certificates signed by the `openssl` CLI (node:crypto reads certificates
// but cannot issue them; openssl is on every machine that runs these tests,
// so no new npm dependency). Each certificate is checked with
// X509Certificate before it is handed to a test.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Issued {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

export interface TestCa extends Issued {
  dir: string;
  /** A leaf certificate for `cn`, with `san` (e.g. "DNS:localhost,IP:127.0.0.1"), for server or client use. */
  issue(name: string, opts: { cn: string; san?: string; usage: 'serverAuth' | 'clientAuth' }): Issued;
}

function rsaKey(file: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  writeFileSync(file, pem, { mode: 0o600 });
  return pem;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed CA in a fresh temp folder. */
export function createTestCa(name = 'hatago-test-ca'): TestCa {
  const dir = mkdtempSync(path.join(tmpdir(), 'hatago-pki-'));
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.pem`);
  const key = rsaKey(keyFile);
  openssl(['req', '-x509', '-new', '-key', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const cert = readFileSync(certFile, 'utf8');
  const caX509 = new X509Certificate(cert);
  if (!caX509.ca) throw new Error('test CA is not a CA');

  const issue: TestCa['issue'] = (leaf, opts) => {
    const leafKeyFile = path.join(dir, `${leaf}.key`);
    const leafCertFile = path.join(dir, `${leaf}.pem`);
    const csr = path.join(dir, `${leaf}.csr`);
    const ext = path.join(dir, `${leaf}.ext`);
    const leafKey = rsaKey(leafKeyFile);
    writeFileSync(ext, [`extendedKeyUsage=${opts.usage}`, 'keyUsage=critical,digitalSignature,keyEncipherment', ...(opts.san ? [`subjectAltName=${opts.san}`] : [])].join('\n'));
    openssl(['req', '-new', '-key', leafKeyFile, '-out', csr, '-subj', `/CN=${opts.cn}`], dir);
    openssl(['x509', '-req', '-in', csr, '-CA', certFile, '-CAkey', keyFile, '-CAcreateserial', '-out', leafCertFile, '-days', '2', '-extfile', ext], dir);
    const leafCert = readFileSync(leafCertFile, 'utf8');
    if (!new X509Certificate(leafCert).verify(caX509.publicKey)) throw new Error(`${leaf} is not signed by ${name}`);
    return { certFile: leafCertFile, keyFile: leafKeyFile, cert: leafCert, key: leafKey };
  };
  return { dir, certFile, keyFile, cert, key, issue };
}
