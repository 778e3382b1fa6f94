// Wait estimates count candidates: a 4-candidate job is expected to take four times the
// candidate-steps of a 1-candidate job, and what a finished grid job teaches is per candidate.
import { describe, expect, it } from 'vitest';
import { EtaEstimator } from '../../src/engine/eta.ts';
import type { JobSpec } from '../../src/jobs/spec.ts';

describe('EtaEstimator with candidates', () => {
  it('scales the estimate with count and learns per candidate-step', () => {
    const eta = new EtaEstimator(() => 20);
    const one: JobSpec = { technique: 'imagine', prompt: 'a', seed: 1 };
    const four: JobSpec = { ...one, count: 4 };
    expect(eta.estimate(four)).toBe(4 * eta.estimate(one));
    // A 4-candidate job of 8 s teaches what a 1-candidate job of 2 s does (100 ms a candidate-step).
    const fromGrid = new EtaEstimator(() => 20);
    fromGrid.learn(four, 8000);
    const fromOne = new EtaEstimator(() => 20);
    fromOne.learn(one, 2000);
    expect(fromGrid.estimate(one)).toBeCloseTo(fromOne.estimate(one), 6);
    expect(fromGrid.estimate(one)).not.toBeCloseTo(eta.estimate(one), 0);
    // count does not apply to techniques without candidates.
    const noise: JobSpec = { technique: 'noise', prompt: '', seed: 1, count: 4 };
    expect(eta.estimate(noise)).toBe(eta.estimate({ ...noise, count: 1 }));
  });
});
