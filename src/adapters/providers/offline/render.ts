/** A small deterministic PRNG (mulberry32). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over a string: a stable 32-bit seed for a prompt. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Paints an RGB picture that depends only on `seed`: a two-colour gradient and a few discs and
 * bars. Different prompts give visibly different pictures; the same prompt and seed the same one.
 */
export function renderPicture(width: number, height: number, seed: number): Uint8Array {
  const random = mulberry32(seed);
  const color = () => [random() * 255, random() * 255, random() * 255] as const;
  const [r0, g0, b0] = color();
  const [r1, g1, b1] = color();
  const pixels = new Uint8Array(width * height * 3);
  const angle = random() * Math.PI * 2;
  const dx = Math.cos(angle) / width;
  const dy = Math.sin(angle) / height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = Math.min(1, Math.max(0, 0.5 + (x - width / 2) * dx + (y - height / 2) * dy));
      const i = (y * width + x) * 3;
      pixels[i] = r0 + (r1 - r0) * t;
      pixels[i + 1] = g0 + (g1 - g0) * t;
      pixels[i + 2] = b0 + (b1 - b0) * t;
    }
  }
  const shapes = 3 + Math.floor(random() * 4);
  for (let s = 0; s < shapes; s++) {
    const [r, g, b] = color();
    const cx = random() * width;
    const cy = random() * height;
    const radius = (0.08 + random() * 0.25) * Math.min(width, height);
    const disc = random() < 0.6;
    const x0 = Math.max(0, Math.floor(cx - radius));
    const x1 = Math.min(width, Math.ceil(cx + radius));
    const y0 = Math.max(0, Math.floor(cy - (disc ? radius : radius / 3)));
    const y1 = Math.min(height, Math.ceil(cy + (disc ? radius : radius / 3)));
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        if (disc && (x - cx) ** 2 + (y - cy) ** 2 > radius * radius) continue;
        const i = (y * width + x) * 3;
        pixels[i] = r;
        pixels[i + 1] = g;
        pixels[i + 2] = b;
      }
    }
  }
  return pixels;
}

/** Mixes `input` into `generated` in place: weight 1 keeps the input, 0 keeps the generated picture. */
export function blendInto(generated: Uint8Array, input: Uint8Array, weight: number): Uint8Array {
  const w = Math.min(1, Math.max(0, weight));
  for (let i = 0; i < generated.length; i++) generated[i] = input[i]! * w + generated[i]! * (1 - w);
  return generated;
}
