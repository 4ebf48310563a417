// The learned tier's guide file (models/gridnet_guide.json, written by models/gridnet/export.py):
// the exported networks' interface and the learned guide's two lookup tables. Read by the
// low-res worker (with the networks) and by the frame threads (the tables they slice with).
import { readFileSync } from 'node:fs';
import { modelPath } from './onnx_session.js';

/**
 * The learned grid network's variants (models/gridnet*.onnx). The ablation pair of the eval:
 * 'notemporal' and 'control', the shipped network fine-tuned with the same schedule without and
 * with the temporal loss (models/gridnet/README.md).
 */
export type LearnedVariant = 'main' | 'notemporal' | 'control';

/** What gridnet_guide.json says about the exported networks (models/gridnet/export.py). */
export interface LearnedGuide {
  version: number;
  nz: number;
  nx: number;
  ny: number;
  /** side of the square low-res input */
  L: number;
  /** length of a style-statistics row and of a region's ST-AdaIN state */
  S: number;
  /** the TC-AdaIN weight the network was trained with */
  alpha: number;
  /** z = clamp(zY[Y] + zM[m], 0, nz - 1), grid units */
  zY: number[];
  zM: number[];
  files: { mask: string; style: string; main: string };
}

/** The guide file of a variant (read on the frame thread too, for its lookup tables). */
export function learnedGuideFile(variant: LearnedVariant): string {
  return variant === 'main' ? 'gridnet_guide.json' : `gridnet_${variant}_guide.json`;
}

export function readLearnedGuide(variant: LearnedVariant): LearnedGuide {
  const g = JSON.parse(readFileSync(modelPath(learnedGuideFile(variant)), 'utf8')) as LearnedGuide;
  if (g.zY?.length !== 256 || g.zM?.length !== 256 || !(g.L > 0) || !(g.S > 0)) {
    throw new Error(`${learnedGuideFile(variant)}: not a grid network guide`);
  }
  return g;
}
