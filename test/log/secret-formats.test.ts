// Each credential format the sanitizer knows, with a realistic fake secret:
// masked in free text and in a structured value (under a key name that gives
// nothing away), with the text around it left readable.
import { describe, expect, test } from '@jest/globals';
import { createSanitizer, REDACTED } from '../../src/log/sanitizer.js';
import { SECRET_FORMATS } from '../../src/log/secret-formats.js';

const R = REDACTED;
// Fake, but shaped like the real thing (lengths, alphabets, prefixes).
const ALNUM36 = 'q8Zr2LmX4vT9kB1nC7wP3yH6dF0sJ5gA2eUo';
const cases: { format: string; secret: string; masked: string }[] = [
  { format: 'github-token', secret: `ghp_${ALNUM36}`, masked: `ghp_${R}` },
  { format: 'github-token', secret: `gho_${ALNUM36}`, masked: `gho_${R}` },
  { format: 'github-token', secret: `ghu_${ALNUM36}`, masked: `ghu_${R}` },
  { format: 'github-token', secret: `ghs_${ALNUM36}`, masked: `ghs_${R}` },
  { format: 'github-token', secret: `ghr_${ALNUM36}`, masked: `ghr_${R}` },
  { format: 'github-fine-grained-pat', secret: `github_pat_11AJK3D2Y0aBcDeFgHiJkL_${'mNoPqRsTuVwXyZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ'.slice(0, 59)}`, masked: `github_pat_${R}` },
  { format: 'aws-access-key-id', secret: 'AKIAZ7Q3K5VD2M4XW6PT', masked: `AKIA${R}` },
  { format: 'aws-access-key-id', secret: 'ASIAY4N8R2TB6J0LC3QH', masked: `ASIA${R}` },
  { format: 'aws-secret-access-key', secret: 'aws_secret_access_key = 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', masked: `aws_secret_access_key = ${R}` },
  { format: 'aws-secret-access-key', secret: 'AWS_SECRET_ACCESS_KEY: "k7Rp2/Xw9Lq4+Zt8Vn3Bm6Yc1Hd5Gf0Js2Ke7UaQ"', masked: `AWS_SECRET_ACCESS_KEY: "${R}"` },
  { format: 'slack-token', secret: 'xoxb-2048597346-5830174622091-Qm3vLz8RkT1pYw6XnC4dHs7B', masked: `xoxb-${R}` },
  { format: 'slack-token', secret: 'xoxp-2048597346-2048597347-5830174622091-9f3c2a7e1b4d8c6f0a5e2d9b7c1f4a8e', masked: `xoxp-${R}` },
  { format: 'slack-app-token', secret: 'xapp-1-A04BZ7KQ2TC-5830174622091-3b9d1f7a2c5e8b0d4f6a9c2e7b1d3f5a', masked: `xapp-${R}` },
  { format: 'slack-webhook', secret: 'https://hooks.slack.com/services/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', masked: `https://hooks.slack.com/services/${R}` },
  { format: 'stripe-key', secret: 'sk_live_51Hq8ZrLmX4vT9kB1nC7wP3yH6dF0sJ5gA2eUo', masked: `sk_live_${R}` },
  { format: 'stripe-key', secret: 'rk_live_51Hq8ZrLmX4vT9kB1nC7wP3yH6dF0sJ5gA2eUo', masked: `rk_live_${R}` },
  { format: 'stripe-key', secret: 'sk_test_51Hq8ZrLmX4vT9kB1nC7wP3yH6dF0sJ5gA2eUo', masked: `sk_test_${R}` },
  { format: 'stripe-webhook-secret', secret: 'whsec_q8Zr2LmX4vT9kB1nC7wP3yH6dF0sJ5gA', masked: `whsec_${R}` },
  { format: 'openai-anthropic-key', secret: 'sk-proj-q8Zr2LmX4vT9kB1n_C7wP3yH6dF0sJ5gA2eUo', masked: `sk-proj-${R}` },
  { format: 'openai-anthropic-key', secret: 'sk-ant-api03-q8Zr2LmX4vT9kB1nC7wP3yH6dF0sJ5gA2eUo-AA', masked: `sk-ant-${R}` },
  { format: 'google-api-key', secret: 'AIzaSyD8q8Zr2LmX4vT9kB1nC7wP3yH6dF0sJ5g', masked: `AIza${R}` },
  { format: 'npm-token', secret: `npm_${ALNUM36}`, masked: `npm_${R}` },
  { format: 'pem-private-key', secret: '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq8Zr2LmX4vT9\n-----END RSA PRIVATE KEY-----', masked: `-----BEGIN RSA PRIVATE KEY-----${R}-----END RSA PRIVATE KEY-----` },
  { format: 'url-password', secret: 'https://deploy:Tr0ub4dor-and-3@db.internal.example:5432/app', masked: `https://deploy:${R}@db.internal.example:5432/app` },
  { format: 'url-password', secret: 'redis://:hunter2-redis@127.0.0.1:6379/0', masked: `redis://:${R}@127.0.0.1:6379/0` },
  { format: 'jwt', secret: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ', masked: R },
  { format: 'http-auth-scheme', secret: 'Bearer opaque-token.value_123', masked: `Bearer ${R}` },
];

describe('built-in credential formats', () => {
  const s = createSanitizer();

  test.each(cases)('$format: $masked', ({ secret, masked }) => {
    expect(s.text(`upstream said: ${secret} (retrying)`)).toBe(`upstream said: ${masked} (retrying)`);
    expect(s.value({ note: `using ${secret}`, list: [secret] })).toEqual({ note: `using ${masked}`, list: [masked] });
  });

  test('every shipped format has a case above', () => {
    expect(new Set(cases.map((c) => c.format))).toEqual(new Set(SECRET_FORMATS.map((f) => f.name)));
  });

  test('they stay on when the operator replaces maskedFields and patterns', () => {
    const c = createSanitizer({ maskedFields: ['pin'], patterns: ['ACME-\\d{6}'] });
    expect(c.text(`token ghp_${ALNUM36} and AKIAZ7Q3K5VD2M4XW6PT`)).toBe(`token ghp_${R} and AKIA${R}`);
    // No masked field names it here: the AWS format alone finds the secret key.
    expect(c.text('aws_secret_access_key=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')).toBe(`aws_secret_access_key=${R}`);
  });

  test('look-alikes that are not credentials stay', () => {
    const prose = [
      'ghp_short is not a token',
      'see https://example.com:8443/path?user=alice',
      'mailto:alice@example.com',
      'AKIA is a prefix, AKIAshort is not a key',
      'sk_live_ is documented at the dashboard',
    ];
    for (const p of prose) expect(s.text(p)).toBe(p);
  });
});

describe('password field names', () => {
  const s = createSanitizer();
  test('passwd and pwd are masked by name, as keys and as assignments', () => {
    expect(s.value({ passwd: 'x1', db: { PWD: 'y2', user: 'bob' } })).toEqual({ passwd: R, db: { PWD: R, user: 'bob' } });
    expect(s.text('mysql --user=bob --pwd=y2 db_passwd="x1" host=db')).toBe(`mysql --user=bob --pwd=${R} db_passwd="${R}" host=db`);
  });
});
