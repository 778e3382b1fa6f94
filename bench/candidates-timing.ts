// The candidates figure of `npm run bench -- pipeline --count N`: one N-candidate job (one batched
// UNet call per step for all candidates) against N 1-candidate jobs with seeds seed .. seed+N-1,
// in the same run, alternating, medians shown. Figures only: nothing is asserted.
import { executeJob, type ExecuteContext } from '../src/pipeline/execute.ts';
import type { JobSpec } from '../src/jobs/spec.ts';
import type { LoadedModel } from '../src/runtime/index.ts';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Times an N-candidate job against N 1-candidate jobs; prints both and their ratio. */
export async function measureCandidates(
  model: LoadedModel,
  spec: JobSpec,
  count: number,
  runs: number,
  frameEvery: number,
): Promise<{ batchedMs: number; separateMs: number; ratio: number }> {
  let calls = 0;
  let rows = 0;
  const ctx: ExecuteContext = {
    model: {
      ...model,
      denoiser: (t, batch, signal) => {
        calls++;
        rows += batch.length;
        return model.denoiser(t, batch, signal);
      },
    },
    loadImage: () => Promise.reject(new Error('no images in this bench')),
    loadMask: () => Promise.reject(new Error('no images in this bench')),
  };
  const batchedJob = async (s: JobSpec): Promise<number> => {
    const t0 = performance.now();
    await executeJob({ ...s, count }, ctx, { frameEvery });
    return performance.now() - t0;
  };
  const separateJobs = async (s: JobSpec): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) await executeJob({ ...s, count: 1, seed: s.seed + i }, ctx, { frameEvery });
    return performance.now() - t0;
  };
  const warm = { ...spec, steps: 3 };
  await batchedJob(warm);
  await separateJobs(warm);
  const batched: number[] = [];
  const separate: number[] = [];
  let batchedCalls = '';
  let separateCalls = '';
  for (let i = 0; i < runs; i++) {
    calls = rows = 0;
    batched.push(await batchedJob(spec));
    batchedCalls = `${calls} UNet calls of batch ${rows / calls}`;
    calls = rows = 0;
    separate.push(await separateJobs(spec));
    separateCalls = `${calls} UNet calls of batch ${rows / calls}`;
  }
  const batchedMs = median(batched);
  const separateMs = median(separate);
  const ratio = batchedMs / separateMs;
  console.log('');
  console.log(`  ${count} candidates in one job   ${batchedMs.toFixed(1).padStart(9)} ms   (${batchedCalls})`);
  console.log(`  ${count} jobs of 1 candidate     ${separateMs.toFixed(1).padStart(9)} ms   (${separateCalls})`);
  console.log(`  ratio                    ${ratio.toFixed(2).padStart(9)}x     (one ${count}-candidate job / ${count} 1-candidate jobs; lower is better)`);
  return { batchedMs, separateMs, ratio };
}
