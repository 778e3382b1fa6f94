// Runs in the browser (the playground page).
// "Edit" on a finished picture: one button per candidate; the candidate's picture is cut out of
// the result's grid for the mask painter, and the composer is set to /inpaint on it by reference
// (--job ID --candidate N), so the picture itself is never uploaded again.
import { gridLayout } from '../../../imaging/grid.ts';
import { PICTURE_TECHNIQUES } from '../../../jobs/follow-up-source.ts';
import type { JobView } from './api.ts';
import { h } from './dom.ts';

/** The Edit buttons of a finished result ("Edit", or "Edit 1" … "Edit n" for a grid); none for strips or deleted files. */
export function editButtons(view: JobView, onEdit: (n: number, count: number) => void): HTMLElement | null {
  if (!view.links.image || !PICTURE_TECHNIQUES.includes(view.technique)) return null;
  const count = view.spec.count ?? 1;
  const label = (n: number) => (count > 1 ? `Edit ${n}` : 'Edit');
  return h(
    'div',
    { class: 'follow-ups edits', role: 'group', 'aria-label': `Edit a picture of job ${view.jobId}` },
    ...Array.from({ length: count }, (_, k) =>
      h(
        'button',
        {
          type: 'button',
          class: 'follow-up edit',
          'data-candidate': String(k + 1),
          title: `Paint over ${count > 1 ? `picture ${k + 1}` : 'this picture'} and repaint it with /inpaint (job ${view.jobId})`,
          onclick: () => onEdit(k + 1, count),
        },
        label(k + 1),
      ),
    ),
  );
}

/** Candidate `n` of `count` cut out of the result picture at `url` (a grid for several), as a PNG. */
export async function candidatePicture(url: string, count: number, n: number): Promise<Blob> {
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`the picture could not be loaded (${res.status})`);
  const whole = await createImageBitmap(await res.blob());
  try {
    const { cols, rows } = gridLayout(count);
    const w = Math.floor(whole.width / cols);
    const ht = Math.floor(whole.height / rows);
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = ht;
    const k = n - 1;
    canvas.getContext('2d')!.drawImage(whole, (k % cols) * w, Math.floor(k / cols) * ht, w, ht, 0, 0, w, ht);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the picture could not be copied'))), 'image/png'),
    );
  } finally {
    whole.close();
  }
}

/** The composer text that inpaints candidate `n` of job `jobId` (the prompt is typed after it). */
export function inpaintCommandText(jobId: string, n: number): string {
  return `/inpaint --job ${jobId} --candidate ${n} `;
}
