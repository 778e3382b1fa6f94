import { describe, expect, it } from 'vitest';
import { chooseProviders, cudaAvailability, loadModel, ModelError } from '../../src/runtime/index.ts';
import { MODELS_DIR } from './helpers.ts';

const noCuda = () => ({ available: false, reason: 'no CUDA here' });
const hasCuda = cudaAvailability().available;

describe('execution providers', () => {
  it('uses the CPU by default', () => {
    expect(chooseProviders()).toEqual({ device: 'cpu', executionProviders: ['cpu'] });
  });

  it('puts CUDA with its device id first, the CPU after, when CUDA is available', () => {
    const choice = chooseProviders({ device: 'cuda', deviceId: 1 }, () => ({ available: true }));
    expect(choice.device).toBe('cuda');
    expect(choice.executionProviders).toEqual([{ name: 'cuda', deviceId: 1 }, 'cpu']);
  });

  it('CUDA requested but unavailable: a clear error, or the CPU with fallbackToCpu', () => {
    let err: unknown;
    try {
      chooseProviders({ device: 'cuda' }, noCuda);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).code).toBe('provider-unavailable');
    expect((err as Error).message).toMatch(
      /CUDA was requested but is unavailable: no CUDA here; install the CUDA build/,
    );
    const fb = chooseProviders({ device: 'cuda', fallbackToCpu: true }, noCuda);
    expect(fb.device).toBe('cpu');
    expect(fb.fallbackReason).toContain('no CUDA here');
  });

  it('rejects a bad device id', () => {
    expect(() => chooseProviders({ device: 'cuda', deviceId: -1 }, () => ({ available: true }))).toThrow(
      /Invalid CUDA device id -1/,
    );
  });

  it.skipIf(hasCuda)(
    'on this CPU build, loadModel with device cuda fails clearly, and falls back when allowed',
    async () => {
      expect(cudaAvailability().available).toBe(false);
      await expect(loadModel('test-tiny', { modelsDir: MODELS_DIR, device: 'cuda' })).rejects.toThrow(
        /CUDA was requested but is unavailable/,
      );
      const model = await loadModel('test-tiny', {
        modelsDir: MODELS_DIR,
        device: 'cuda',
        fallbackToCpu: true,
      });
      try {
        expect(model.device).toBe('cpu');
        expect(model.fallbackReason).toMatch(/CUDA/);
        const cond = (await model.encodePrompt('rocket')).cond;
        const out = await model.denoiser(500, [{ x: new Float32Array(3 * 64 * 64), cond }]);
        expect(out[0].eps.length).toBe(3 * 64 * 64);
      } finally {
        await model.dispose();
      }
    },
  );

  it.skipIf(hasCuda)(
    'a CUDA session that fails to start is an error, or the CPU with fallbackToCpu (CPU build only)',
    async () => {
      // The probe is told CUDA is there; ORT then fails to load its CUDA provider library.
      const claimsCuda = () => ({ available: true });
      await expect(
        loadModel('test-tiny', { modelsDir: MODELS_DIR, device: 'cuda', cudaAvailability: claimsCuda }),
      ).rejects.toThrow(/CUDA session creation failed for .*unet\.onnx \(device 0\)/);
      const model = await loadModel('test-tiny', {
        modelsDir: MODELS_DIR,
        device: 'cuda',
        fallbackToCpu: true,
        cudaAvailability: claimsCuda,
      });
      try {
        expect(model.device).toBe('cpu');
        expect(model.fallbackReason).toMatch(/CUDA session creation failed/);
      } finally {
        await model.dispose();
      }
    },
  );
});
