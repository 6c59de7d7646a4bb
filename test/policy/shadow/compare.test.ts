import { differingFields } from '../../../src/policy/shadow/index.js';

describe('differingFields', () => {
  it('is empty for equivalent decisions, whatever the reasons say', () => {
    expect(differingFields({ allow: true }, { allow: true })).toEqual([]);
    expect(differingFields({ allow: false, code: 'ERR_PERMISSION_DENIED' }, { allow: false, code: 'ERR_PERMISSION_DENIED' })).toEqual([]);
    expect(differingFields({ allow: true, visible: ['a', 'b'] }, { allow: true, visible: ['b', 'a'] })).toEqual([]);
  });

  it('names allow, code (both deny) and visible differences', () => {
    expect(differingFields({ allow: true }, { allow: false, code: 'ERR_PERMISSION_DENIED' })).toEqual(['allow']);
    expect(differingFields({ allow: false, code: 'ERR_PERMISSION_DENIED' }, { allow: false, code: 'ERR_UNAUTHENTICATED' })).toEqual(['code']);
    expect(differingFields({ allow: true, visible: ['a', 'b'] }, { allow: true, visible: ['a'] })).toEqual(['visible']);
    expect(differingFields({ allow: true, visible: ['a'] }, { allow: false, code: 'ERR_PERMISSION_DENIED', visible: [] })).toEqual(['allow', 'visible']);
  });
});
