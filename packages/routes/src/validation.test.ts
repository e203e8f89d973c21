// singleLineText: the one rule for single-line text fields (SPEC §8), and validate() naming fields.
import { instanceApiErrors } from '@portcullis/errors';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CONTROL_CHARACTER_MESSAGE, type FieldProblem, singleLineText, validate } from './validation.js';

const CONTROLS = [...Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)), '\u007f'];
const body = z.strictObject({ name: singleLineText({ min: 1, max: 10 }) });
const toError = (details: FieldProblem[]) => instanceApiErrors.error('VALIDATION_ERROR', { details });

/** The details of the VALIDATION_ERROR `validate` throws for `input`, or null when it passes. */
function problems(input: unknown, schema: z.ZodType = body) {
  try {
    validate(schema, input, toError);
    return null;
  } catch (error) {
    if (!instanceApiErrors.is(error)) throw error;
    return error.details;
  }
}

describe('singleLineText', () => {
  it('accepts printable text, and text beyond ASCII, trimmed', () => {
    expect(validate(body, { name: '  Acme Ltd ' }, toError)).toEqual({ name: 'Acme Ltd' });
    expect(validate(body, { name: 'Zoë 株式会社' }, toError)).toEqual({ name: 'Zoë 株式会社' });
  });

  it('trims first: surrounding whitespace, control characters such as \\n and \\t included, is removed', () => {
    expect(validate(body, { name: 'Acme\n' }, toError)).toEqual({ name: 'Acme' });
    expect(validate(body, { name: '\t\r\nAcme\u000b\f' }, toError)).toEqual({ name: 'Acme' });
  });

  it.each(CONTROLS.map((c) => [`U+${c.charCodeAt(0).toString(16).padStart(4, '0')}`, c]))(
    'refuses %s inside the text, naming the field',
    (_, c) => {
      expect(problems({ name: `Ac${c}me` })).toEqual([{ field: 'name', message: CONTROL_CHARACTER_MESSAGE }]);
    },
  );

  it('refuses the control characters trim() leaves at the ends (NUL, U+001F, DEL)', () => {
    for (const value of ['\u0000Acme', 'Acme\u0000', '\u001fAcme', 'Acme\u007f']) {
      expect(problems({ name: value })).toEqual([{ field: 'name', message: CONTROL_CHARACTER_MESSAGE }]);
    }
  });

  it('counts the length after trimming', () => {
    expect(validate(body, { name: ` ${'x'.repeat(10)} ` }, toError)).toEqual({ name: 'x'.repeat(10) });
    expect(problems({ name: 'x'.repeat(11) })).toEqual([
      { field: 'name', message: 'must be 1 to 10 characters' },
    ]);
    expect(problems({ name: ' \n\t ' })).toEqual([{ field: 'name', message: 'must be 1 to 10 characters' }]);
  });

  it('refuses a value that is not a string with the length message, or the one given', () => {
    expect(problems({ name: 42 })).toEqual([{ field: 'name', message: 'must be 1 to 10 characters' }]);
    const custom = z.strictObject({
      name: singleLineText({ min: 2, max: 5, message: 'must be a short name' }),
    });
    expect(problems({ name: null }, custom)).toEqual([{ field: 'name', message: 'must be a short name' }]);
    expect(problems({ name: 'x' }, custom)).toEqual([{ field: 'name', message: 'must be a short name' }]);
  });

  it('composes with a format, still refusing control characters first', () => {
    const email = singleLineText({ min: 3, max: 254 }).pipe(z.email('must be an email address'));
    expect(email.parse(' a@example.com\n')).toBe('a@example.com');
    expect(email.safeParse('a@exa\u0000mple.com').error?.issues[0]?.message).toBe(CONTROL_CHARACTER_MESSAGE);
    expect(email.safeParse('not an email').error?.issues[0]?.message).toBe('must be an email address');
  });

  it('never lets a control character through, wherever it stands', () => {
    const text = 'A b';
    for (const c of CONTROLS) {
      for (let at = 0; at <= text.length; at += 1) {
        const value = `${text.slice(0, at)}${c}${text.slice(at)}`;
        const result = body.safeParse({ name: value });
        if (result.success) {
          // Only trimming can have removed it (whitespace at an end): nothing of the kind is left.
          expect(at === 0 || at === text.length).toBe(true);
          expect(result.data.name).toBe(text);
        } else {
          expect(result.error.issues).toEqual([
            expect.objectContaining({ path: ['name'], message: CONTROL_CHARACTER_MESSAGE }),
          ]);
        }
      }
    }
  });
});
