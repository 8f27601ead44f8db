// The typed-array record store behind XPMEM's permits and attachments.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Records } from '../models/uv/records.js';

test('records: owners get distinct slots, freed slots come back to their owner, growth keeps data', () => {
  const r = new Records((n) => new Float64Array(n), 2, 4);
  const got = new Map<number, number>();
  for (let i = 0; i < 300; i++) {
    const owner = i % 7;
    const s = r.alloc(owner);
    assert.ok(!got.has(s), `slot ${s} handed out twice`);
    got.set(s, owner);
    r.data[s * 2 + 1] = i;
  }
  for (const [s, owner] of got) assert.equal(r.data[s * 2 + 1] % 7, owner);
  const mine = [...got].filter(([, o]) => o === 3).map(([s]) => s);
  r.release(mine[0], 3);
  r.release(mine[1], 3);
  assert.equal(r.alloc(3), mine[1]);
  assert.equal(r.alloc(3), mine[0]);
  assert.ok(!got.has(r.alloc(3)));
  assert.notEqual(r.alloc(5), mine[2]);
});
