// A stroke painter on a canvas, shared by the sketch pad and the mask painter: pointer input
// (mouse, pen, touch) and keyboard input (arrow keys move, Space lifts or lowers the brush),
// strokes kept as vectors in [0, 1] coordinates so they can be exported at any size, undo, clear.

/**
 * One brush stroke: its colour, its width as a fraction of the canvas width, and its points (x, y
 * pairs in [0, 1]); a rectangle (`rect`) is filled between its first and last point.
 */
export interface Stroke {
  color: string;
  size: number;
  points: number[];
  rect?: boolean;
}

/** Draws strokes onto a 2D context of size w x h (`color` overrides every stroke's colour). */
export function drawStrokes(
  ctx: CanvasRenderingContext2D,
  strokes: readonly Stroke[],
  w: number,
  h: number,
  color?: string,
): void {
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  for (const s of strokes) {
    const c = color ?? s.color;
    const width = Math.max(1, s.size * w);
    const p = s.points;
    if (s.rect) {
      const [x0, y0] = p;
      const [x1, y1] = p.slice(-2);
      ctx.fillStyle = c;
      ctx.fillRect(Math.min(x0, x1) * w, Math.min(y0, y1) * h, Math.abs(x1 - x0) * w, Math.abs(y1 - y0) * h);
      continue;
    }
    if (p.length === 2) {
      ctx.fillStyle = c;
      ctx.beginPath();
      ctx.arc(p[0] * w, p[1] * h, width / 2, 0, Math.PI * 2);
      ctx.fill();
      continue;
    }
    ctx.strokeStyle = c;
    ctx.lineWidth = width;
    ctx.beginPath();
    ctx.moveTo(p[0] * w, p[1] * h);
    for (let i = 2; i < p.length; i += 2) ctx.lineTo(p[i] * w, p[i + 1] * h);
    ctx.stroke();
  }
}

/** Painter options. */
export interface PainterOptions {
  /** Redraws the whole canvas: background, then the strokes (called after every change). */
  render(ctx: CanvasRenderingContext2D, strokes: readonly Stroke[], canvas: HTMLCanvasElement): void;
  /** Called after strokes change (to enable buttons). */
  onChange?(): void;
}

/** Pointer and keyboard painting on one canvas. */
export class Painter {
  strokes: Stroke[] = [];
  color = '#000000';
  /** Brush width in canvas pixels. */
  size = 10;
  /** brush: free strokes; rect: drag (or Space, arrows, Space) fills a rectangle. */
  tool: 'brush' | 'rect' = 'brush';
  private drawing: Stroke | null = null;
  private cursor = { x: 0.5, y: 0.5 };
  private keyboardPen: Stroke | null = null;
  private showCursor = false;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly options: PainterOptions,
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('This browser cannot draw on a canvas.');
    this.ctx = ctx;
    canvas.style.touchAction = 'none';
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', () => this.up());
    canvas.addEventListener('pointercancel', () => this.up());
    canvas.addEventListener('keydown', (e) => this.key(e));
    canvas.addEventListener('focus', () => {
      this.showCursor = canvas.matches(':focus-visible');
      this.redraw();
    });
    canvas.addEventListener('blur', () => {
      this.showCursor = false;
      this.keyboardPen = null;
      this.redraw();
    });
  }

  /** Whether nothing has been drawn. */
  get empty(): boolean {
    return this.strokes.length === 0;
  }

  /** Removes the last stroke. */
  undo(): void {
    this.strokes.pop();
    this.keyboardPen = null;
    this.changed();
  }

  /** Removes every stroke. */
  clear(): void {
    this.strokes = [];
    this.keyboardPen = null;
    this.changed();
  }

  /** Redraws background, strokes and (when painting by keyboard) the cursor ring. */
  redraw(): void {
    this.options.render(this.ctx, this.strokes, this.canvas);
    if (this.showCursor) {
      const { width: w, height: h } = this.canvas;
      const r = Math.max(3, this.size / 2);
      this.ctx.save();
      this.ctx.lineWidth = 2;
      this.ctx.strokeStyle = this.keyboardPen ? '#e01e5a' : '#1d9bd1';
      this.ctx.beginPath();
      this.ctx.arc(this.cursor.x * w, this.cursor.y * h, r + 2, 0, Math.PI * 2);
      this.ctx.stroke();
      this.ctx.restore();
    }
  }

  private changed(): void {
    this.redraw();
    this.options.onChange?.();
  }

  private newStroke(at: [number, number]): Stroke {
    const size = this.size / this.canvas.width;
    if (this.tool === 'rect') return { color: this.color, size, points: [...at, ...at], rect: true };
    return { color: this.color, size, points: [...at] };
  }

  private point(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (e.clientX - r.left) / r.width));
    const y = Math.min(1, Math.max(0, (e.clientY - r.top) / r.height));
    return [x, y];
  }

  private down(e: PointerEvent): void {
    if (e.button !== 0) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.showCursor = false;
    this.drawing = this.newStroke(this.point(e));
    this.strokes.push(this.drawing);
    this.changed();
  }

  private move(e: PointerEvent): void {
    if (!this.drawing) return;
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    if (this.drawing.rect) this.drawing.points.splice(2, 2, ...this.point(e));
    else for (const ev of events.length > 0 ? events : [e]) this.drawing.points.push(...this.point(ev));
    this.redraw();
  }

  private up(): void {
    if (!this.drawing) return;
    this.drawing = null;
    this.changed();
  }

  private key(e: KeyboardEvent): void {
    const step = (e.shiftKey ? 16 : 4) / this.canvas.width;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-step, 0],
      ArrowRight: [step, 0],
      ArrowUp: [0, -step],
      ArrowDown: [0, step],
    };
    const d = moves[e.key];
    if (d) {
      e.preventDefault();
      this.showCursor = true;
      this.cursor.x = Math.min(1, Math.max(0, this.cursor.x + d[0]));
      this.cursor.y = Math.min(1, Math.max(0, this.cursor.y + d[1]));
      if (this.keyboardPen?.rect) this.keyboardPen.points.splice(2, 2, this.cursor.x, this.cursor.y);
      else if (this.keyboardPen) this.keyboardPen.points.push(this.cursor.x, this.cursor.y);
      this.redraw();
      return;
    }
    if (e.key === ' ' || e.key === 'Spacebar') {
      e.preventDefault();
      this.showCursor = true;
      if (this.keyboardPen) this.keyboardPen = null;
      else {
        this.keyboardPen = this.newStroke([this.cursor.x, this.cursor.y]);
        this.strokes.push(this.keyboardPen);
      }
      this.changed();
    }
  }
}

/** A canvas's pixels as a PNG Blob. */
export function canvasToPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (b) => (b ? resolve(b) : reject(new Error('The canvas could not be saved as PNG.'))),
      'image/png',
    ),
  );
}
