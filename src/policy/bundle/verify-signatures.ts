// Bundle format: verify a bundle's .signatures.json as OPA does
// (bundle/verify.go), given the files already taken out of the archive.
// No I/O. Every failure is HatagoError ERR_BUNDLE_SIGNATURE with the reason
// in `detail` / `data.reason` and the failed check in `data.check`.
import { createHash } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { HatagoError } from '../../errors/index.js';
import { CanonicalJsonError, opaCanonicalJson } from './canonical-json.js';
import type { VerificationKeys } from './verification-keys.js';

export const SIGNATURES_FILE = '.signatures.json';

/** Which check failed (stable; the reason text is for people). */
export type SignatureCheck =
  | 'missing' // unsigned bundle while signatures are required
  | 'format' // .signatures.json or the token is malformed
  | 'key' // no key id, or an unknown one
  | 'signature' // the JWS does not verify with the key (wrong key, wrong algorithm)
  | 'scope' // the token's scope is not the configured one
  | 'digest' // a file's content does not match its signed digest
  | 'unsigned-file' // a file in the archive is not in the signed list
  | 'missing-file'; // a signed file is not in the archive

export interface SignatureVerification {
  /** False only for an unsigned bundle accepted because signatures are not required. */
  signed: boolean;
  keyId?: string;
  algorithm?: string;
  scope?: string;
  /** Files whose digest was checked. */
  files: string[];
}

/** OPA's hashing algorithm names, by Node's. MD5 and SHA-1 are refused (OPA accepts them; opa build never emits them). */
const HASHES: Record<string, string> = {
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA-512-224': 'sha512-224',
  'SHA-512-256': 'sha512-256',
};

function fail(check: SignatureCheck, reason: string, cause?: unknown): HatagoError {
  return new HatagoError('ERR_BUNDLE_SIGNATURE', { detail: reason, data: { reason, check }, cause });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface SignedFile {
  name: string;
  hash: string;
  algorithm: string;
}

interface Payload {
  files: SignedFile[];
  keyid?: string;
  scope?: string;
}

function readSignaturesFile(bytes: Uint8Array): string {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw fail('format', `${SIGNATURES_FILE} is not valid JSON`, err);
  }
  if (!isObject(doc)) throw fail('format', `${SIGNATURES_FILE} is not a JSON object`);
  if (doc.plugin !== undefined && doc.plugin !== '' && doc.plugin !== '_default') {
    throw fail('format', `${SIGNATURES_FILE} names signing plugin ${JSON.stringify(doc.plugin)}; only OPA's default JWT signatures are supported`);
  }
  const sigs = doc.signatures;
  if (!Array.isArray(sigs) || sigs.length === 0) throw fail('format', `${SIGNATURES_FILE}: missing JWT (expected exactly one)`);
  if (sigs.length > 1) throw fail('format', `${SIGNATURES_FILE}: multiple JWTs not supported (expected exactly one)`);
  if (typeof sigs[0] !== 'string') throw fail('format', `${SIGNATURES_FILE}: the signature is not a string`);
  return sigs[0];
}

function decodePart<T>(part: string | undefined, what: string): T {
  try {
    if (part === undefined || !/^[A-Za-z0-9_-]*$/.test(part)) throw new Error('not base64url');
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as T;
  } catch (err) {
    throw fail('format', `the bundle signature's ${what} does not decode`, err);
  }
}

function readPayload(raw: unknown): Payload {
  if (!isObject(raw)) throw fail('format', 'the bundle signature payload is not a JSON object');
  const { files, keyid, scope } = raw;
  if (!Array.isArray(files)) throw fail('format', 'the bundle signature payload has no files list');
  const ok = files.every((f) => isObject(f) && typeof f.name === 'string' && typeof f.hash === 'string' && typeof f.algorithm === 'string');
  if (!ok) throw fail('format', 'the bundle signature payload lists a file without name, hash and algorithm');
  if (keyid !== undefined && typeof keyid !== 'string') throw fail('format', 'the keyid claim is not a string');
  if (scope !== undefined && typeof scope !== 'string') throw fail('format', 'the scope claim is not a string');
  return { files: files as SignedFile[], ...(keyid !== undefined && { keyid }), ...(scope !== undefined && { scope }) };
}

