// Credential formats masked in every string, whatever `security.logging` says
// (unless `sanitize` is false). Written from the issuers' public token
// formats; each runs under RE2 (src/log/linear-pattern.ts), so matching is
// linear in the input. A pattern's first capture group, when it has one, is
// kept before the mask (the scheme or the issuer's prefix, which tells an
// operator what kind of credential it was without revealing it); a second
// group is kept after it.

export interface SecretFormat {
  /** Short stable name, used in docs and tests. */
  name: string;
  /** RE2 syntax. */
  pattern: string;
  /**
   * Literals, one of which is in every match (compared case-insensitively): a string that holds none of any
   * format's anchors is not scanned, and the RE2 patterns are compiled only once a string holds one.
   */
  anchors: readonly string[];
}

export const SECRET_FORMATS: readonly SecretFormat[] = [
  // Three base64url segments; a JWT header is JSON, so it starts `{"` = "eyJ".
  { name: 'jwt', pattern: String.raw`\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`, anchors: ['eyJ'] },
  { name: 'http-auth-scheme', pattern: String.raw`\b((?:[Bb]earer|BEARER|Basic)\s+)[^\s"',;]+`, anchors: ['bearer', 'basic'] },
  // Classic GitHub tokens: ghp_ (personal), gho_ (OAuth), ghu_ (user-to-server), ghs_ (server), ghr_ (refresh).
  { name: 'github-token', pattern: String.raw`\b(gh[pousr]_)[A-Za-z0-9]{36,251}\b`, anchors: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'] },
  { name: 'github-fine-grained-pat', pattern: String.raw`\b(github_pat_)[A-Za-z0-9_]{22,244}`, anchors: ['github_pat_'] },
  // Long-term (AKIA) and temporary (ASIA) access key ids: 4-letter prefix + 16 upper-case letters or digits.
  { name: 'aws-access-key-id', pattern: String.raw`\b((?:AKIA|ASIA))[A-Z0-9]{16}\b`, anchors: ['AKIA', 'ASIA'] },
  // The 40-character secret key, wherever it is named (INI file, env var, JSON, YAML).
  { name: 'aws-secret-access-key', pattern: String.raw`((?i:aws_?secret_?access_?key)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+]{40,}`, anchors: ['aws'] },
  { name: 'slack-token', pattern: String.raw`\b(xox[abposr]-)[A-Za-z0-9-]{10,}`, anchors: ['xox'] },
  { name: 'slack-app-token', pattern: String.raw`\b(xapp-)[0-9]-[A-Za-z0-9-]{10,}`, anchors: ['xapp-'] },
  { name: 'slack-webhook', pattern: String.raw`(https://hooks\.slack\.com/(?:services|workflows)/)[A-Za-z0-9/_-]+`, anchors: ['hooks.slack.com/'] },
  // Secret (sk_) and restricted (rk_) keys, live and test mode; webhook signing secrets.
  { name: 'stripe-key', pattern: String.raw`\b([rs]k_(?:live|test)_)[0-9A-Za-z]{10,}`, anchors: ['k_live_', 'k_test_'] },
  { name: 'stripe-webhook-secret', pattern: String.raw`\b(whsec_)[A-Za-z0-9]{20,}`, anchors: ['whsec_'] },
  { name: 'openai-anthropic-key', pattern: String.raw`\b(sk-(?:proj|svcacct|admin|ant)-)[A-Za-z0-9_-]{20,}`, anchors: ['sk-'] },
  { name: 'google-api-key', pattern: String.raw`\b(AIza)[0-9A-Za-z_-]{35}`, anchors: ['AIza'] },
  { name: 'npm-token', pattern: String.raw`\b(npm_)[A-Za-z0-9]{36}\b`, anchors: ['npm_'] },
  // A PEM private key, through its END line or to the end of a cut string.
  { name: 'pem-private-key', pattern: String.raw`(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`, anchors: ['-----BEGIN '] },
  // The password of a URL's userinfo (scheme://user:password@host): user and host stay.
  { name: 'url-password', pattern: String.raw`\b([A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@"'<>]*:)[^\s/?#@"'<>]+(@)`, anchors: ['://'] },
];
