// Shared by the bot's process (checked at submit, from the model's facts) and the inference process
// (checked again at run): techniques a model cannot run because of what it is.

/** The scheduler class of flow-matching models (SD3, Flux). */
export const FLOW_SCHEDULER = 'FlowMatchEulerDiscreteScheduler';

/** Why `technique` cannot run on a model whose scheduler class is `schedulerClass`, or null. */
export function techniqueRefusal(technique: string, schedulerClass: string | undefined): string | null {
  // noise and denoise draw the DDPM forward process x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps of
  // the model's betas; a flow-matching model has none (its levels are x = (1 - s) x0 + s eps).
  if ((technique === 'noise' || technique === 'denoise') && schedulerClass === FLOW_SCHEDULER)
    return `${technique} shows the DDPM forward process, which a flow-matching model (${FLOW_SCHEDULER}) does not have; use sketch or inpaint on it.`;
  return null;
}