/** OPA's IsStructuredDoc: these files are hashed in canonical JSON form, everything else byte for byte. */
function isStructured(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return base === 'data.json' || base === '.manifest' || base === 'data.yaml';
}

function digest(name: string, bytes: Uint8Array, algorithm: string): string {
  const hash = createHash(HASHES[algorithm]!);
  if (!isStructured(name)) return hash.update(bytes).digest('hex');
  if (name.endsWith('.yaml')) throw fail('digest', `${name}: YAML data files cannot be verified`);
  try {
    return hash.update(opaCanonicalJson(bytes), 'utf8').digest('hex');
  } catch (err) {
    const why = err instanceof CanonicalJsonError ? err.message : String(err);
    throw fail('digest', `${name} is not valid JSON (${why})`, err);
  }
}

/**
 * Verifies a bundle's signature. `files` are the archive's regular files by
 * normalized path (as readBundle returns them), `.signatures.json` included.
 *
 * OPA's rules: exactly one JWT; the key id is `keys.keyId`, else the token's
 * `kid` header, else its `keyid` claim; the configured key's algorithm is the
 * only one accepted; the token's `scope` must equal the configured scope
 * (`keys.scope`, else the key's); every file but .signatures.json must be
 * listed with a matching digest, and every listed file must be present.
 */
export async function verifyBundleSignatures(files: ReadonlyMap<string, Uint8Array>, keys: VerificationKeys): Promise<SignatureVerification> {
  const sigBytes = files.get(SIGNATURES_FILE);
  if (!sigBytes) {
    if (keys.required) throw fail('missing', `bundle has no ${SIGNATURES_FILE} and policies.verification requires a signature`);
    return { signed: false, files: [] };
  }

  const token = readSignaturesFile(sigBytes);
  const parts = token.split('.');
  if (parts.length !== 3) throw fail('format', 'the bundle signature is not a compact JWS');
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch (err) {
    throw fail('format', "the bundle signature's header does not decode", err);
  }
  const claimed = readPayload(decodePart<unknown>(parts[1], 'payload'));

  const keyId = keys.keyId ?? (typeof header.kid === 'string' && header.kid !== '' ? header.kid : undefined) ?? claimed.keyid;
  if (keyId === undefined || keyId === '') throw fail('key', 'verification key ID is empty (no keyId configured, no kid header, no keyid claim)');
  const key = keys.keys.get(keyId);
  if (!key) throw fail('key', `verification key "${keyId}" is not configured`);

  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(token, key.key, { algorithms: [key.algorithm] }));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw fail('signature', `signature does not verify with key "${keyId}" (${key.algorithm}, token alg ${JSON.stringify(header.alg)}): ${why}`, err);
  }
  // Read the claims again from the verified bytes (they are the same bytes; this keeps the trust explicit).
  const payload = readPayload(JSON.parse(Buffer.from(payloadBytes).toString('utf8')));

  const scope = keys.scope ?? key.scope ?? '';
  if ((payload.scope ?? '') !== scope) {
    throw fail('scope', `scope mismatch: the bundle is signed for ${JSON.stringify(payload.scope ?? '')}, expected ${JSON.stringify(scope)}`);
  }

  const signed = new Map<string, SignedFile>();
  for (const f of payload.files) {
    const name = f.name.replace(/^\/+/, '');
    if (signed.has(name)) throw fail('format', `the bundle signature lists ${name} twice`);
    if (!HASHES[f.algorithm]) throw fail('digest', `${name}: unsupported hashing algorithm ${JSON.stringify(f.algorithm)}`);
    signed.set(name, { ...f, name });
  }

  const checked: string[] = [];
  for (const [name, bytes] of files) {
    if (name === SIGNATURES_FILE) continue;
    const entry = signed.get(name);
    if (!entry) throw fail('unsigned-file', `file ${name} is not included in the bundle signature`);
    const got = digest(name, bytes, entry.algorithm);
    if (got !== entry.hash.toLowerCase()) throw fail('digest', `${name}: digest mismatch (want ${entry.hash}, got ${got})`);
    signed.delete(name);
    checked.push(name);
  }
  if (signed.size > 0) {
    throw fail('missing-file', `file(s) ${[...signed.keys()].join(', ')} specified in the bundle signature but not found in the bundle`);
  }
  return { signed: true, keyId, algorithm: key.algorithm, ...(payload.scope !== undefined && { scope: payload.scope }), files: checked };
}
