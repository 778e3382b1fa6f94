// Help texts of the `diffuse` CLI: the overview and one page per subcommand.
import { DENOISE_METHODS, MAX_COUNT, SPEC_DEFAULTS } from '../../jobs/spec.ts';
import { SAMPLER_NAMES } from '../../diffusion/samplers/registry.ts';
import { VIEW_NAMES } from '../../diffusion/views/registry.ts';
import type { Subcommand } from './args.ts';

const COMMON = `Common options:
  --model NAME|PATH   model name in the models folder, or a model folder (default: $MODEL or emoji)
  -o, --output FILE   PNG to write (default: ./<technique>-<seed>.png)
  --gif FILE          also write an animated GIF of the steps (noise: the noising steps)
  --json              print one JSON object (seed, steps, model, timings, outputs) on stdout
  --device D          cpu, cuda, webgpu or auto (default: $DEVICE, else cpu)
  -h, --help          show help`;

const SAMPLING = `  --seed N            seed of the noise generator, 0..4294967295 (default: random)
  --steps N           denoising steps (default: the model's; \`diffuse models\` lists them, 33 for emoji)
  --cfg F             classifier-free guidance scale, 1 or less = off (default: the model's, 3 for emoji)
  --negative TEXT     negative prompt, used in place of the empty prompt for guidance
  --sampler S         ${SAMPLER_NAMES.join(', ')}
                      (default: the model's, else ddpm, the study's; dpmpp-2m needs far fewer steps)`;

const PRIOR = `  --prior on|off      the model's coarse data prior (emoji: lays the picture out from training images
                      of what the prompt names; default on); off = the trained network alone`;

const COUNT = `  --count N           candidates to draw at once, 1-${MAX_COUNT} (default ${SPEC_DEFAULTS.count}): one batched run, seeds N, N+1, ...;
                      the PNG and GIF are a grid (2 side by side, 4 as 2x2)`;

/** The follow-up options of a page: the image is an earlier result's raw.png (what /info's line gives). */
const FOLLOW_UP_HELP = (
  actions: string,
) => `  --follow-up ACTION  the image is an earlier result (its raw.png); start from it as a button does:
                      ${actions}
  --candidate N/COUNT candidate N of that result's grid of COUNT (default 1/1)`;

const PAGES: Record<Subcommand, string> = {
  imagine: `diffuse imagine <prompt> [options]
Text to image with classifier-free guidance.

${SAMPLING}
${PRIOR}
${COUNT}`,
  sketch: `diffuse sketch <image> [prompt] [options]
Image to image (SDEdit): noise the image to a start step, then denoise it, optionally guided by a prompt.

  --noise-level I     start index into the timesteps (default ${SPEC_DEFAULTS.noiseLevel} at 33 steps, the same share of other
                      step counts; the study used 1, 3, 5, 7, 10, 20;
                      lower = more noise = less of the original kept)
  --upscale           resize the image 2x first and run the pass over windows of the model's size
                      (models with images under 256 px; the U button of a result)
${FOLLOW_UP_HELP('u (upscale), vs, vt (variation), input (the candidate as it is: /sketch job:)')}
${SAMPLING}
${PRIOR}
${COUNT}`,
  inpaint: `diffuse inpaint <image> <prompt> [options]
Repaint part of an image; the rest stays as it is.

  --mask FILE         mask image: white = repaint, black = keep (default: the image's transparent pixels)
${FOLLOW_UP_HELP('zo15, zo2 (zoom out), pl, pr, pu, pd (pan; the new border is repainted), input (the candidate as it is, with --mask: /inpaint job:)')}
${SAMPLING}
${PRIOR}`,
  anagram: `diffuse anagram <prompt-upright> <prompt-transformed> [options]
Visual anagram: one image that shows the first prompt as is and the second one under a view.

  --view NAME         ${VIEW_NAMES.join(', ')} (default ${SPEC_DEFAULTS.view})
${SAMPLING}
${PRIOR}
${COUNT}`,
  hybrid: `diffuse hybrid <prompt-far> <prompt-near> [options]
Hybrid image: the far prompt in the low frequencies, the near prompt in the high ones.

  --sigma S           Gaussian low-pass sigma at 64 px (default ${SPEC_DEFAULTS.hybrid.sigma}; scaled with the resolution)
  --kernel K          odd Gaussian kernel size at 64 px (default ${SPEC_DEFAULTS.hybrid.kernel})
${SAMPLING}
${PRIOR}
${COUNT}`,
  noise: `diffuse noise <image> [options]
Forward process: the image noised to each timestep, side by side.

  --t T1,T2,...       timesteps (default ${SPEC_DEFAULTS.noiseT.join(',')})
  --seed N            seed of the noise generator (default: random)`,
  denoise: `diffuse denoise <image> [options]
Noise the image to t, then denoise it: Gaussian blur, one-step estimate, iterative DDPM.

  --t T               timestep to noise to (default ${SPEC_DEFAULTS.denoiseT})
  --method M          ${DENOISE_METHODS.join(' | ')} (default ${SPEC_DEFAULTS.method}: a comparison strip)
${SAMPLING}`,
  models: `diffuse models [--model NAME] [--json]
List the installed models; the selected one (--model, else $MODEL, else emoji) is marked with *.

diffuse models pull <repo-id> [--revision R] [--subfolder S] [--name N] [--preview-decoder REPO] [--json]
Download a model from the Hugging Face hub ($HF_ENDPOINT, token $HF_TOKEN) into $MODELS_DIR/<name>:
a diffusers/optimum ONNX export (model_index.json, unet/, text_encoder/, vae_decoder/, ...) or a
folder with a model.json. Resumable (run it again after an interruption); writes the manifest.
--preview-decoder REPO also fetches a tiny autoencoder decoder (TAESD-style ONNX: vae_decoder/model.onnx
or one *decoder*.onnx) for live previews and GIF frames; without one they use a linear projection.`,
};

/** The overview page of `diffuse --help`. */
export function overviewHelp(): string {
  return `diffuse: diffusion techniques on a local model

Usage:
  diffuse imagine <prompt> [--negative T] [--seed N] [--steps N] [--cfg F] [--sampler S]
  diffuse sketch <image> [prompt] [--noise-level I]
  diffuse inpaint <image> <prompt> [--mask M]
  diffuse anagram <prompt-upright> <prompt-transformed> [--view ${VIEW_NAMES.filter((v) => v !== 'identity').join('|')}]
  diffuse hybrid <prompt-far> <prompt-near> [--sigma S] [--kernel K]
  diffuse noise <image> [--t 250,500,750]
  diffuse denoise <image> [--t T] [--method ${DENOISE_METHODS.join('|')}]
  diffuse models
  diffuse models pull <repo-id> [--revision R] [--subfolder S]
  diffuse worker       (a scale-out worker: takes jobs from $REDIS_URL; see docs/scaling.md)

${COMMON}

'diffuse <subcommand> --help' shows a subcommand's options.
Exit status: 0 success, 2 bad usage or bad input, 1 runtime failure.
`;
}

/** The help page of one subcommand. */
export function subcommandHelp(sub: Subcommand): string {
  return `${PAGES[sub]}\n\n${sub === 'models' ? '  --model NAME        the model to mark as selected\n  --device D          the device to report (default: $DEVICE)\n  --json              print the list as JSON' : COMMON}\n`;
}
