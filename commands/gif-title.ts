// What a technique's GIF shows, for its title and alt text on every platform (and the playground page).

/** The GIF's title: noise shows the forward (noising) process, every other technique its denoising. */
export function gifTitle(technique: string): string {
  return technique === 'noise' ? 'noising steps' : 'denoising trajectory';
}
