import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Result } from './result.js';
import { assertNever } from './status.js';

type Lookup = Result<{ row: { id: number } }, 'missing' | 'archived', { at: string }>;

function lookup(id: number): Lookup {
  if (id === 1) return { ok: true, row: { id } };
  if (id === 2) return { ok: false, reason: 'archived', at: '2024-01-01' };
  return { ok: false, reason: 'missing', at: 'never' };
}

function describeLookup(out: Lookup): string {
  if (out.ok) return `row ${out.row.id}`;
  switch (out.reason) {
    case 'missing':
      return 'missing';
    case 'archived':
      return `archived at ${out.at}`;
    default:
      return assertNever(out.reason);
  }
}

describe('Result', () => {
  it('narrows on ok to the named payload or to the reason and the refusal detail', () => {
    expect([1, 2, 3].map((id) => describeLookup(lookup(id)))).toEqual([
      'row 1',
      'archived at 2024-01-01',
      'missing',
    ]);
  });

  it('types the payload, the closed reason union and the refusal detail', () => {
    const out = lookup(1);
    if (out.ok) expectTypeOf(out.row).toEqualTypeOf<{ id: number }>();
    else {
      expectTypeOf(out.reason).toEqualTypeOf<'missing' | 'archived'>();
      expectTypeOf(out.at).toEqualTypeOf<string>();
    }
    // @ts-expect-error a refusal needs a reason from the union
    const wrong: Lookup = { ok: false, reason: 'gone', at: '' };
    // @ts-expect-error a success needs its payload
    const empty: Lookup = { ok: true };
    expect([wrong.ok, empty.ok]).toEqual([false, true]);
  });
});
