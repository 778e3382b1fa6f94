// Wait estimates count candidates: a 4-candidate job is expected to take four times the
// candidate-steps of a 1-candidate job, and what a finished grid job teaches is per candidate.
import { describe, expect, it } from 'vitest';
import { EtaEstimator } from '../../src/engine/eta.ts';
import type { JobSpec } from '../../src/engine/spec.ts';

describe('EtaEstimator with candidates', () => {
  it('scales the estimate with count and learns per candidate-step', () => {
    const eta = new EtaEstimator(() => 20);
    const one: JobSpec = { technique: 'imagine', prompt: 'a', seed: 1 };
    const four: JobSpec = { ...one, count: 4 };
    expect(eta.estimate(four)).toBe(4 * eta.estimate(one));
    eta.learn(four, 8000); // 4 x 20 candidate-steps in 8 s: 100 ms each
    expect(eta.estimate(one)).toBeLessThan(eta.estimate(four));
    expect(eta.estimate(four)).toBeCloseTo(4 * eta.estimate(one), 6);
    // count does not apply to techniques without candidates.
    const noise: JobSpec = { technique: 'noise', prompt: '', seed: 1, count: 4 };
    expect(eta.estimate(noise)).toBe(eta.estimate({ ...noise, count: 1 }));
  });
});
