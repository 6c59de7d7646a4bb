// The audit trail: hash-chained records of security events, their
// verification and reading, and the suspicious-activity monitor.
export { AuditLog, type AuditEntry, type AuditLogOptions } from './audit-log.js';
export { createAuditSink, auditFilePath, type AuditSink, type AuditConfig } from './audit-sink.js';
export { verifyTrail, type VerifyResult } from './verify.js';
export { trailFiles } from './files.js';
export { canonicalJson, recordHash, GENESIS_HASH, AUDIT_COMPONENT, type AuditRecord } from './record.js';
export { SuspiciousActivityMonitor, type SuspiciousMonitorOptions } from './suspicious-monitor.js';
