// Reading a decision: contract-2 outputs are taken only when well formed;
// anything else fails the decision closed.
import { describe, expect, it } from '@jest/globals';
import { readDecision } from '../../src/policy/decision.js';

const set = (result: Record<string, unknown>) => [{ result }];
const held = { allow: false, code: 'ERR_APPROVAL_REQUIRED', reasons: [{ rule: 'approval.destructive', message: 'm' }] };

describe('readDecision, contract 2', () => {
  it('takes a well-formed approval and flow labels', () => {
    const { decision, failure } = readDecision(set({ ...held, approval: { reason: 'r', approvers: ['admin'], timeout_s: 30, rules: ['approval.destructive'] }, flow_labels: ['public_write'] }));
    expect(failure).toBeUndefined();
    expect(decision).toMatchObject({ allow: false, code: 'ERR_APPROVAL_REQUIRED', approval: { reason: 'r', approvers: ['admin'], timeoutS: 30, rules: ['approval.destructive'] }, flowLabels: ['public_write'] });
  });

  it.each([
    [{ approval: 'yes' }, 'policy decision approval is not an object'],
    [{ approval: { approvers: [], timeout_s: 1 } }, 'policy decision approval.reason is not a string'],
    [{ approval: { reason: 'r', approvers: [1], timeout_s: 1 } }, 'policy decision approval.approvers is not a list of at most 32 role names'],
    [{ approval: { reason: 'r', approvers: [], timeout_s: 0 } }, 'policy decision approval.timeout_s is not a positive number'],
    [{ flow_labels: 'private_read' }, 'policy decision flow_labels is not a list of at most 16 labels of at most 64 characters'],
    [{ flow_labels: ['x'.repeat(65)] }, 'policy decision flow_labels is not a list of at most 16 labels of at most 64 characters'],
  ])('fails closed on %j', (extra, why) => {
    const { decision, failure } = readDecision(set({ ...held, ...extra }));
    expect(failure).toBe(why);
    expect(decision).toMatchObject({ allow: false, code: 'ERR_POLICY_EVALUATION' });
    expect(decision.approval).toBeUndefined();
  });

  it('an allow that also asks for approval is no decision', () => {
    const { decision, failure } = readDecision(set({ allow: true, reasons: [], approval: { reason: 'r', approvers: [], timeout_s: 1 } }));
    expect(failure).toBe('policy decision allows and asks for approval');
    expect(decision.allow).toBe(false);
  });

  it('bounds the reason a policy gives', () => {
    const { decision } = readDecision(set({ ...held, approval: { reason: 'x'.repeat(5000), approvers: [], timeout_s: 1 } }));
    expect(decision.approval?.reason).toHaveLength(1024);
  });
});
