import { bearerToken, isAuthorized, tokensEqual } from '../../../worker-images/core/src/api/auth.js';

const TOKEN = 'a'.repeat(40);

describe('tokensEqual', () => {
  test.each([
    [TOKEN, TOKEN, true],
    [TOKEN, 'a'.repeat(39), false], // a prefix
    [TOKEN, 'a'.repeat(41), false], // longer
    [TOKEN, `${'a'.repeat(39)}b`, false], // last character differs
    [TOKEN, '', false],
    ['é'.repeat(32), 'é'.repeat(32), true],
  ])('%j vs %j → %s', (expected, given, result) => {
    expect(tokensEqual(expected, given)).toBe(result);
  });
});

describe('bearerToken / isAuthorized', () => {
  test.each([
    [`Bearer ${TOKEN}`, TOKEN, true],
    [`bearer ${TOKEN}`, TOKEN, true],
    [`Bearer  ${TOKEN} `, TOKEN, true],
    [`Basic ${TOKEN}`, undefined, false],
    [TOKEN, undefined, false],
    ['Bearer', undefined, false],
    ['Bearer ', undefined, false],
    [`Bearer ${TOKEN} extra`, undefined, false],
    [undefined, undefined, false],
    ['Bearer wrong-token', 'wrong-token', false],
  ])('%j', (header, token, authorized) => {
    expect(bearerToken(header)).toBe(token);
    expect(isAuthorized(TOKEN, header)).toBe(authorized);
  });
});
