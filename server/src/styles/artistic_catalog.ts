// The artistic looks the server can offer: the entries of models/artistic/styles.json whose
// network models/artistic_<id>.onnx is present and loads. Each file is checked once at start
// with onnxruntime (input `image`, output `stylized`, one 16x16 run of the right shape); a
// listed look whose file is missing or broken is reported with the reason and not offered,
// and an artistic_*.onnx with no entry in styles.json is reported and ignored.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ort } from '../engine/runtime/onnx_session.js';
import { repoRoot } from '../repo_root.js';

/** One artistic look as the style library registers it. */
export interface ArtisticLook {
  id: string;
  name: string;
  credit: string;
  /** the network, relative to the repository's models/ folder (what the engine threads load) */
  model: string;
  /** an image of the painting for the gallery thumbnail (absolute path), or null */
  picture: string | null;
}

export interface ArtisticCatalog {
  looks: ArtisticLook[];
  /** one readable line per look that is not offered, or file that is ignored */
  problems: string[];
}

interface CatalogEntry {
  id?: unknown;
  name?: unknown;
  credit?: unknown;
  image?: unknown;
}

/** The look ids styles.json may use (a STYLE_ID of shared/protocol.ts). */
const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Throws a readable error unless `file` is an artistic network with the documented interface. */
export async function checkArtisticModel(file: string): Promise<void> {
  if (!existsSync(file)) throw new Error(`model file ${file} is missing`);
  if (statSync(file).size < 1024) throw new Error(`model file ${file} is too small to be a network`);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  } catch (e) {
    throw new Error(`model file ${file} does not load: ${String(e).split('\n')[0].slice(0, 200)}`, { cause: e });
  }
  try {
    if (!session.inputNames.includes('image') || !session.outputNames.includes('stylized'))
      throw new Error(
        `model file ${file} has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]; expected image -> stylized`,
      );
    const x = new ort.Tensor('float32', new Float32Array(3 * 16 * 16).fill(0.5), [1, 3, 16, 16]);
    const y = (await session.run({ image: x }, ['stylized'])).stylized;
    if (y.dims.join() !== '1,3,16,16') throw new Error(`model file ${file} gives [${y.dims.join(', ')}] for 1x3x16x16`);
  } finally {
    await session.release();
  }
}

/**
 * Reads the catalog under `modelsDir` (styles.json in artistic/, the networks beside it);
 * `pictures` is the folder of the shipped painting thumbnails (<id>.jpg).
 */
export async function readArtisticCatalog(
  modelsDir: string,
  pictures: string,
  check: (file: string) => Promise<void> = checkArtisticModel,
): Promise<ArtisticCatalog> {
  const problems: string[] = [];
  const index = join(modelsDir, 'artistic', 'styles.json');
  if (!existsSync(index)) return { looks: [], problems: [`${index} not found: no artistic looks`] };
  let entries: CatalogEntry[];
  try {
    const json = JSON.parse(readFileSync(index, 'utf8')) as { styles?: unknown };
    if (!Array.isArray(json.styles)) throw new Error('no "styles" list');
    entries = json.styles as CatalogEntry[];
  } catch (e) {
    return { looks: [], problems: [`${index} is unreadable (${(e as Error).message}): no artistic looks`] };
  }
  const looks: ArtisticLook[] = [];
  const listed = new Set<string>();
  for (const e of entries) {
    if (typeof e.id !== 'string' || !ID.test(e.id) || typeof e.name !== 'string') {
      problems.push(`artistic look ${JSON.stringify(e.id)} in ${index}: bad id or name; not offered`);
      continue;
    }
    listed.add(e.id);
    const file = join(modelsDir, `artistic_${e.id}.onnx`);
    try {
      await check(file);
    } catch (err) {
      problems.push(`artistic look "${e.id}": ${(err as Error).message}; not offered`);
      continue;
    }
    looks.push({
      id: e.id,
      name: e.name,
      credit: typeof e.credit === 'string' ? e.credit : '',
      model: relative(join(repoRoot(), 'models'), file),
      picture: pictureOf(e, modelsDir, pictures),
    });
  }
  for (const f of readdirSync(modelsDir)) {
    const m = /^artistic_(.+)\.onnx$/.exec(f);
    if (m && !listed.has(m[1])) problems.push(`models/${f} has no entry in ${index}; ignored`);
  }
  return { looks, problems };
}

/** The shipped thumbnail source, else the painting beside styles.json ("styles/..."), else none. */
function pictureOf(e: CatalogEntry, modelsDir: string, pictures: string): string | null {
  const shipped = join(pictures, `${String(e.id)}.jpg`);
  if (existsSync(shipped)) return shipped;
  if (typeof e.image === 'string' && e.image.startsWith('styles/')) {
    const own = join(modelsDir, 'artistic', e.image);
    if (existsSync(own)) return own;
  }
  return null;
}
